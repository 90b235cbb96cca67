"""The resident worker: Prefect, SQLAlchemy, the stages and the dictionary loaded once, a fork per
command.

Started in the background by the first `archive-ingest ingest` (flows.launcher), it also starts
the local Prefect server at once, so the server boots while the worker imports. It then waits
on its Unix socket; each command hands it argv, working directory, environment and its stdin,
stdout and stderr. The worker forks; the child takes those as its own, runs the same CLI code
the command would run in-process (same output, same exit codes) and sends its exit code back.
A fork starts with everything imported and shares those pages with the worker (copy on write,
the imported objects frozen out of the garbage collector so it does not touch them). The worker
runs no flow itself and starts no thread, so forking it is safe. It exits after
`prefect_server_idle` seconds without a command, on SIGTERM (`archive-ingest server stop`), or
when a command comes from code other than its own (`stale`: the command starts a fresh one).
"""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from pathlib import Path

from .launcher import fingerprint


def preload() -> None:
    """What a one-page ingest imports and loads: measured 7.5 s of imports and 0.6 s of dictionary
    at load 4 (flows.cli itself is imported per command: its consoles must see the user's terminal)."""
    from .runtime import configure_prefect

    configure_prefect()
    import importlib

    # what a flow run and the store's schema check imported in each job: 1.4 s at load 13 (cProfile
    # of a job, ARCHIVE_INGEST_PROFILE)
    for name in ("prefect.flow_engine", "prefect.task_engine", "prefect.utilities.visualization", "fastapi",
                 "alembic.runtime.migration", "alembic.autogenerate", "alembic.ddl.postgresql", "mako.template",
                 "sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.sqlite.aiosqlite"):
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part that this installation lacks
            pass
    import rich.progress  # noqa: F401
    import rich.table  # noqa: F401
    import typer  # noqa: F401

    import flows.app.ingest  # noqa: F401
    import flows.app.originals  # noqa: F401
    import flows.ingest  # noqa: F401
    import flows.nightly  # noqa: F401
    import ingest.manifest  # noqa: F401
    import ingest.sources  # noqa: F401
    from qa.spelling import unknown_words

    unknown_words([("the", False)])
    gc.collect()
    gc.freeze()  # a child's collections then leave the shared pages unwritten
    trim_heap()


def trim_heap() -> None:
    """Return the heap that the imports and the dictionary's load freed to the system: 13 MB of
    the worker's 192 MB resident after preload, which every job would otherwise map as well."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def start_server(listener: socket.socket) -> None:
    """The local Prefect server, forked once what both sides use is imported (Prefect's core,
    pydantic, FastAPI, SQLAlchemy: 2 s of CPU, shared): the server then imports its own part
    (Prefect's server modules, 2.8 s) while this process imports the flows and the stages, each on
    a core. Those server modules were imported here before the fork: the first command waited
    for them before the server could start, and this process, its jobs and the server each held
    them (the server rewriting much of its share: 70 MB of the 250 MB it held stayed shared)."""
    try:
        from ingest.settings import load_settings

        from .local_server import configured_url, ensure
        from .runtime import configure_prefect

        if configured_url() is None:
            configure_prefect()
            import fastapi  # noqa: F401 - before the fork: shared, not imported twice
            import prefect  # noqa: F401
            import sqlalchemy.ext.asyncio  # noqa: F401

            gc.collect()
            gc.freeze()  # the server's collections then leave the pages it shares with us unwritten
            trim_heap()

            ensure(load_settings().prefect_server_idle, spawn=lambda home, idle: _fork_server(home, idle, listener))
            os.environ.pop("PREFECT_API_URL", None)  # each command's own environment decides
    except Exception as exc:  # noqa: BLE001 - the command reports a real failure itself
        print(f"local Prefect server not started early: {exc}", file=sys.stderr)


def _fork_server(home: Path, idle: int, listener: socket.socket):
    from .local_server import LOG_FILE, SERVER_ENV, ServerInfo, _free_port, serve

    port = _free_port()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the server: detached as flows.local_server's own launch would be
        try:
            listener.close()
            os.setsid()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            log = os.open(home / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.chdir(home)
            os.environ.update(SERVER_ENV)
            os.environ.pop("PREFECT_API_URL", None)
            from prefect.context import refresh_global_settings_context

            refresh_global_settings_context()
            serve(port, idle)
        except BaseException:  # noqa: BLE001 - into the server's log, as a launched server's would
            traceback.print_exc()
        finally:
            os._exit(0)
    return ServerInfo(pid, port, f"http://127.0.0.1:{port}/api", time.time())


def idle_seconds() -> int:
    try:
        from ingest.settings import load_settings

        return load_settings().prefect_server_idle
    except Exception:  # noqa: BLE001 - bad settings: the command says so; keep the default
        return 3600


def _recv_job(conn: socket.socket) -> tuple[dict, list[int]]:
    conn.settimeout(10.0)
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    if len(data) < 4:
        raise ValueError("short header")
    size = int.from_bytes(data[:4], "big")
    body = data[4:]
    while len(body) < size:
        chunk = conn.recv(min(1 << 16, size - len(body)))
        if not chunk:
            raise ValueError("truncated job")
        body += chunk
    return json.loads(body), fds


def _peer_uid(conn: socket.socket) -> int:
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                           struct.calcsize("3i")))
    return uid


def _reply(conn: socket.socket, **msg) -> None:
    conn.sendall(json.dumps(msg).encode() + b"\n")


def _adopt_stdio(fds: list[int]) -> None:
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)

    def stream(fd: int, mode: str) -> io.TextIOWrapper:
        tty = os.isatty(fd)
        raw = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        return io.TextIOWrapper(buffered, encoding="utf-8", errors="backslashreplace",
                                line_buffering=tty or fd == 2, write_through=fd == 2)

    sys.stdin, sys.stdout, sys.stderr = stream(0, "r"), stream(1, "w"), stream(2, "w")
    import logging

    for logger in [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]:
        for handler in getattr(logger, "handlers", []):
            if type(handler) is logging.StreamHandler:  # Prefect's warnings go to the user's stderr
                handler.setStream(sys.stderr)


def _watch_client(conn: socket.socket) -> None:
    """The command was killed (its end of the socket closed): stop as a Ctrl-C would."""
    try:
        conn.settimeout(None)
        while conn.recv(1):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGINT)


def run_job(conn: socket.socket, job: dict, fds: list[int]) -> None:
    """In the forked child: become the command, run it, report its exit code. Never returns."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setpgid(0, 0)  # its own group: Tesseract children can be signalled with it
        _adopt_stdio(fds)
        os.chdir(job["cwd"])
        os.umask(int(job["umask"]))
        os.environ.clear()
        os.environ.update(job["env"])
        sys.argv = ["archive-ingest", *job["argv"]]
        from prefect.context import refresh_global_settings_context

        from .runtime import configure_prefect

        configure_prefect()
        refresh_global_settings_context()  # Prefect's settings as this command's environment says
        _reply(conn, child=os.getpid())
        threading.Thread(target=_watch_client, args=(conn,), daemon=True).start()
        from .cli import main

        profile = os.environ.get("ARCHIVE_INGEST_PROFILE")  # a cProfile of the job, for bench work
        if profile:
            import cProfile

            cProfile.runctx("main()", globals(), {"main": main}, profile)
        else:
            main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # noqa: BLE001 - printed as the command would, then its exit code
        traceback.print_exc()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command closes its end once it has the code
        for f in (sys.stdout, sys.stderr):
            try:
                f.flush()
            except (OSError, ValueError):
                pass
        try:
            _reply(conn, exit=code)
        except OSError:
            pass
        os._exit(code)


def serve(sock_path: Path, pid_path: Path) -> None:
    own = fingerprint()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock_path.unlink(missing_ok=True)
    old = os.umask(0o177)
    try:
        listener.bind(str(sock_path))  # bound before the imports: commands queue while it loads
    finally:
        os.umask(old)
    listener.listen(64)
    stopping = [False]
    signal.signal(signal.SIGTERM, lambda *_: stopping.__setitem__(0, True))
    start_server(listener)
    preload()
    idle = idle_seconds()
    children: set[int] = set()
    last = time.monotonic()
    listener.settimeout(1.0)
    try:
        while not stopping[0]:
            while True:  # finished jobs, and a forked server that stopped itself when idle
                try:
                    pid, _status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    children.clear()
                    break
                if not pid:
                    break
                if pid in children:
                    children.discard(pid)
                    last = time.monotonic()
            if not children and time.monotonic() - last > idle:
                break
            try:
                conn, _ = listener.accept()
            except (TimeoutError, InterruptedError):
                continue
            with conn:
                try:
                    if _peer_uid(conn) != os.getuid():
                        continue
                    job, fds = _recv_job(conn)
                except (OSError, ValueError) as exc:
                    print(f"bad job: {exc}", file=sys.stderr, flush=True)
                    continue
                if job.get("fingerprint") != own:
                    for fd in fds:
                        os.close(fd)
                    _forget(sock_path, pid_path)  # before the reply: the command starts a fresh one
                    _reply(conn, stale=True)
                    break
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    run_job(conn, job, fds)
                for fd in fds:
                    os.close(fd)
                children.add(pid)
                last = time.monotonic()
    finally:
        listener.close()
        _forget(sock_path, pid_path)


def _forget(sock_path: Path, pid_path: Path) -> None:
    """Remove socket and pid file if they are still this worker's (a fresh one may own them)."""
    try:
        if int(pid_path.read_text()) == os.getpid():
            pid_path.unlink(missing_ok=True)
            sock_path.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    serve(Path(sys.argv[1]), Path(sys.argv[2]))
