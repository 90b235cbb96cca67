"""Two more cases of issue 13 with nothing else testing them: a locked database (case 9) as the
command line meets it, and the nightly run's rotating fixity sample (keep the originals)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from storage.documents import DocumentRepository as Repository

EXE = Path(sys.executable).with_name("archive-ingest")


def test_a_locked_database_is_one_line_and_exit_4(tmp_path):
    url = f"sqlite:///{tmp_path}/archive.db"
    Repository(url).start_run(trigger="cli", files=0)  # made and migrated
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    env.update(HOME=str(tmp_path), ARCHIVE_DB_URL=url, ARCHIVE_FILES_DIR=str(tmp_path / "files"))
    holder = sqlite3.connect(tmp_path / "archive.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock (a backup, a long write)
    try:
        proc = subprocess.run([str(EXE), "ingest", "nowhere.jpg"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 4, proc.stdout + proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line == "error: database unavailable: database is locked"


def test_the_nightly_fixity_sample_rotates_over_every_document(settings):
    from flows.app.originals import rotating_sample
    from flows.app.store import open_store

    store = open_store(settings)
    repo = store.documents
    for n in range(7):
        claim = repo.claim(sha256=f"{n:064x}", source_path=f"/scans/{n}.tif", filename=f"{n}.tif", size_bytes=1,
                           collection=None, lang="vie", run_id=None)
        repo.mark_stored(claim.document_id)
    ids = set(repo.document_ids(status="stored"))
    nights = [rotating_sample(store, run_id, 3) for run_id in range(1, 4)]
    assert all(len(set(n)) == 3 and set(n) <= ids for n in nights)
    assert set().union(*nights) == ids  # three nights of three check all seven
    assert nights[0] != nights[1]
    assert set(rotating_sample(store, 1, 50)) == ids  # a small archive: everything, every night
