"""What an ingest run reports, and the runs that need no workflow engine.

A command whose files are all duplicates of stored documents or missing reads no page: it is
answered here, in about a second, without starting Prefect (importing Prefect alone costs 2 s
of CPU here, its embedded server 12-14 s). Its run is recorded like any other.
"""

from __future__ import annotations

from pathlib import Path

from ingest.settings import Settings
from ingest.sources import sha256_file
from storage.documents import DocumentRepository

from .batch import BatchReport, FileResult, FileState
from .jobs import FileJob
from .steps import DocumentPlan, prepare_document
from .store import open_store


def record_run(repo: DocumentRepository, run_id: int, report: BatchReport) -> None:
    repo.finish_run(
        run_id, stored=report.count(FileState.STORED), duplicates=report.count(FileState.DUPLICATE),
        quarantined=report.count(FileState.QUARANTINED),
        pages=sum(f.pages for f in report.files if f.state == FileState.STORED),
        errors=[{"file": f.path, "reason": f.error} for f in report.failed], report=report.to_dict(),
    )


def nothing_to_read(jobs: list[FileJob], settings: Settings) -> bool:
    """Every file is missing or has the bytes of a stored document (stops at the first that is not,
    so a batch of new files costs one extra hash of its first file)."""
    repo = open_store(settings).documents
    for job in jobs:
        path = Path(job.path)
        if job.error or not path.is_file():
            continue
        try:
            digest = sha256_file(path)
        except OSError:
            continue  # unreadable: quarantined with its reason, no page read
        if repo.stored_id(digest) is None:
            return False
    return True


def report_without_reading(jobs: list[FileJob], settings: Settings, collection: str | None) -> BatchReport:
    """The run of a batch that `nothing_to_read` found needs no reading. A file that changed in
    between and now has pages to read is quarantined with that reason (the next run takes it up)."""
    repo = open_store(settings).documents
    run_id = repo.start_run(trigger="cli", collection=collection, files=len(jobs))
    report = BatchReport(run_id=run_id)
    for job in jobs:
        plan: DocumentPlan = prepare_document(job, settings, run_id)
        if plan.state not in (FileState.DUPLICATE, FileState.QUARANTINED):
            assert plan.document_id is not None, "only a file that could not be recorded has no document"
            repo.quarantine(plan.document_id, "changed while being checked; ingest it again")
            report.files.append(FileResult(job.path, FileState.QUARANTINED, plan.document_id,
                                           error="changed while being checked; ingest it again"))
            continue
        report.files.append(FileResult(job.path, plan.state, plan.document_id, error=plan.error))
    record_run(repo, run_id, report)
    return report
