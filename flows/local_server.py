"""One local Prefect server per user, started in the background on first use and reused.

Prefect's embedded ("ephemeral") server started afresh in every command: 12-14 s of a one-page
ingest that took 16 s, where Tesseract reads the page in under 2 s. Here the first command that
runs a flow starts the same server (Prefect's API app, its services off, SQLite under
PREFECT_HOME) as a detached process on a free port of 127.0.0.1 and notes its pid and port in
PREFECT_HOME/archive-ingest-server.json; later commands (and `review serve`) find it there and
only connect. It stops itself after `prefect_server_idle` seconds without a request, or with
`archive-ingest server stop`. A configured PREFECT_API_URL is used as is and nothing is started.

Nothing here imports Prefect: `server status` and `server stop` stay instant.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.processes import pid_alive

STATE_FILE = "archive-ingest-server.json"
LOG_FILE = "archive-ingest-server.log"


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    port: int
    url: str
    started: float  # epoch seconds

    def describe(self) -> str:
        up = time.time() - self.started
        return f"{self.url} (pid {self.pid}, up {_duration(up)})"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def configured_url() -> str | None:
    """A PREFECT_API_URL the user set: used as is, never started or stopped by us."""
    return os.environ.get("PREFECT_API_URL") or None


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as resp:
            return resp.status == 200
    except OSError:
        return False




def _read_state(home: Path) -> ServerInfo | None:
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        return ServerInfo(int(data["pid"]), int(data["port"]), str(data["url"]), float(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(home: Path, info: ServerInfo) -> None:
    tmp = home / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
    tmp.replace(home / STATE_FILE)


def _forget(home: Path, pid: int) -> None:
    info = _read_state(home)
    if info is not None and info.pid == pid:
        (home / STATE_FILE).unlink(missing_ok=True)


@contextmanager
def _locked(home: Path):
    """One command at a time checks, starts or stops the server (two first commands start one)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "archive-ingest-server.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def running(home: Path | None = None) -> ServerInfo | None:
    """The local server, if its process is alive and answers."""
    info = _read_state(home or prefect_home())
    if info is None or not _is_server(info.pid) or not healthy(info.url):
        return None
    return info


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The server's own settings: no UI, no telemetry, and none of the services that serve what we do
# not use: automations (triggers and their actions) and the event store (each task's state
# change also written as an event row: nobody reads them here; flow and task runs and their states
# are the runs' own tables, which the task-run recorder keeps filling).
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT_SERVER_UI_ENABLED": "false",
              "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
              "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
              "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false"}


def _spawn(home: Path, idle_seconds: int) -> ServerInfo:
    port = _free_port()
    log = open(home / LOG_FILE, "ab")
    env = {**os.environ, **SERVER_ENV,
           # one thread pool, few arenas: glibc's per-thread arenas grew its RSS from 180 to 260 MB
           "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "flows.local_server", str(port), str(idle_seconds)],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=str(home),
                            start_new_session=True)  # outlives this command; not killed with its group
    log.close()
    return ServerInfo(proc.pid, port, f"http://127.0.0.1:{port}/api", time.time())


def ensure(idle_seconds: int = 3600, spawn=None) -> tuple[str, ServerInfo | None]:
    """The API URL to use, and the server still to wait for (None: configured, or already answering);
    PREFECT_API_URL is set to it. A launched server answers a few seconds later: the caller imports
    Prefect meanwhile, then calls `wait_ready` (about 2 s of a first command saved)."""
    url = configured_url()
    if url:
        return url, None
    home = prefect_home()
    with _locked(home):
        info = _read_state(home)
        if info is not None and _is_server(info.pid):
            pending = None if healthy(info.url) else info  # still starting (its launcher was killed?)
        else:
            info = pending = (spawn or _spawn)(home, idle_seconds)  # the ingest worker forks it
            _write_state(home, info)
    os.environ["PREFECT_API_URL"] = info.url
    return info.url, pending


def _is_server(pid: int) -> bool:
    """The pid is alive and is one of our servers (not a process that reused the number)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()  # or forked by the ingest worker
        return b"flows.local_server" in cmdline or b"flows.worker" in cmdline
    except OSError:
        return pid_alive(pid) if not Path("/proc/self").exists() else False


def wait_ready(info: ServerInfo, timeout: float) -> None:
    """Until the launched server answers; a clear error (its log's last line) if it never does."""
    home = prefect_home()
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if healthy(info.url, timeout=1.0):
            return
        # right after the launch /proc may not show the server's command line yet (seen under
        # pytest: an empty cmdline at 0.0 s); a process that is really gone stays gone
        if not _is_server(info.pid) and time.monotonic() - started > 5:
            break
        time.sleep(0.1)
    _terminate(info.pid)
    with _locked(home):
        _forget(home, info.pid)
    tail = _log_tail(home)
    raise RuntimeError(f"the local Prefect server did not start within {timeout:.0f} s"
                       + (f": {tail}" if tail else f" (see {home / LOG_FILE})"))


def _log_tail(home: Path) -> str:
    try:
        lines = [l for l in (home / LOG_FILE).read_text(encoding="utf-8", errors="replace").splitlines() if l.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def _terminate(pid: int, grace: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _is_server(pid):
        time.sleep(0.05)
    if _is_server(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop() -> ServerInfo | None:
    """Stop the local server; the one that was running, or None."""
    home = prefect_home()
    with _locked(home):
        info = _read_state(home)
        if info is None or not _is_server(info.pid):
            (home / STATE_FILE).unlink(missing_ok=True)
            return None
        _terminate(info.pid)
        _forget(home, info.pid)
        return info


# ---- the server process itself -------------------------------------------------------------

def serve(port: int, idle_seconds: int) -> None:
    """Prefect's API app under uvicorn, as its embedded server runs it (services and UI off), exiting
    after idle_seconds with no open connection and no request."""
    os.environ.update({"PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"})
    import asyncio

    import uvicorn
    from prefect.server.api.server import create_app

    app = create_app()
    last, active = [time.monotonic()], [0]

    async def tracked(scope, receive, send):
        if scope["type"] == "lifespan":
            return await app(scope, receive, send)
        active[0] += 1
        try:
            await app(scope, receive, send)
        finally:
            active[0] -= 1
            last[0] = time.monotonic()

    server = uvicorn.Server(uvicorn.Config(tracked, host="127.0.0.1", port=port, log_level="error",
                                           lifespan="on"))

    async def watch():
        while not server.started and not server.should_exit:  # the idle clock starts once it answers
            await asyncio.sleep(0.1)
        last[0] = time.monotonic()
        while not server.should_exit:
            await asyncio.sleep(min(10.0, max(1.0, idle_seconds / 4)))
            if active[0] == 0 and time.monotonic() - last[0] > idle_seconds:
                server.should_exit = True

    async def main():
        from .prefect_db import prepare

        try:
            await prepare()  # a fresh database: a copy of the installation's migrated one
        except Exception as exc:  # noqa: BLE001 - Prefect's own start migrates it as before
            print(f"fresh Prefect database not prepared: {exc!r}", file=sys.stderr)
        watcher = asyncio.create_task(watch())
        try:
            await server.serve()
        finally:
            watcher.cancel()

    try:
        asyncio.run(main())
    finally:
        _forget(prefect_home(), os.getpid())


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
