"""Engine and sessions. SQLite (WAL, busy timeout) by default; any SQLAlchemy URL otherwise.

Opening a database brings its schema to the newest Alembic revision, so a new user never runs
a migration by hand.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # parallel page tasks write one at a time
    cur.close()


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600) before SQLite opens it: it holds
    the accounts' password hashes and the application's secrets. SQLite gives the -wal and -shm
    files the database file's permissions. An existing file is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # a folder we cannot write: SQLite reports that in its own words, as before


def open_to_others(url: str) -> Path | None:
    """The SQLite database file when other users may read or write it (made before 0600 was the rule)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    try:
        return path if path.stat().st_mode & 0o077 else None
    except OSError:
        return None


def make_private(path: Path) -> list[Path]:
    """Tighten an existing SQLite database and its -wal and -shm files to 0600 when other users may
    read them and this process's user owns them (a file made before 0600 was the rule, or copied
    with cp): they hold the password hashes and the session key. A file another user owns is left
    as it is (`review serve` warns about it). Returns the files changed."""
    changed = []
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            st = f.stat()
            if st.st_uid == os.geteuid() and st.st_mode & 0o077:
                f.chmod(0o600)
                changed.append(f)
        except OSError:
            continue  # absent, or not ours to change
    if changed:
        logging.getLogger(__name__).warning(
            "%s could be read by other users (it holds password hashes and the session key): made it 0600",
            path)
    return changed


_PASSWORDS: dict[str, str] = {}


def remember_password(url: str, password: str) -> None:
    """The password of a database whose URL is passed around without it (see Settings.db_password)."""
    _PASSWORDS[url] = password


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.password is None and url in _PASSWORDS:
        parsed = parsed.set(password=_PASSWORDS[url])
        url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            if _read_only(Path(parsed.database)):
                # A database file we may not write (a read-only copy, a mount): open it read-only
                # and immutable (no -shm/-wal files to make), so `status`, `show` and `export` work.
                path = Path(parsed.database).resolve()
                # immutable only where SQLite could not make its -shm file; a database left
                # without one was closed cleanly, so its -wal file holds nothing unread
                immutable = "" if os.access(path.parent, os.W_OK) or Path(f"{path}-shm").exists() else "&immutable=1"
                url = f"sqlite:///file:{path}?mode=ro{immutable}&uri=true"
                return create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(parsed.database))
            make_private(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2") :
        try:
            import psycopg  # noqa: F401  (psycopg 3 is what the project installs)

            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        except ImportError:
            pass
    return create_engine(url, pool_pre_ping=True)


def _read_only(path: Path) -> bool:
    """An existing database file this process may not write (or whose folder it may not write:
    SQLite needs to make its journal files there)."""
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = None
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@functools.cache
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    if "mode=ro" not in str(engine.url):  # a read-only database is read as it is
        upgrade(engine)
    return engine


def sessions(url: str) -> sessionmaker[Session]:
    """A session factory for the database at ``url``, migrated on first use in this process."""
    return sessionmaker(_engine_for(url), expire_on_commit=False)


def engine(url: str) -> Engine:
    return _engine_for(url)
