"""The resident ingest worker: started by the first `ingest`, reused, same output and exit codes
as a command run in-process, stopped by `server stop`, when idle, or when its code is stale."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from flows import launcher

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cable-418-vi.jpg"


@pytest.fixture
def env(tmp_path):
    run = Path(tempfile.mkdtemp(prefix="aiw", dir="/tmp"))  # a Unix socket path has at most 107 bytes
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    e.update({"HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(run), "OMP_THREAD_LIMIT": "1",
              "ARCHIVE_DB_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "ARCHIVE_FILES_DIR": str(tmp_path / "files"),
              "PYTHONPATH": str(ROOT)})
    (tmp_path / "home").mkdir()
    yield e
    cli(e, tmp_path, "server", "stop")
    shutil.rmtree(run, ignore_errors=True)


def cli(env, cwd, *args, **extra):
    return subprocess.run([sys.executable, "-m", "flows.launcher", *args], capture_output=True, text=True,
                          timeout=600, env={**env, **extra}, cwd=cwd)


def worker(env) -> int | None:
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return launcher.worker_pid(launcher.paths())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_started_reused_same_output_and_stopped(env, tmp_path):
    missing = cli(env, tmp_path, "ingest", "nowhere.png")
    assert missing.returncode == 2 and "FAILED nowhere.png: file not found" in missing.stderr
    pid = worker(env)
    assert pid is not None  # the first ingest started it

    shutil.copy(EXAMPLE, tmp_path / "page.jpg")
    stored = cli(env, tmp_path, "ingest", "page.jpg", "--lang", "vie")
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout.startswith("stored     page.jpg  (document ")
    assert worker(env) == pid  # reused

    again = cli(env, tmp_path, "ingest", "page.jpg")
    local = cli(env, tmp_path, "ingest", "page.jpg", ARCHIVE_INGEST_WORKER="0")  # in-process, as before
    assert again.returncode == local.returncode == 0
    first_line = again.stdout.splitlines()[0]
    assert first_line.startswith("duplicate  page.jpg  (already ingested as document ")
    assert first_line == local.stdout.splitlines()[0]

    status = cli(env, tmp_path, "server", "status")
    assert f"ingest worker running (pid {pid})" in status.stdout
    stopped = cli(env, tmp_path, "server", "stop")
    assert f"stopped the ingest worker (pid {pid})" in stopped.stdout
    assert worker(env) is None


def test_failing_jobs_keep_their_exit_codes(env, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    for args, extra in [(("ingest", "bad.png"), {}),  # quarantined: exit 2, one FAILED line
                        (("ingest", "bad.png"), {"ARCHIVE_WORKERS": "many"}),  # bad settings
                        (("ingest", "bad.png", "--lang", "xyz"), {}),  # no such model
                        (("ingest", "--no-such-option"), {})]:  # usage error
        via_worker = cli(env, tmp_path, *args, **extra)
        local = cli(env, tmp_path, *args, ARCHIVE_INGEST_WORKER="0", **extra)
        assert via_worker.returncode == local.returncode != 0, (args, via_worker.stderr)
        assert via_worker.stderr.splitlines()[-1] == local.stderr.splitlines()[-1]
    assert worker(env) is not None  # a failing job leaves the worker serving


def test_stale_worker_answers_stale_and_exits(env, tmp_path):
    cli(env, tmp_path, "ingest", "nowhere.png")
    pid = worker(env)
    assert pid is not None
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        p = launcher.paths()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(p["socket"]))
        body = json.dumps({"argv": ["ingest", "x"], "cwd": str(tmp_path), "env": env, "umask": 0o22,
                           "fingerprint": "older code"}).encode()
        socket.send_fds(s, [len(body).to_bytes(4, "big") + body], [0, 1, 2])
        s.settimeout(30)
        assert json.loads(s.recv(4096)) == {"stale": True}
    deadline = time.monotonic() + 30
    while worker(env) == pid and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker(env) is None and not p["socket"].exists()
    assert cli(env, tmp_path, "ingest", "nowhere.png").returncode == 2  # a fresh worker takes it
    assert worker(env) not in (None, pid)


def test_stops_itself_when_idle(env, tmp_path):
    cli(env, tmp_path, "ingest", "nowhere.png", ARCHIVE_PREFECT_SERVER_IDLE="2")
    pid = worker(env)
    assert pid is not None
    deadline = time.monotonic() + 120  # it imports first, then idles 2 s
    while worker(env) == pid and time.monotonic() < deadline:
        time.sleep(0.2)
    assert worker(env) is None


def test_disabled_runs_in_process(env, tmp_path):
    result = cli(env, tmp_path, "ingest", "nowhere.png", ARCHIVE_INGEST_WORKER="0")
    assert result.returncode == 2 and "file not found" in result.stderr
    assert worker(env) is None
