"""The repositories and the file store of one database, built once per process.

A Prefect task carries a `RunOptions` (the database URL without its password, the image folder and
the other options as plain values), never the settings: Prefect records task parameters, and the
settings hold secrets. The task's body gets the settings, and so its Store, back from here: those
its flow registered in this process, or, on a worker in another process, the task's values with the
secrets of the worker's environment.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from typing import Any

from ingest.settings import SECRETS, Settings, load_settings, secret
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


@dataclass(frozen=True)
class RunOptions:
    """What a task carries instead of the settings: plain values, no secret."""

    db_url: str  # without its password (Settings keep that apart)
    files_dir: str
    options: tuple[tuple[str, object], ...] = ()  # every other setting but the secrets, by name


_REGISTERED: dict[RunOptions, Settings] = {}


def run_options(settings: Settings) -> RunOptions:
    """Register a flow's settings in this process and name them for its tasks: its store, and its
    options so that a worker in another process reads pages with the flow's options too."""
    share_password(settings)
    options = tuple((f.name, getattr(settings, f.name)) for f in fields(settings)
                    if f.name not in SECRETS and f.name not in ("db_url", "files_dir"))
    ref = RunOptions(settings.db_url, str(settings.files_dir), options)
    _REGISTERED[ref] = settings
    return ref


def settings_of(ref: RunOptions) -> Settings:
    """The settings a task runs with: those its flow registered in this process; on a worker in
    another process (Dask), the task's values with this environment's secrets (the database
    password only if the environment names the same database)."""
    found = _REGISTERED.get(ref)
    if found is None:
        env = load_settings()
        options: dict[str, Any] = dict(ref.options)
        found = replace(env, **options, db_url=ref.db_url, files_dir=ref.files_dir,
                        db_password=env.db_password if env.db_url == ref.db_url else None)
        _REGISTERED[ref] = found
    return found
