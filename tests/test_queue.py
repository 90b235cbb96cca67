import os
import subprocess
import sys
from pathlib import Path

from flows.app.inbox import queue_file, scan_inbox, settle
from tests.helpers import EXAMPLES

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


def test_queue_writes_a_sidecar_and_the_inbox_reads_manifests(tmp_path):
    """What staff said about a scan reaches the nightly run: the sidecar `queue` writes beside the
    file, else its row in a manifest.csv of its folder (or one above it), else the run's defaults;
    the sidecar moves with the scan to the archive folder."""
    import json

    from flows.app.inbox import inbox_entries, settle_manifests, sidecar_of

    inbox, done = tmp_path / "inbox", tmp_path / "done"
    a = queue_file(EXAMPLES / "cable-417-vi.tif", inbox, collection="box-17", lang="vie",
                   metadata={"title": "Điện số 417", "date": "1968-10-15", "record_id": "r-417", "summary": ""})
    assert json.loads(sidecar_of(a).read_text(encoding="utf-8")) == {
        "collection": "box-17", "lang": "vie",
        "metadata": {"title": "Điện số 417", "date": "1968-10-15", "record_id": "r-417"}}
    assert scan_inbox(inbox) == [a]  # the sidecar is not a scan
    sub = inbox / "box-18"
    sub.mkdir()
    b = sub / "cable-417-en.pdf"
    b.write_bytes((EXAMPLES / "cable-417-en.pdf").read_bytes())
    c = sub / "cable-418-vi.jpg"
    c.write_bytes((EXAMPLES / "cable-418-vi.jpg").read_bytes())
    (inbox / "manifest.csv").write_text(
        "file,collection,lang,title,translation_of\n"
        "box-18/cable-417-en.pdf,box-18,eng,Cable 417 (English),r-417\n", encoding="utf-8")
    bad = sub / "bad.tif"
    bad.write_bytes(b"x")
    sidecar_of(bad).write_text("{not json", encoding="utf-8")
    entries = {Path(e.path).name: e for e in inbox_entries(inbox, scan_inbox(inbox), collection="nightly", lang="vie")}
    assert entries["cable-417-vi.tif"].collection == "box-17"
    assert entries["cable-417-vi.tif"].metadata["record_id"] == "r-417"
    assert (entries["cable-417-en.pdf"].collection, entries["cable-417-en.pdf"].lang) == ("box-18", "eng")
    assert entries["cable-417-en.pdf"].metadata == {"title": "Cable 417 (English)", "translation_of": "r-417"}
    assert (entries["cable-418-vi.jpg"].collection, entries["cable-418-vi.jpg"].metadata) == ("nightly", {})
    assert entries["bad.tif"].error.startswith("sidecar bad.tif.meta.json is not valid JSON")
    moved = settle(a, inbox, done)
    assert sidecar_of(moved).is_file() and not sidecar_of(a).exists()
    assert settle_manifests(inbox, done) == []  # its file is still in the inbox
    settle(b, inbox, done)
    assert settle_manifests(inbox, done) == [done / "manifest.csv"]
