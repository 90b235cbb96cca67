"""What a batch reports per file, and how faults inside a batch become one file's failure.

A page or a document that fails (a timeout, a full disk, a database that refuses a value) fails
that document only: it is quarantined with a one-line reason and the batch goes on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum

from ingest.settings import Settings
from storage.models import DocumentStatus

from .faults import one_line
from .store import open_store


class FileState(StrEnum):
    """How a file of a batch ended (as the run report and the CLI say it)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    BUSY = "busy"  # another run is reading it now


@dataclass
class FileResult:
    path: str
    state: str  # a FileState
    document_id: int | None
    pages: int = 0
    mean_confidence: float | None = None
    error: str | None = None  # the quarantine reason; for "duplicate"/"busy", what it duplicates
    workers: list[str] = field(default_factory=list)  # where its pages were read


@dataclass
class BatchReport:
    run_id: int
    files: list[FileResult] = field(default_factory=list)
    alignments: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.state == FileState.QUARANTINED]

    def count(self, state: str) -> int:
        return sum(1 for f in self.files if f.state == state)

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "files": [asdict(f) for f in self.files], "alignments": self.alignments}


def plan_error(state_or_exc) -> str:
    """One line for a task that crashed (a Prefect state or an exception)."""
    if isinstance(state_or_exc, BaseException):
        return one_line(state_or_exc)
    try:
        state_or_exc.result()
    except BaseException as exc:  # noqa: BLE001 - the task's own exception, shown as one line
        return one_line(exc)
    return one_line(RuntimeError(str(state_or_exc)))


def quarantine_after_fault(document_id: int, exc: BaseException, settings: Settings) -> str:
    """Quarantine a document whose last step raised; the reason is one line, never a SQL dump."""
    reason = f"could not be stored: {one_line(exc)}"
    try:
        open_store(settings).documents.quarantine(document_id, reason)
    except Exception:  # noqa: BLE001 - the database itself is gone: the run report still says why
        pass
    return reason


def document_confidence(document_id: int | None, settings: Settings) -> float | None:
    """Mean OCR confidence over all the document's stored pages (a resumed run included those the
    killed run stored), not just the pages this run read."""
    if document_id is None:
        return None
    try:
        return open_store(settings).documents.mean_confidence(document_id)
    except Exception:  # noqa: BLE001 - a report figure is not worth failing the document for
        return None


def same_bytes_result(path: str, document_id: int, first: FileResult, settings: Settings,
                      run_id: int | None = None) -> FileResult:
    """A file with the same bytes as an earlier file of the batch: read once. If the first was
    stored (or already was), this one is a duplicate of it; if it failed, this file gets its own
    quarantine record with the same reason (each failed path stays findable)."""
    if first.state == FileState.QUARANTINED:
        from pathlib import Path

        doc_id = open_store(settings).documents.quarantine_unread(
            source_path=str(Path(path).resolve()), filename=Path(path).name, reason=first.error or "failed",
            collection=None, lang=settings.lang, run_id=run_id)
        return FileResult(path, FileState.QUARANTINED, doc_id, error=first.error)
    return FileResult(path, FileState.DUPLICATE, document_id, error=f"same bytes as {first.path}")


def earlier_twin_result(path: str, document_id: int, settings: Settings, run_id: int | None) -> FileResult:
    """A file whose bytes an earlier file of the same run had (the nightly run ingests file by
    file): as that file ended, or busy while it is still being read."""
    doc = open_store(settings).documents.get_document(document_id)
    ended: dict[str, FileState] = {DocumentStatus.STORED: FileState.STORED,
                                   DocumentStatus.QUARANTINED: FileState.QUARANTINED}
    state = ended.get(doc.status if doc else "", FileState.BUSY)
    first = FileResult(doc.source_path if doc else "?", state, document_id, error=doc.error_reason if doc else None)
    if state == FileState.BUSY:
        return FileResult(path, FileState.BUSY, document_id, error="being ingested by another file of this run")
    return same_bytes_result(path, document_id, first, settings, run_id)
