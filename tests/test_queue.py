import os
import subprocess
import sys
from pathlib import Path

from flows.inbox import queue_file, scan_inbox, settle
from tests.conftest import EXAMPLES

EXE = Path(sys.executable).with_name("archive-ingest")


def test_queue_copies_atomically_and_never_overwrites(tmp_path):
    inbox = tmp_path / "inbox"
    a = queue_file(EXAMPLES / "cable-418-vi.jpg", inbox)
    b = queue_file(EXAMPLES / "cable-418-vi.jpg", inbox)
    assert a.name == "cable-418-vi.jpg" and b.name == "cable-418-vi.1.jpg"
    assert a.read_bytes() == (EXAMPLES / "cable-418-vi.jpg").read_bytes()
    assert (EXAMPLES / "cable-418-vi.jpg").exists()  # the original stays
    assert sorted(scan_inbox(inbox)) == sorted([a, b])
    assert not list((inbox / ".incoming").iterdir())


def test_settle_keeps_every_scan(tmp_path):
    inbox, done = tmp_path / "inbox", tmp_path / "done"
    a = queue_file(EXAMPLES / "cable-417-vi.tif", inbox)
    first = settle(a, inbox, done)
    b = queue_file(EXAMPLES / "cable-418-vi.jpg", inbox)
    b2 = b.rename(inbox / "cable-417-vi.tif")  # same name, different scan
    second = settle(b2, inbox, done, reason="damaged")
    assert first.exists() and second.exists() and first != second
    assert second.with_name(second.name + ".reason.txt").read_text() == "damaged\n"


def test_queue_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    env["ARCHIVE_INBOX_DIR"] = str(tmp_path / "inbox")
    proc = subprocess.run([str(EXE), "queue", str(EXAMPLES / "cable-417-en.pdf"), str(tmp_path / "nope.tif")],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"FAILED {tmp_path / 'nope.tif'}: file not found"
    assert (tmp_path / "inbox" / "cable-417-en.pdf").exists()
    now = subprocess.run([str(EXE), "queue", "--now", str(EXAMPLES / "cable-417-en.pdf")], cwd=tmp_path,
                         env={**env, "PREFECT_API_URL": "http://127.0.0.1:9/api"}, capture_output=True, text=True,
                         timeout=120)
    assert now.returncode == 2 and "could not start ingest-files" in now.stderr
    assert "Traceback" not in now.stderr
