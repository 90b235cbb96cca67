"""The units of work on a document that tasks wrap, tying ingest stages to storage. No Prefect here.

A document is planned (registered by content, its pages counted), its pages are read one by one
(`pages`), then it is finished (stored and flagged, or quarantined); pairs are aligned in
`pairing`. They take and return small values (ids, paths, numbers), never page images, so a task
can run in a thread, a process or on a Dask worker alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ingest.errors import IngestError
from ingest.settings import Settings
from ingest.sources import SYMLINK_REASON, PageLimits, inspect_document, sha256_file

from .jobs import FileJob
from .pages import PageOutcome, ingest_page
from .store import open_store


@dataclass(frozen=True)
class DocumentPlan:
    path: str
    document_id: int | None
    state: str  # "new" | "resume" | "duplicate" | "quarantined" | "busy" | "twin"
    media_type: str | None = None
    page_count: int = 0
    pages_todo: tuple[int, ...] = ()
    error: str | None = None


def page_limits(settings: Settings) -> PageLimits:
    return PageLimits(max_pixels=settings.max_pixels, max_pages=settings.max_pages,
                      max_stream_bytes=settings.max_stream_bytes, min_render_dpi=settings.min_render_dpi,
                      dpi=settings.dpi, max_pixels_per_byte=settings.max_pixels_per_byte)


def prepare_document(job: FileJob, settings: Settings, run_id: int | None) -> DocumentPlan:
    """Register a file by content and plan its pages; bad input is quarantined here."""
    repo = open_store(settings).documents
    path = Path(job.path)
    lang = job.lang or settings.lang
    if not settings.follow_symlinks and path.is_symlink() and not job.error:
        job = replace(job, error=SYMLINK_REASON)
    if job.error or not path.is_file():
        reason = job.error or ("is a directory, not a file" if path.is_dir() else "file not found")
        doc_id = repo.quarantine_unread(source_path=str(path), filename=path.name, reason=reason,
                                        collection=job.collection, lang=lang, run_id=run_id)
        return DocumentPlan(job.path, doc_id, "quarantined", error=reason)
    try:
        digest = sha256_file(path)
    except OSError as exc:
        reason = f"cannot read file: {exc.strerror or exc}"
        doc_id = repo.quarantine_unread(source_path=str(path), filename=path.name, reason=reason,
                                        collection=job.collection, lang=lang, run_id=run_id)
        return DocumentPlan(job.path, doc_id, "quarantined", error=reason)
    claim = repo.claim(sha256=digest, source_path=str(path.resolve()), filename=path.name,
                       size_bytes=path.stat().st_size, collection=job.collection, lang=lang, run_id=run_id)
    if claim.state == "duplicate":
        return DocumentPlan(job.path, claim.document_id, "duplicate")
    if claim.state == "same-run":  # another file of this batch has the same bytes: read once
        return DocumentPlan(job.path, claim.document_id, "twin")
    if claim.state == "busy":  # the same bytes are being read by another run right now
        return DocumentPlan(job.path, claim.document_id, "busy", error="being ingested by another run right now")
    try:
        from .originals import keep_original

        keep_original(open_store(settings), claim.document_id, path, digest)  # the deposit, byte for byte
        repo.set_record(claim.document_id, job.metadata)
        info = inspect_document(path, settings.max_pixels, limits=page_limits(settings))
    except IngestError as exc:
        repo.quarantine(claim.document_id, str(exc))
        return DocumentPlan(job.path, claim.document_id, "quarantined", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. the database refused a metadata value
        from .batch import quarantine_after_fault

        reason = quarantine_after_fault(claim.document_id, exc, settings)
        return DocumentPlan(job.path, claim.document_id, "quarantined", error=reason)
    done = repo.plan(claim.document_id, media_type=info.media_type, page_count=info.page_count)
    todo = tuple(n for n in range(1, info.page_count + 1) if n not in done)
    return DocumentPlan(job.path, claim.document_id, claim.state, info.media_type, info.page_count, todo)


# Plans of these states read no page: the file is reported as it is (twins once every file is planned)
UNREAD_STATES = ("duplicate", "quarantined", "busy", "twin")


@dataclass(frozen=True)
class FileStart:
    plan: DocumentPlan
    page: PageOutcome | None = None  # a one-page file's page, read in the same unit of work


def start_document(job: FileJob, settings: Settings, run_id: int | None) -> FileStart:
    """Plan a file and, when it is one page to read, read that page too: one task run for a one-page
    scan instead of two (a plan task, then a page task). The local Prefect server spent about 0.1 s of
    CPU per task run (bench/RESULTS.md, 0.21 s a one-page file), and the page no longer waits for
    every other file of the batch to be planned. A page that fails here in any way is left to its own
    page task (with that task's retries): this unit of work is retried only for its planning."""
    plan = prepare_document(job, settings, run_id)
    if plan.state in UNREAD_STATES or plan.page_count != 1 or plan.pages_todo != (1,):
        return FileStart(plan)
    assert plan.document_id is not None and plan.media_type is not None, "a plan to read names its document"
    try:
        page = ingest_page(plan.document_id, plan.path, plan.media_type, 1, job.lang or settings.lang, settings)
    except Exception:  # noqa: BLE001 - transient or not, the page task reads it again and reports it
        return FileStart(plan)
    return FileStart(plan, page)


def finish_document(plan: DocumentPlan, outcomes: list[PageOutcome], settings: Settings) -> str | None:
    """Stored when every page is; otherwise quarantined with the first page's reason."""
    assert plan.document_id is not None, "only a plan with a document is finished"
    repo = open_store(settings).documents
    failed = sorted((o for o in outcomes if not o.ok), key=lambda o: o.number)
    if failed:
        first = failed[0].error or "page failed"
        reason = first if first.startswith("page ") else f"page {failed[0].number}: {first}"
        if len(failed) > 1:
            reason += f" (and {len(failed) - 1} more page(s))"
        repo.quarantine(plan.document_id, reason)
        return reason
    repo.mark_stored(plan.document_id)
    flag_document(plan.document_id, settings)
    return None


def flag_document(document_id: int, settings: Settings) -> int:
    """Run the page rules over a stored document's words and store the flags."""
    from qa.flags import flag_page
    from storage.versions import reviewed_lines

    repo = open_store(settings).documents
    doc = repo.get_document(document_id)
    with repo.sessions() as s:
        reviewed = reviewed_lines(s, document_id)  # a reviewer's text replaces the OCR there
    flags = []
    for number, source, lines in repo.iter_page_words(document_id):
        if source != "ocr":
            continue
        skip = reviewed.get(number, [])
        found = flag_page(number, lines, (doc.lang if doc is not None else None) or settings.lang,
                          ambiguities=settings.confusions_path,
                          attested=settings.attested_paths or None)
        flags += [f for f in found if not any(a <= (f.line_number or 0) <= b for a, b in skip)]
    return open_store(settings).flags.replace(document_id, flags, scope="page")
