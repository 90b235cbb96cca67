"""Prefect flows that only orchestrate: which pages run in parallel, retries, run records.

`ingest_batch` plans every file, then maps one task per page across all of them, so a batch of
single-page scans keeps every core busy; each document still succeeds or fails on its own.
"""

from __future__ import annotations

import time

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from ingest.errors import TransientError
from ingest.ocr import sweep_ocr_temp
from ingest.settings import Settings, load_settings
from storage.documents import DocumentRepository

from . import progress
from .app.batch import (
    BatchReport,
    FileResult,
    FileState,
    document_confidence,
    earlier_twin_result,
    plan_error,
    quarantine_after_fault,
    same_bytes_result,
)
from .app.faults import one_line
from .app.ingest import record_run
from .app.jobs import FileJob
from .app.originals import claim_file_store
from .app.pages import PageOutcome, ingest_page
from .app.pairing import pair_and_align
from .app.steps import UNREAD_STATES, DocumentPlan, FileStart, finish_document, start_document
from .app.store import RunOptions, open_store, run_options, settings_of


def _transient(task, task_run, state) -> bool:
    """Retry timeouts, killed Tesseract processes and a locked database, nothing else."""
    try:
        state.result()
    except TransientError:
        return True
    except Exception as exc:  # noqa: BLE001 - classified by name to avoid importing drivers
        return type(exc).__name__ in {"OperationalError", "TimeoutError"}
    return False


@task(name="ingest-file", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1,
      retry_condition_fn=_transient)
def file_task(job: FileJob, run_id: int | None, options: RunOptions) -> FileStart:
    """Plan a file; a one-page file's page is read in the same task run (steps.start_document)."""
    return start_document(job, settings_of(options), run_id)


@task(name="ingest-page", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=_transient, task_run_name="page {number} of document {document_id}")
def page_task(document_id: int, path: str, media_type: str, number: int, lang: str,
              options: RunOptions) -> PageOutcome:
    return ingest_page(document_id, path, media_type, number, lang, settings_of(options))


@task(name="align-documents", cache_policy=NO_CACHE, retries=1, retry_condition_fn=_transient)
def align_task(document_ids: list[int], options: RunOptions) -> list[dict]:
    return pair_and_align(document_ids, settings_of(options))


def _warm_flag_rules() -> None:
    """Load the flag rules and their word lists (about 0.5 s of CPU on the first document, more under
    load) while the first pages are read: Tesseract runs in processes of its own, so this thread
    takes no time from the page and a one-page ingest ends sooner."""
    try:
        from qa.spelling import unknown_words

        unknown_words([("the", False)])
    except Exception:  # noqa: BLE001 - a warm-up only; flag_document reports any real error
        pass


def _run_batch(jobs: list[FileJob], settings: Settings, run_id: int) -> BatchReport:
    import queue
    import threading

    threading.Thread(target=_warm_flag_rules, name="warm-flag-rules", daemon=True).start()
    report = BatchReport(run_id=run_id)
    options = run_options(settings)  # what the tasks carry: plain values, no secret
    finished: queue.Queue = queue.Queue()  # futures as they end: a file's pages go as soon as it is planned
    file_of = {}
    for i, job in enumerate(jobs):
        # a page a file until its plan says otherwise: a one-page file's plan comes with its page read
        progress.reporter().planned(job.path, 1)
        fut = file_task.submit(job, run_id, options)
        file_of[fut] = i
        fut.add_done_callback(finished.put)
    starts: dict[int, FileStart | object] = {}
    page_futures: dict = {}
    by_doc: dict[int, list[PageOutcome]] = {}
    pending: dict[int, int] = {}
    results: dict[str, FileResult] = {}
    waiting = len(jobs)
    while waiting:
        fut = finished.get()
        waiting -= 1
        if fut not in file_of:  # a page of a document of several pages
            plan, number = page_futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # retries exhausted: the page fails, the batch goes on
                outcome = PageOutcome(plan.document_id, number, ok=False, error=one_line(exc))
            _page_done(plan, outcome, by_doc, pending, settings, results)
            continue
        start = starts[file_of[fut]] = fut.result(raise_on_failure=False)
        if not isinstance(start, FileStart) or start.plan.state in UNREAD_STATES:
            progress.reporter().planned(jobs[file_of[fut]].path, -1)  # no page read after all
            continue  # reported once every file is planned (below)
        plan = start.plan
        # only a file that could not be recorded lacks a document or media type, and it is quarantined
        assert plan.document_id is not None and plan.media_type is not None, "a plan to read names its document"
        progress.reporter().planned(plan.path, len(plan.pages_todo) - 1)
        by_doc[plan.document_id] = []
        pending[plan.document_id] = len(plan.pages_todo)
        if start.page is not None:  # a one-page file: read with its plan
            _page_done(plan, start.page, by_doc, pending, settings, results)
            continue
        for number in plan.pages_todo:
            page = page_task.submit(plan.document_id, plan.path, plan.media_type, number,
                                    jobs[file_of[fut]].lang or settings.lang, options)
            page_futures[page] = (plan, number)
            page.add_done_callback(finished.put)
            waiting += 1
        if not plan.pages_todo:  # resumed after every page was stored
            _finish(plan, [], settings, results)
    _report_unread(jobs, starts, settings, run_id, results)
    report.files = [results[job.path] for job in jobs if job.path in results]
    stored = [f.document_id for f in report.files if f.state == FileState.STORED and f.document_id is not None]
    if stored:  # pair originals with translations that are now both stored, and align them
        report.alignments = align_task.submit(stored, options).result(raise_on_failure=False)
        if not isinstance(report.alignments, list):
            report.alignments = [{"error": plan_error(report.alignments)}]
    return report


def _page_done(plan: DocumentPlan, outcome: PageOutcome, by_doc: dict, pending: dict, settings: Settings,
               results: dict) -> None:
    assert plan.document_id is not None  # only plans with a document have pages
    progress.reporter().page_done(plan.path, outcome.number, outcome.ok)
    by_doc[plan.document_id].append(outcome)
    pending[plan.document_id] -= 1
    if pending[plan.document_id] == 0:
        _finish(plan, by_doc[plan.document_id], settings, results)


def _report_unread(jobs: list[FileJob], starts: dict, settings: Settings, run_id: int, results: dict) -> None:
    """The files that read no page: crashed, duplicate, quarantined, busy, or the same bytes as
    another file (reported as that one ended)."""
    plans = {i: s.plan for i, s in starts.items() if isinstance(s, FileStart)}
    first_of: dict[int, str] = {}  # document id -> the file of this batch whose claim went first
    for i, job in enumerate(jobs):  # the file that read a document is its first; a file that came
        # later with the same bytes found it stored (duplicate) or being read (twin)
        doc_id = plans[i].document_id if i in plans else None
        if doc_id is not None and plans[i].state not in UNREAD_STATES:
            first_of.setdefault(doc_id, job.path)
    for i, job in enumerate(jobs):
        doc_id = plans[i].document_id if i in plans else None
        if doc_id is not None and plans[i].state != "twin":
            first_of.setdefault(doc_id, job.path)
    twins: list[tuple[str, int]] = []
    for i, job in enumerate(jobs):
        plan = plans.get(i)
        if plan is None:  # the file task itself crashed
            results[job.path] = FileResult(job.path, FileState.QUARANTINED, None,
                                           error=f"internal error: {plan_error(starts[i])}")
        elif plan.state not in UNREAD_STATES:
            continue  # read and finished above
        elif plan.document_id is not None and first_of.get(plan.document_id, job.path) != job.path:
            twins.append((job.path, plan.document_id))  # the same bytes twice: read once
        elif plan.state == "twin":  # an earlier file of this run (a nightly subflow) had these bytes
            assert plan.document_id is not None, "a twin names the earlier document"
            results[job.path] = earlier_twin_result(job.path, plan.document_id, settings, run_id)
        else:
            results[job.path] = FileResult(job.path, plan.state, plan.document_id, error=plan.error)
    for path, document_id in twins:
        results[path] = same_bytes_result(path, document_id, results[first_of[document_id]], settings, run_id)


def _finish(plan: DocumentPlan, outcomes: list[PageOutcome], settings: Settings, results: dict) -> None:
    assert plan.document_id is not None, "only a plan with a document is finished"
    try:
        error = finish_document(plan, outcomes, settings)
    except Exception as exc:  # the database refused the last step: the document fails, the batch goes on
        error = quarantine_after_fault(plan.document_id, exc, settings)
    results[plan.path] = FileResult(
        plan.path, FileState.QUARANTINED if error else FileState.STORED, plan.document_id, pages=plan.page_count,
        mean_confidence=document_confidence(plan.document_id, settings), error=error,
        workers=sorted({o.worker for o in outcomes if o.worker}),
    )


def sweep_store(repo: DocumentRepository, settings: Settings, run_id: int, started: float) -> int:
    """Remove what killed runs left in the image store, when no other run is writing to it."""
    from storage.files import FileStore

    if repo.other_active_runs(run_id):
        return 0
    return FileStore(settings.files_dir).sweep(repo.referenced_images(), older_than=started)


def _runner(settings: Settings):
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=settings.dask_address)
    return ThreadPoolTaskRunner(max_workers=max(1, settings.workers))


# Prefect types FlowDecorator.task_runner as TaskRunner[PrefectFuture]; ThreadPoolTaskRunner is generic over
# PrefectConcurrentFuture, which the invariant parameter rejects although it is the default runner
@flow(name="ingest-batch", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)  # type: ignore[arg-type]
def ingest_batch(jobs: list[FileJob], settings: Settings | None = None, collection: str | None = None,
                 trigger: str = "cli") -> BatchReport:
    """Ingest many files; each document is stored or quarantined on its own."""
    settings = settings or load_settings()
    claim_file_store(settings)  # refuses a store another database owns, before anything is written
    sweep_ocr_temp()  # page images a killed run left for Tesseract
    repo = open_store(settings).documents
    started = time.time()
    run_id = repo.start_run(trigger=trigger, collection=collection, files=len(jobs))
    report = _run_batch(jobs, settings, run_id)
    record_run(repo, run_id, report)
    sweep_store(repo, settings, run_id, started)
    return report


# Prefect types FlowDecorator.task_runner as TaskRunner[PrefectFuture]; ThreadPoolTaskRunner is generic over
# PrefectConcurrentFuture, which the invariant parameter rejects although it is the default runner
@flow(name="ingest-document", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)  # type: ignore[arg-type]
def ingest_document(job: FileJob, settings: Settings | None = None, run_id: int | None = None) -> FileResult:
    """Ingest one file: a task per page, mapped."""
    settings = settings or load_settings()
    repo = open_store(settings).documents
    own_run = run_id is None
    if run_id is None:  # own_run
        run_id = repo.start_run(trigger="document", collection=job.collection, files=1)
    report = _run_batch([job], settings, run_id)
    if own_run:
        record_run(repo, run_id, report)
    return report.files[0]


def with_runner(settings: Settings):
    """The batch flow with a task runner sized from settings (workers, or a Dask cluster)."""
    return ingest_batch.with_options(task_runner=_runner(settings))


@flow(name="ingest-files", log_prints=False)
def ingest_files(paths: list[str], collection: str | None = None, lang: str | None = None) -> dict:
    """On-demand ingest of files or folders by path (what the `ingest-files` deployment runs)."""
    from pathlib import Path

    from ingest.ocr import check_languages
    from ingest.sources import find_input_files

    from .app.inbox import read_sidecar

    settings = load_settings()
    check_languages(lang or settings.lang, settings.tessdata_dir)  # one clear error before any file is touched
    jobs = []
    for f in find_input_files([Path(p) for p in paths], follow_symlinks=settings.follow_symlinks):
        if f.problem:
            jobs.append(FileJob(str(f.path), collection=collection, lang=lang, error=f.problem))
            continue
        try:  # a file queued with metadata (`queue --now --title ...`) carries its sidecar
            side = read_sidecar(f.path)
        except ValueError as exc:
            jobs.append(FileJob(str(f.path), collection=collection, lang=lang, error=str(exc)))
            continue
        jobs.append(FileJob(str(f.path), collection=side.get("collection") or collection,
                            lang=side.get("lang") or lang, metadata=dict(side.get("metadata", {}))))
    # the subflow loads the same settings from the environment: none are passed to Prefect
    report = with_runner(settings)(jobs, collection=collection, trigger="deployment")
    return report.to_dict()


@task(name="reprocess-page", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=_transient, task_run_name="reprocess page {number} of document {document_id}")
def reprocess_page_task(document_id: int, number: int, lang: str, options: RunOptions) -> PageOutcome:
    from .app.pages import reprocess_page

    return reprocess_page(document_id, number, lang, settings_of(options))


@task(name="flag-document", cache_policy=NO_CACHE, retries=1, retry_condition_fn=_transient)
def flag_task(document_id: int, options: RunOptions) -> int:
    from .app.steps import flag_document

    return flag_document(document_id, settings_of(options))


# Prefect types FlowDecorator.task_runner as TaskRunner[PrefectFuture]; ThreadPoolTaskRunner is generic over
# PrefectConcurrentFuture, which the invariant parameter rejects although it is the default runner
@flow(name="reprocess-document", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)  # type: ignore[arg-type]
def reprocess_document(document_id: int, lang: str | None = None, ocr: bool = True,
                       settings: Settings | None = None) -> dict:
    """Recompute a stored document: with `ocr`, read its stored page images again (new settings,
    better models); always its flags, sentences and alignment (after a reviewer's correction the
    text changed but the pages need no new reading: `ocr=False`)."""
    settings = settings or load_settings()
    repo = open_store(settings).documents
    doc = repo.get_document(document_id)
    if doc is None:
        raise ValueError(f"no document {document_id}")
    options = run_options(settings)  # what the tasks carry: plain values, no secret
    outcomes = []
    if ocr:
        futures = [reprocess_page_task.submit(document_id, p.number, lang or doc.lang, options) for p in doc.pages]
        outcomes = [f.result() for f in futures]
    failed = [o for o in outcomes if not o.ok]
    flags = flag_task.submit(document_id, options).result()
    realigned = align_task.submit([document_id], options).result()  # its text changed: align again
    return {"document_id": document_id, "pages": len(outcomes), "failed": [o.error for o in failed],
            "flags": flags, "alignments": realigned}
