"""The deposited files themselves: kept byte for byte, checked for fixity, exported on request;
and the image store's owner, so that two databases never share (and sweep) one store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.settings import Settings
from storage.models import DocumentStatus

from .faults import StoreUnavailable
from .store import Store, open_store

OWNER_MARKER = ".archive-store-owner"


def database_identity(store: Store) -> str:
    """A random identity made once and kept in the database (the `app_secrets` table)."""
    return "db-" + store.review.secret("store-identity")[:32]


def claim_file_store(settings: Settings) -> None:
    """Mark the image store as this database's, or refuse a store another database has marked:
    a sweep of a shared store would delete the other database's page images."""
    store = open_store(settings)
    root = Path(settings.files_dir)
    me = database_identity(store)
    marker = root / OWNER_MARKER
    try:
        owner = marker.read_text(encoding="utf-8").split()[0] if marker.is_file() else None
    except (OSError, IndexError) as exc:
        raise StoreUnavailable(f"image store {root}: owner marker unreadable ({exc})") from exc
    if owner is None:
        try:
            root.mkdir(parents=True, exist_ok=True)
            marker.write_text(f"{me}\n# the image store of the database {_safe_url(settings.db_url)}\n",
                              encoding="utf-8")
        except OSError as exc:
            raise StoreUnavailable(f"image store {root} is not writable: {exc.strerror or exc}") from exc
    elif owner != me:
        raise StoreUnavailable(
            f"image store {root} belongs to another database ({marker} says {owner}, this database is {me}); "
            "give each database its own ARCHIVE_FILES_DIR")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only a comment in the marker
        return "(unparsable URL)"


def keep_original(store: Store, document_id: int, path: Path, digest: str) -> str:
    """Store the deposited file's bytes under their sha256 and point the document at them."""
    suffix = path.suffix.lower().lstrip(".")
    if not suffix.isalnum() or len(suffix) > 5:
        suffix = "bin"
    key = store.files.put_stream(path, digest, suffix)
    store.documents.set_original(document_id, key)
    return key


@dataclass
class FixityReport:
    documents: int = 0
    files: int = 0
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # (doc, what, key, problem)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_fixity(store: Store, document_ids: list[int] | None = None) -> FixityReport:
    """Re-hash each original and page image: the key is the sha256 its bytes must have."""
    report = FixityReport()
    seen_docs = set()
    for doc_id, what, key in store.documents.stored_files(document_ids):
        seen_docs.add(doc_id)
        report.files += 1
        try:
            path = store.files.path(key)
        except ValueError:
            report.problems.append((doc_id, what, key, "not a file-store key"))
            continue
        if not path.is_file():
            report.problems.append((doc_id, what, key, "missing"))
            continue
        h = hashlib.sha256()
        try:
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
        except OSError as exc:
            report.problems.append((doc_id, what, key, f"unreadable: {exc.strerror or exc}"))
            continue
        if h.hexdigest() != key.partition(".")[0]:
            report.problems.append((doc_id, what, key, f"changed (sha256 now {h.hexdigest()[:12]}…)"))
    report.documents = len(seen_docs)
    return report


def rotating_sample(store: Store, run_id: int, size: int) -> list[int]:
    """The stored documents a nightly run checks: a different slice each night, all of them in
    turn (run ids increase, so the window moves on)."""
    ids = store.documents.document_ids(status=DocumentStatus.STORED)
    if len(ids) <= size:
        return ids
    start = (run_id * size) % len(ids)
    return (ids[start:] + ids[:start])[:size]


def export_original(settings: Settings, doc, folder: Path) -> str | None:
    """Copy a document's original into ``folder`` (named by its sha256); the relative name, or None."""
    key = getattr(doc, "original_file", None)
    if not key:
        return None
    target = folder / key  # named by its sha256: two documents never collide, a copy is never redone
    if not target.exists():
        open_store(settings).files.copy_to(key, target)
    return f"{folder.name}/{key}"
