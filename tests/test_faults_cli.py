"""The fault-and-attack probe of issue 13 as a user meets it: `archive-ingest` in a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, stop_local_server

EXE = Path(sys.executable).with_name("archive-ingest")


def run(args, cwd, env, **kw):
    return subprocess.run([str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, **kw)


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    e["HOME"] = str(tmp_path)
    e["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "900"  # a loaded machine: slow to start
    yield e
    stop_local_server(e, tmp_path)  # the server and ingest worker the commands started


def test_batch_with_a_failing_page_hostile_names_and_links(tmp_path, env):
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", scans / "slow.jpg")
    forged = "note.txt\nstored     forged.tif  (document 999, 1 page(s))\x1b[31m.txt"
    (scans / forged).write_text("Ghi chú :x: [bold]không đậm[/bold]\n", encoding="utf-8")
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (scans / "passwd.txt").symlink_to(tmp_path / "passwd")
    proc = run(["ingest", "scans"], tmp_path, {**env, "ARCHIVE_OCR_TIMEOUT": "0.01"})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "AttributeError" not in proc.stderr
    failed = sorted(l for l in proc.stderr.splitlines() if l.startswith("FAILED"))
    assert len(failed) == 2
    assert failed[0].startswith("FAILED scans/passwd.txt: symbolic link, not followed")
    assert failed[1].startswith("FAILED scans/slow.jpg: page 1: ")
    assert not any(l.startswith("stored     forged.tif") for l in proc.stdout.splitlines())
    assert "\x1b" not in proc.stdout and "\\x1b[31m" in proc.stdout
    assert sum(l.startswith("stored ") for l in proc.stdout.splitlines()) == 1  # the forged one is escaped
    assert "run 1: 1 stored, 0 duplicate, 2 failed" in proc.stdout

    everything = run(["export", "--status", "all"], tmp_path, env).stdout
    assert "root:x:0:0" not in everything  # the link's target was never read
    note = next(d for d in map(json.loads, everything.splitlines()) if d["filename"].startswith("note.txt"))
    shown = run(["show", str(note["id"])], tmp_path, env)
    assert ":x:" in shown.stdout and "[bold]không đậm[/bold]" in shown.stdout and "❌" not in shown.stdout
    assert "\x1b" not in shown.stdout

    status = run(["status"], tmp_path, env)
    assert status.returncode == 0 and "passwd.txt" in status.stdout

    out = tmp_path / "export"
    out.mkdir()
    exported = run(["export", "--out", "export", "--with-original"], tmp_path, env)
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in out.iterdir()) == ["originals", "records.jsonl"]
    [record] = [json.loads(l) for l in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    original = out / record["original_file"]
    assert original.read_text(encoding="utf-8") == "Ghi chú :x: [bold]không đậm[/bold]\n"
    assert not list(tmp_path.rglob(".*.tmp"))
    bogus = run(["export", "--status", "bogus"], tmp_path, env)
    assert bogus.returncode == 2 and "--status 'bogus'" in bogus.stderr

    assert run(["fixity"], tmp_path, env).returncode == 0
    stored = next((tmp_path / "archive-files").glob(f"*/*/{record['sha256']}.txt"))
    stored.write_text("changed", encoding="utf-8")
    fixity = run(["fixity", "--document", str(record["id"])], tmp_path, env)
    assert fixity.returncode == 6 and f"FIXITY document {record['id']} original" in fixity.stderr

    # a second database pointed at this store is refused before anything is written or swept
    other = run(["ingest", "scans/slow.jpg"], tmp_path, {**env, "ARCHIVE_DB_URL": f"sqlite:///{tmp_path}/other.db"})
    assert other.returncode == 5 and other.stderr.strip().startswith("error: image store archive-files belongs to")


def test_infrastructure_faults_are_one_line_and_a_distinct_code(tmp_path, env):
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", tmp_path / "scan.jpg")
    no_tesseract = run(["ingest", "scan.jpg"], tmp_path, {**env, "PATH": str(EXE.parent)})
    assert no_tesseract.returncode == 3
    assert no_tesseract.stderr.strip().splitlines() == [
        "error: tesseract is not installed or not on PATH (apt-get install tesseract-ocr)"]
    unreachable = run(["status"], tmp_path, {**env, "ARCHIVE_DB_URL": "postgresql://postgres@127.0.0.1:1/archive"})
    assert unreachable.returncode == 4
    [line] = unreachable.stderr.strip().splitlines()
    assert line.startswith("error: database unavailable: ") and "Connection refused" in line
    helped = run(["--help"], tmp_path, env)
    text = " ".join(helped.stdout.split())  # Rich wraps the help to the terminal width
    assert "3 missing dependency" in text and "4 database unavailable" in text
