"""The repositories and the file store of one database, built once per process."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ingest.settings import Settings, secret
from storage import db
from storage.accounts import AccountRepository
from storage.exports.load import ExportRepository
from storage.files import FileStore
from storage.repository import AlignmentRepository, FlagRepository, Repository
from storage.review import ReviewRepository
from storage.review_queue import ReviewQueue
from storage.search import SearchRepository


@dataclass(frozen=True)
class Store:
    db_url: str
    files_dir: str
    documents: Repository
    alignments: AlignmentRepository
    flags: FlagRepository
    review: ReviewRepository
    queue: ReviewQueue  # the review queue by passage, and the "not an error" decisions
    accounts: AccountRepository
    search: SearchRepository
    exports: ExportRepository
    files: FileStore


@functools.cache
def _open(db_url: str, files_dir: str) -> Store:
    return Store(db_url=db_url, files_dir=files_dir, documents=Repository(db_url),
                 alignments=AlignmentRepository(db_url), flags=FlagRepository(db_url),
                 review=ReviewRepository(db_url), queue=ReviewQueue(db_url), accounts=AccountRepository(db_url),
                 search=SearchRepository(db_url), exports=ExportRepository(db_url), files=FileStore(files_dir))


def share_password(settings: Settings) -> None:
    """Settings keep the database password apart from the URL (so that Prefect, which records each
    run's parameters, never sees it); the engine gets it from here, the one door to the database."""
    password = secret(settings.db_password)
    if password is not None:
        db.remember_password(settings.db_url, password)


def open_store(settings: Settings) -> Store:
    """The store for these settings' database and image folder (one per process and pair)."""
    share_password(settings)
    return _open(settings.db_url, str(settings.files_dir))
