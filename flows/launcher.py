"""The `archive-ingest` entry point: `ingest` goes to the resident worker, the rest runs here.

A one-page `ingest` spent most of its 8.6 s importing (Prefect 2 s, SQLAlchemy and the stages
1.5 s, the English dictionary 1.5 s) before Tesseract's 2 s. The worker (flows.worker) keeps all
of that loaded and forks a child per command; this client imports only the standard library,
hands the worker its argv, working directory, environment and its own stdin/stdout/stderr (file
descriptors over a Unix socket, so the child writes to the user's terminal exactly as the command
would, progress bar included), forwards Ctrl-C, and exits with the child's exit code.

The socket lives in a directory only this user can enter, and the worker also checks the peer's
uid (SO_PEERCRED): no token is needed. A worker started from other code (another checkout, an
edited file) answers "stale", exits, and a fresh one is started. ARCHIVE_INGEST_WORKER=0 runs
every command in-process, as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

PACKAGES = ("flows", "ingest", "qa", "storage")
CODE_ROOT = Path(__file__).resolve().parent.parent
HELP = {"--help", "-h"}


def fingerprint() -> str:
    """The interpreter and every source file's size and mtime: a worker runs only the code a fresh
    command would import (about 2 ms for 120 files)."""
    h = hashlib.sha256(f"{sys.executable}\0{sys.version}\0{CODE_ROOT}".encode())
    for pkg in PACKAGES:
        for dirpath, dirnames, filenames in os.walk(CODE_ROOT / pkg):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(dirpath, name))
                    h.update(f"{dirpath}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def runtime_dir() -> Path:
    """A directory only this user can enter: the socket's permission is the access check."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    path = Path(base) / "archive-ingest" if base else Path(f"/tmp/archive-ingest-{os.getuid()}")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(path)
    if st.st_uid != os.getuid() or st.st_mode & 0o077 or not path.is_dir() or path.is_symlink():
        raise PermissionError(f"{path} is not a private directory of this user")
    return path


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def paths() -> dict[str, Path]:
    """Socket, pid, lock and log file of this user's worker for this interpreter, code and
    PREFECT_HOME (tests and checkouts each get their own)."""
    key = hashlib.sha256(f"{sys.executable}\0{CODE_ROOT}\0{prefect_home()}".encode()).hexdigest()[:16]
    d = runtime_dir()
    return {"socket": d / f"worker-{key}.sock", "pid": d / f"worker-{key}.pid",
            "lock": d / f"worker-{key}.lock", "log": d / f"worker-{key}.log"}


def wanted(argv: list[str]) -> bool:
    return (bool(argv) and argv[0] == "ingest" and not HELP.intersection(argv[1:])
            and os.environ.get("ARCHIVE_INGEST_WORKER", "1") != "0")


@contextmanager
def _locked(lock: Path):
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def worker_pid(p: dict[str, Path]) -> int | None:
    """The worker's pid if it is alive and is our worker (not a process that reused the number)."""
    try:
        pid = int(p["pid"].read_text())
        return pid if b"flows.worker" in Path(f"/proc/{pid}/cmdline").read_bytes() else None
    except (OSError, ValueError):
        return None


def spawn(p: dict[str, Path]) -> int:
    """Start the worker detached (its own session: a Ctrl-C of this command does not reach it)."""
    p["socket"].unlink(missing_ok=True)
    path = dict.fromkeys([str(CODE_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
    with open(p["log"], "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flows.worker", str(p["socket"]), str(p["pid"])],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=str(CODE_ROOT),
                                env={**os.environ, "PYTHONPATH": os.pathsep.join(path),
                                     # few malloc arenas for the page threads of its forks, as the server
                                     "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")},
                                start_new_session=True)
    p["pid"].write_text(str(proc.pid))
    return proc.pid


def _connect(p: dict[str, Path], pid: int | None, timeout: float) -> socket.socket | None:
    """A connection to the worker; a just-spawned one binds its socket within a second or two."""
    start = time.monotonic()
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(str(p["socket"]))
            return s
        except OSError:
            s.close()
            waited = time.monotonic() - start
            # right after the launch /proc may show an empty command line: 5 s of grace
            if pid is None or waited > timeout or (waited > 5 and worker_pid(p) != pid):
                return None
            time.sleep(0.02)


def _send(conn: socket.socket, argv: list[str]) -> None:
    umask = os.umask(0)
    os.umask(umask)
    body = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask,
                       "fingerprint": fingerprint()}).encode()
    socket.send_fds(conn, [len(body).to_bytes(4, "big") + body], [0, 1, 2])


def _replies(conn: socket.socket, pid: int | None, p: dict[str, Path]):
    """Each JSON line the worker and then the job's child send; ends at EOF. While the worker
    still imports, it has not accepted yet: wait as long as it lives."""
    buf = b""
    conn.settimeout(1.0)
    while True:
        try:
            chunk = conn.recv(4096)
        except TimeoutError:
            if pid is not None and worker_pid(p) != pid:
                return
            continue
        except OSError:
            return
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield json.loads(line)


STALE = -1


def _job(conn: socket.socket, argv: list[str], pid: int | None, p: dict[str, Path]) -> int | None:
    """Hand the job over and wait for its exit code (STALE: the worker runs older code)."""
    try:
        _send(conn, argv)
    except OSError:
        return None
    child: list[int] = []

    def forward(signum, _frame):  # Ctrl-C and kill reach the child as they would the command
        if not child:  # not started yet: stop here; a child started later sees this end closed
            raise KeyboardInterrupt
        try:
            os.killpg(child[0], signum)  # the child leads its group, Tesseract included
        except ProcessLookupError:
            pass

    restore = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        for msg in _replies(conn, pid, p):
            if msg.get("stale"):
                return STALE
            if "child" in msg:
                child.append(int(msg["child"]))
            if "exit" in msg:
                return int(msg["exit"])
    finally:
        for s, h in restore.items():
            signal.signal(s, h)
    if not child:
        return None  # the worker died before taking the job: run it here
    print(f"error: the ingest worker process died (see {p['log']})", file=sys.stderr)
    return 1


def run(argv: list[str]) -> int | None:
    """Run the command in the worker: its exit code, or None to run it here instead (no worker
    could be started, or it went away before taking the job)."""
    try:
        p = paths()
    except OSError:
        return None
    for _attempt in range(2):
        with _locked(p["lock"]):
            pid = worker_pid(p)
            conn = _connect(p, None, 0) if pid else None
            if conn is None:
                try:
                    pid = spawn(p)
                except OSError:  # e.g. a user who may not enter the checkout: run the command here
                    return None
                conn = _connect(p, pid, 30.0)
            if conn is None:
                return None
        with conn:
            try:
                code = _job(conn, argv, pid, p)
            except KeyboardInterrupt:
                print("Aborted!", file=sys.stderr)  # as the command run in-process says
                return 1
        if code != STALE:
            return code
    return None


def stop() -> int | None:
    """Stop this user's worker (`archive-ingest server stop`): its pid, or None if none ran."""
    try:
        p = paths()
    except OSError:
        return None
    with _locked(p["lock"]):
        pid = worker_pid(p)
        if pid is None:
            return None
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while worker_pid(p) == pid and time.monotonic() < deadline:
            time.sleep(0.05)
        if worker_pid(p) == pid:
            os.kill(pid, signal.SIGKILL)
        p["pid"].unlink(missing_ok=True)
        p["socket"].unlink(missing_ok=True)
        return pid


def main() -> None:
    argv = sys.argv[1:]
    if wanted(argv):
        code = run(argv)
        if code is not None:
            sys.exit(code)
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
