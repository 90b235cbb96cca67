"""The repositories and the file store of one database, built once per process."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ingest.settings import Settings, secret
from qa.review.versions import reattach
from storage import db
from storage.accounts import AccountRepository
from storage.alignments import AlignmentRepository
from storage.documents import DocumentRepository
from storage.exports.load import ExportRepository
from storage.files import FileStore
from storage.flags import FlagRepository
from storage.review import ReviewRepository
from storage.review_queue import ReviewQueueRepository
from storage.search import SearchRepository
from storage.versions import use_attach_rule

# storage reads reviewers' versions through the review rule that re-attaches them after a re-read
use_attach_rule(reattach)


@dataclass(frozen=True)
class Store:
    db_url: str
    files_dir: str
    documents: DocumentRepository
    alignments: AlignmentRepository
    flags: FlagRepository
    review: ReviewRepository
    queue: ReviewQueueRepository  # the review queue, one item per passage
    accounts: AccountRepository
    search: SearchRepository
    exports: ExportRepository
    files: FileStore


@functools.cache
def _open(db_url: str, files_dir: str) -> Store:
    return Store(db_url=db_url, files_dir=files_dir, documents=DocumentRepository(db_url),
                 alignments=AlignmentRepository(db_url), flags=FlagRepository(db_url),
                 review=ReviewRepository(db_url), queue=ReviewQueueRepository(db_url),
                 accounts=AccountRepository(db_url),
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
