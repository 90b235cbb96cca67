"""The local Prefect server: started on first use, reused, stopped on request or when idle."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows import local_server

EXE = Path(sys.executable).with_name("archive-ingest")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    yield tmp_path / "prefect"
    local_server.stop()
    os.environ.pop("PREFECT_API_URL", None)


def cli(*args, env=None):
    env = env or {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # ensure() set it here
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=120, env=env)


def test_started_once_reused_and_stopped(home):
    url, pending = local_server.ensure(idle_seconds=600)
    assert pending is not None and os.environ["PREFECT_API_URL"] == url
    local_server.wait_ready(pending, timeout=120)
    assert local_server.healthy(url)
    status = cli("server", "status")
    assert status.returncode == 0 and status.stdout.startswith(f"local Prefect server running at {url} (pid {pending.pid}")

    os.environ.pop("PREFECT_API_URL")
    again, pending_again = local_server.ensure(idle_seconds=600)
    assert again == url and pending_again is None  # the same server, nothing to wait for

    stopped = cli("server", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith(f"stopped the local Prefect server at {url}")
    assert not local_server.healthy(url) and not (home / local_server.STATE_FILE).exists()
    assert not local_server._is_server(pending.pid)  # gone (a zombie until this test process reaps it)
    assert cli("server", "status").stdout.strip() == "no local Prefect server running"
    assert cli("server", "stop").stdout.strip() == "no local Prefect server running"


def test_stops_itself_when_idle(home):
    url, pending = local_server.ensure(idle_seconds=3)
    local_server.wait_ready(pending, timeout=120)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and local_server._is_server(pending.pid):  # no request meanwhile
        time.sleep(0.5)
    assert not local_server._is_server(pending.pid) and not local_server.healthy(url)
    assert not (home / local_server.STATE_FILE).exists()  # it forgot itself on the way out


def test_configured_url_is_used_as_is(home, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert local_server.ensure() == ("http://127.0.0.1:9/api", None)
    assert not (home / local_server.STATE_FILE).exists()
    status = cli("server", "status", env=dict(os.environ))
    assert "PREFECT_API_URL is set: flows run on http://127.0.0.1:9/api" in status.stdout


def test_fresh_home_starts_from_the_installation_template(home):
    import sqlite3

    prepared = cli("server", "prepare")  # what `make setup` runs; made once per installation
    assert prepared.returncode == 0, prepared.stderr
    template = Path(prepared.stdout.strip().split(": ", 1)[1])
    assert template.is_file() and not (home / "prefect.db").exists()
    url, pending = local_server.ensure(idle_seconds=600)
    local_server.wait_ready(pending, timeout=120)

    def rows(db: Path, sql: str):
        with sqlite3.connect(db) as conn:
            return sorted(conn.execute(sql).fetchall())

    # the copy: the template's own block type rows (ids and creation times), at Prefect's current schema
    blocks = "select id, created from block_type"
    assert rows(home / "prefect.db", blocks) == rows(template, blocks) != []
    version = "select version_num from alembic_version"
    assert rows(home / "prefect.db", version) == rows(template, version) != []
    # the copy's block types are noted as this installation's: no start registers them again
    assert (home / "prefect.db.blocks").read_text() == template.name
    local_server.stop()
    os.environ.pop("PREFECT_API_URL", None)  # set by ensure() above
    url, pending = local_server.ensure(idle_seconds=600)  # a later start on the same home
    assert pending is not None
    local_server.wait_ready(pending, timeout=120)
    assert rows(home / "prefect.db", blocks) == rows(template, blocks)
