"""Plain helpers the tests share (paths, the bad-input reasons, PostgreSQL, the local Prefect
server): imported as `tests.helpers` (the project root is on pytest's pythonpath). Fixtures live in
conftest.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.shared import SHARED

ROOT = Path(__file__).resolve().parents[1]
OCRMYPDF = SHARED / "data" / "ocrmypdf-resources"
VIET = SHARED / "data" / "vietnamese-ocr"
EXAMPLES = ROOT / "examples"  # its `texts` module is importable as `texts` (pytest's pythonpath)
PG_ADMIN_URL = os.environ.get("ARCHIVE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@contextmanager
def throwaway_pg_database(prefix: str) -> Iterator[str]:
    """A PostgreSQL database made for the caller (SQLAlchemy URL), dropped afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')



@contextmanager
def fresh_db_url(kind: str, tmp_path: Path, prefix: str) -> Iterator[str]:
    """An empty database of its own for one test: a new SQLite file under tmp_path, or a throwaway
    PostgreSQL database named after prefix (the test is skipped when PostgreSQL is not reachable)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/{prefix}.db"
        return
    if not pg_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    with throwaway_pg_database(prefix) as url:
        yield url

# The reason each bad input must give (a fragment of the one-line message).
BAD_REASONS = {
    "empty": "empty file",
    "not_image": "not a PNG, JPEG, TIFF or PDF",
    "no_pages": "no pages",
    "bomb": "decompression bomb",
    "invalid_pdf": "damaged or invalid PDF",
    "encrypted_r4": "encrypted",
    "encrypted_r6": "encrypted with a password",
    "truncated_pdf": "damaged or invalid PDF",
    "damaged_jpeg": "damaged JPEG",
}


def stop_local_server(env: dict, cwd: Path) -> None:
    """Stop the Prefect server that `archive-ingest` commands started in the background under this
    environment's HOME: a test leaves none running."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("archive-ingest")
    subprocess.run([str(exe), "server", "stop"], cwd=cwd, env=env, capture_output=True, timeout=120)
