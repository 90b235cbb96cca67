"""Kill the ingest process with SIGKILL at several points of a batch, then run it again, on SQLite
and on PostgreSQL (a fresh database each). The command runs in-process (ARCHIVE_INGEST_WORKER=0):
a crash kills the process that does the work, whereas a SIGKILL of the thin launcher only closes
its socket and the resident worker's job stops as on Ctrl-C (tests/test_worker.py)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import EXAMPLES, OCRMYPDF, VIET, fresh_db_url, stop_local_server

EXE = Path(sys.executable).with_name("archive-ingest")
FILES = [EXAMPLES / "cable-417-vi.tif", EXAMPLES / "cable-418-vi.jpg", EXAMPLES / "cable-417-en.pdf",
         VIET / "vietsample1.tif", OCRMYPDF / "typewriter.png", OCRMYPDF / "c02-22.pdf"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """The database's URL: a file for SQLite, a database of its own on PostgreSQL."""
    with fresh_db_url(request.param, tmp_path, "archive_crash") as url:
        yield url


def counts(db: str) -> tuple[int, int]:
    if db.startswith("sqlite") and not Path(db.removeprefix("sqlite:///")).exists():
        return 0, 0
    engine = create_engine(db)
    try:
        with engine.connect() as c:
            pages = c.execute(text("select count(*) from pages")).scalar()
            docs = c.execute(text("select count(*) from documents where status='stored'")).scalar()
            return docs, pages
    except Exception:
        return 0, 0
    finally:
        engine.dispose()


def start(workdir: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(EXE), "ingest", "scans"], cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def kill_when(proc: subprocess.Popen, db: str, pages: int | None, seconds: float | None) -> None:
    deadline = time.monotonic() + 300
    began = time.monotonic()
    while time.monotonic() < deadline and proc.poll() is None:
        if seconds is not None and time.monotonic() - began >= seconds:
            break
        if pages is not None and counts(db)[1] >= pages:
            break
        time.sleep(0.05)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI (the Prefect server it started runs on, detached)
    except ProcessLookupError:
        pass  # it finished first: nothing left to kill at this point
    proc.wait()


def test_sigkill_at_several_points_then_rerun(tmp_path, db):
    scans = tmp_path / "scans"
    scans.mkdir()
    for f in FILES:
        shutil.copy(f, scans / f.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    env["HOME"] = str(tmp_path)
    env["ARCHIVE_DB_URL"] = db
    env["ARCHIVE_INGEST_WORKER"] = "0"
    try:
        _kill_and_rerun(tmp_path, env, db)
    finally:
        stop_local_server(env, tmp_path)


def _kill_and_rerun(tmp_path: Path, env: dict, db: str) -> None:
    kill_when(start(tmp_path, env), db, pages=None, seconds=3)  # while the engine starts
    kill_when(start(tmp_path, env), db, pages=1, seconds=None)  # after the first page
    first = counts(db)
    kill_when(start(tmp_path, env), db, pages=first[1] + 3, seconds=None)  # in the middle
    engine = create_engine(db)
    with engine.connect() as c:
        before = c.execute(text("select d.sha256, p.number, p.text from pages p join documents d "
                                "on d.id = p.document_id where d.status = 'stored'")).all()
    engine.dispose()

    final = subprocess.run([str(EXE), "ingest", "scans"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)
    assert final.returncode == 0, final.stderr

    engine = create_engine(db)
    with engine.connect() as c:
        if db.startswith("sqlite"):
            assert c.execute(text("pragma integrity_check")).scalar() == "ok"
        docs = c.execute(text("select sha256, status, page_count, id from documents")).all()
        assert len(docs) == len(FILES) and len({d.sha256 for d in docs}) == len(FILES)
        assert {d.status for d in docs} == {"stored"}
        per_doc = dict(c.execute(text("select document_id, count(*) from pages group by document_id")).all())
        assert all(per_doc[d.id] == d.page_count for d in docs)  # every page once
        dup_pages = c.execute(text("select count(*) from (select document_id, number from pages "
                                   "group by document_id, number having count(*) > 1) x")).scalar()
        assert dup_pages == 0
        after = set(map(tuple, c.execute(text("select d.sha256, p.number, p.text from pages p join documents d "
                                              "on d.id = p.document_id")).all()))
        assert set(map(tuple, before)) <= after  # nothing stored before the kills was damaged
        keys = {k for row in c.execute(text("select original_image, preprocessed_image from pages")).all()
                for k in row if k}
        keys |= {k for (k,) in c.execute(text("select original_file from documents")).all() if k}
        runs = dict(c.execute(text("select status, count(*) from ingest_runs group by status")).all())
    engine.dispose()
    store = tmp_path / "archive-files"
    stored_files = {f.name for f in store.glob("*/*/*") if f.is_file()}
    assert stored_files == keys  # no orphan images, no temporary files
    assert not list((store / ".journal").glob("*.log"))  # every killed process's journal was swept
    assert runs.get("interrupted", 0) >= 1 and runs.get("running", 0) == 0
