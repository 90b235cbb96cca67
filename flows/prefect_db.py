"""The local Prefect server's SQLite database on a fresh home: a copy of one migrated once per
installation, instead of replaying Prefect's 116 Alembic migrations.

A fresh database cost the first command 3.7 s of CPU at load 2 (7.3 s at load 8) and the server
40 MB of RSS for the migration scripts it loaded: replaying every migration since Prefect 2.0 on an
empty file. The result is the same file for every home, so the first server of an installation
that migrates a fresh database keeps a copy (`share/archive-ingest/prefect-VERSION.db` under the
installation's prefix; `make setup` makes it with `archive-ingest server prepare`), and a server on
a fresh home starts from that copy. Prefect still runs its migrations on start as always: on the
copy they find nothing to do (0.05 s), and a template from an older Prefect is never used (the
version is in its name). A read-only installation simply migrates every fresh database as before.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path


def template_path() -> Path:
    """Named after Prefect's version and the Prefect collections installed (each may add block
    types): a template made under other ones is never used."""
    import hashlib
    from importlib.metadata import entry_points

    import prefect

    collections = sorted(f"{ep.name}={ep.value}@{ep.dist.version if ep.dist else ''}"
                         for ep in entry_points(group="prefect.collections"))
    key = hashlib.sha256("\n".join(collections).encode()).hexdigest()[:8]
    return Path(sys.prefix) / "share" / "archive-ingest" / f"prefect-{prefect.__version__}-{key}.db"


def sqlite_file() -> Path | None:
    """The file of Prefect's database as its settings say, or None: not SQLite (a PostgreSQL the
    user configured) or in memory."""
    from prefect.settings import get_current_settings
    from sqlalchemy.engine import make_url

    url = get_current_settings().server.database.connection_url
    if url is None:
        return None
    parsed = make_url(url.get_secret_value())
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


async def prepare() -> None:
    """Before the server's own start: a missing SQLite database becomes a copy of the template, or
    is migrated here and becomes the template. A database whose block types are this installation's
    (noted beside it when it was copied or migrated here) is not registered again."""
    db_file = sqlite_file()
    if db_file is None:
        return
    template = template_path()
    marker = db_file.with_name(f"{db_file.name}.blocks")
    if db_file.exists():
        if _read(marker) == template.name:
            _skip_block_registration()
        return
    db_file.parent.mkdir(parents=True, exist_ok=True)
    if template.is_file():
        tmp = db_file.with_name(f".{db_file.name}.{os.getpid()}.tmp")
        shutil.copyfile(template, tmp)
        tmp.replace(db_file)
    else:
        await _migrate()
        _keep(db_file, template)
    marker.write_text(template.name, encoding="utf-8")
    _skip_block_registration()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


def _skip_block_registration() -> None:
    """The database holds this installation's block types (the template's name says which Prefect
    and which collections made them). Registering them again cost 0.6 s of CPU; Prefect's memo of
    that registration alone imports every Prefect collection to hash their block types first
    (prefect_dask: 408 modules, 0.45 s of CPU idle, 1.2 s at load 6, and 30 MB the server then
    kept), so both are off for this start."""
    from prefect.context import refresh_global_settings_context

    os.environ["PREFECT_API_BLOCKS_REGISTER_ON_START"] = "false"
    os.environ["PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION"] = "false"
    refresh_global_settings_context()


async def _migrate() -> None:
    """Prefect's migrations and its block types (the server registers those on every start of a
    fresh home: 1.3 s of CPU into an empty table, 0.6 s over the template's)."""
    from prefect.server.database import provide_database_interface
    from prefect.server.models.block_registration import run_block_auto_registration

    db = provide_database_interface()
    await db.create_db()
    async with await db.session() as session:
        await run_block_auto_registration(session=session)
        await session.commit()


def _keep(db_file: Path, template: Path) -> bool:
    """A consistent one-file copy (SQLite's backup, journal back to DELETE) written atomically."""
    tmp = template.with_name(f".{template.name}.{os.getpid()}.tmp")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        src, dst = sqlite3.connect(db_file), sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            src.close()
            dst.close()
        tmp.replace(template)
        return True
    except (OSError, sqlite3.Error):  # e.g. an installation this user may not write to
        tmp.unlink(missing_ok=True)
        return False


def make_template() -> Path | None:
    """`archive-ingest server prepare`: the template for this installation (made once; None if it
    cannot be written)."""
    import asyncio
    import tempfile

    template = template_path()
    if template.is_file():
        return template
    with tempfile.TemporaryDirectory(prefix="archive-ingest-prefect-") as tmp:
        db_file = Path(tmp) / "prefect.db"
        os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{db_file}"
        from prefect.context import refresh_global_settings_context
        from prefect.server.database import provide_database_interface

        refresh_global_settings_context()

        async def migrate():
            await _migrate()
            await (await provide_database_interface().engine()).dispose()

        asyncio.run(migrate())
        return template if _keep(db_file, template) else None
