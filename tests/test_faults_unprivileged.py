"""Faults that only an ordinary user meets (issue 13, cases 8 and 9): a folder it may not read and a
database it may not write. Root ignores permissions, and CI runs as root, so as root the command
runs as `nobody` (setpriv), or, when the checkout lies where `nobody` may not go, as root
without the capabilities that bypass permissions; as any other user it runs as that user. Either way the files are
prepared so that the command's user may read but not write, or not read, them."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from storage.documents import DocumentRepository as Repository
from tests.helpers import EXAMPLES

EXE = Path(sys.executable).with_name("archive-ingest")
NOBODY = 65534


AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
# root without the two capabilities that bypass file permissions: it then meets them as the files' owner
AS_ROOT_WITHOUT_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                            "--bounding-set=-dac_override,-dac_read_search"]


@functools.cache
def _nobody_can_run_the_project() -> bool:
    """False when the checkout or its virtualenv lies in a folder only root may enter (/root)."""
    probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import ingest.sources, flows.cli"],
                           cwd=Path(__file__).parents[1], capture_output=True, timeout=120)
    return probe.returncode == 0


def unprivileged(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("setpriv") is None:  # util-linux: on every Debian and Ubuntu machine
        pytest.fail("setpriv is needed to run a command without root's rights (apt-get install util-linux)")
    return [*(AS_NOBODY if _nobody_can_run_the_project() else AS_ROOT_WITHOUT_OVERRIDE), *cmd]


@pytest.fixture
def workdir():
    """A folder the unprivileged user may enter and write (pytest's own tmp folders are 0700)."""
    d = Path(tempfile.mkdtemp(prefix="archive-unpriv-"))
    d.chmod(0o777)
    try:
        yield d
    finally:
        for p in [d, *d.rglob("*")]:  # give back what a test took away, so it can be removed
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o777)
        shutil.rmtree(d, ignore_errors=True)


def run(args: list[str], cwd: Path, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    home = cwd / "home"
    home.mkdir(exist_ok=True)
    home.chmod(0o777)
    env.update(HOME=str(home), OMP_THREAD_LIMIT="1", **env_extra)
    return subprocess.run(unprivileged([str(EXE), *args]), cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def test_unreadable_subfolder_is_a_failed_line_not_silence(workdir):
    """An unreadable folder used to be skipped silently with exit 0: its scans were never ingested."""
    sub = workdir / "scans" / "box-2"
    sub.mkdir(parents=True)
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", sub / "scan.jpg")
    (workdir / "scans").chmod(0o755)
    sub.chmod(0)
    proc = run(["ingest", "scans"], workdir)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == ["FAILED scans/box-2: folder cannot be read: Permission denied"]
    assert "Traceback" not in proc.stdout + proc.stderr
    sub.chmod(0o755)
    status = run(["status"], workdir)
    assert status.returncode == 0 and "box-2" in status.stdout  # the failure is on record


def test_read_only_database_is_read_and_a_write_is_one_line(workdir):
    """A database the user may read but not write: `status` used to fail with a traceback; now it
    reads, and a command that must write says so in one line with exit 4."""
    folder = workdir / "db"
    folder.mkdir()
    url = f"sqlite:///{folder}/archive.db"
    repo = Repository(url)
    run_id = repo.start_run(trigger="cli", files=1)
    repo.finish_run(run_id, stored=0, duplicates=0, quarantined=0, pages=0, errors=[])
    from storage import db

    db.engine(url).dispose()
    db._engine_for.cache_clear()
    assert sorted(p.name for p in folder.iterdir()) == ["archive.db"]  # closed cleanly: no -wal, no -shm
    (folder / "archive.db").chmod(0o444)
    folder.chmod(0o555)
    status = run(["status"], workdir, ARCHIVE_DB_URL=url)
    assert status.returncode == 0, status.stderr
    assert re.search(rf"^\s*{run_id}\s.*\scompleted\s", status.stdout, re.M), status.stdout  # the run is listed
    assert "Traceback" not in status.stderr
    (workdir / "files").mkdir(mode=0o777)
    (workdir / "files").chmod(0o777)
    written = run(["ingest", "nowhere.jpg"], workdir, ARCHIVE_DB_URL=url, ARCHIVE_FILES_DIR=str(workdir / "files"))
    assert written.returncode == 4, written.stdout + written.stderr
    [line] = written.stderr.strip().splitlines()
    assert line.startswith("error: database unavailable: ") and "readonly" in line.replace("-", "")
    assert sorted(p.name for p in folder.iterdir()) == ["archive.db"]


def test_an_existing_world_readable_database_of_ours_is_made_private(tmp_path, caplog):
    """Case 5: a database made before 0600 was the rule (or copied with cp) let a local user read the
    session key. Opening it now tightens it, and its -wal file, to 0600 and says so in one line;
    a file another user owns is not ours to change, and `review serve` warns about it instead."""
    import stat

    from storage import db

    url = f"sqlite:///{tmp_path}/old.db"
    engine = db.make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
        files = [tmp_path / "old.db", tmp_path / "old.db-wal"]
        for f in files:
            f.chmod(0o644)
        with caplog.at_level("WARNING", logger="storage.db"):
            db.make_engine(url).dispose()
        assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o600, 0o600]
    engine.dispose()
    [record] = [r for r in caplog.records if r.name == "storage.db"]
    assert "\n" not in record.getMessage() and "made it 0600" in record.getMessage()
    assert db.open_to_others(url) is None
    if os.geteuid() == 0:  # only root can give a file to another user
        theirs = tmp_path / "theirs.db"
        theirs.touch(mode=0o644)
        os.chown(theirs, NOBODY, NOBODY)
        theirs.chmod(0o644)
        assert db.make_private(theirs) == [] and db.open_to_others(f"sqlite:///{theirs}") == theirs
