"""Fixtures only: the shared data folder (read in place), throwaway databases and stores, the
bad-input corpus. Plain helpers are in tests/helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from ingest.settings import Settings  # noqa: E402
from tests.helpers import OCRMYPDF, PG_ADMIN_URL, SHARED, pg_available, throwaway_pg_database  # noqa: E402


@pytest.fixture(scope="session")
def shared() -> Path:
    assert SHARED.is_dir(), f"shared data folder missing: {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def pg_database():
    """A throwaway PostgreSQL database for this test session."""
    if not pg_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    with throwaway_pg_database("archive_test") as url:
        yield url
        from storage import db

        db._engine_for.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/archive.db"
    base = request.getfixturevalue("pg_database")
    return base


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(db_url=f"sqlite:///{tmp_path}/archive.db", files_dir=str(tmp_path / "files"), workers=2)


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory) -> dict[str, Path]:
    """The bad-input corpus: generated files plus the damaged files of the shared data."""
    from PIL import Image

    d = tmp_path_factory.mktemp("bad")
    (d / "empty.png").write_bytes(b"")
    (d / "not-an-image.jpg").write_text("minutes of the meeting, typed\n")
    (d / "no-pages.pdf").write_bytes(
        b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )
    Image.new("1", (13000, 13000), 1).save(d / "bomb.png")  # 169 MP in 46 KB
    return {
        "empty": d / "empty.png",
        "not_image": d / "not-an-image.jpg",
        "no_pages": d / "no-pages.pdf",
        "bomb": d / "bomb.png",
        "invalid_pdf": OCRMYPDF / "invalid.pdf",
        "encrypted_r4": OCRMYPDF / "derived" / "encrypted_r4_nouserpw.pdf",
        "encrypted_r6": OCRMYPDF / "derived" / "encrypted_r6_userpw.pdf",
        "truncated_pdf": OCRMYPDF / "derived" / "skew_truncated_half.pdf",
        "damaged_jpeg": OCRMYPDF / "derived" / "francais_damaged_jpeg.pdf",
    }


@pytest.fixture(scope="session", autouse=True)
def reattach_rule():
    """What flows.app.store does for the application: tests that build repositories directly read
    reviewers' versions through the same rule (qa.review.versions.reattach)."""
    from qa.review.versions import reattach
    from storage.versions import use_attach_rule

    use_attach_rule(reattach)
