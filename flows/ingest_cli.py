"""`archive-ingest ingest`, `queue` and `nightly`: reading files now, handing them in for the
night, and the nightly run by hand. Thin adapters over flows.app.jobs, flows.app.handin and
flows.app.reports; the flows themselves run on the local Prefect server (flows.runtime)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.settings import Settings

from .app.faults import ExitCode, printable
from .cli_common import check_lang, err, fail, out, quiet_task_errors, read_settings, say


class _ProgressReporter:
    """Feeds the flow's page events into one Rich progress bar."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task = progress.add_task("pages", total=0, file="")

    def planned(self, path: str, pages: int) -> None:
        total = self.progress.tasks[0].total or 0
        self.progress.update(self.task, total=total + pages)

    def page_done(self, path: str, number: int, ok: bool) -> None:
        from rich.markup import escape

        self.progress.update(self.task, advance=1, file=escape(f"{printable(Path(path).name)} p.{number}"))


def ingest(
    paths: list[Path] = typer.Argument(None, help="Files or folders (searched recursively) to ingest."),
    collection: str | None = typer.Option(None, "--collection", "-c", help="Collection name for these files."),
    lang: str | None = typer.Option(None, "--lang", "-l", help="OCR language: any installed Tesseract model "
                                                                   "or combination (vie, eng, ces, dan+deu)."),
    manifest: Path | None = typer.Option(None, "--manifest", "-m",
                                            help="CSV with a 'file' column and record metadata, one row per file."),
    translation: Path | None = typer.Option(None, "--translation", "-t",
                                               help="The English translation of the one original given "
                                                    "(text file, PDF or scans): ingested, paired and aligned."),
    follow_symlinks: bool = typer.Option(False, "--follow-symlinks",
                                         help="Ingest what symbolic links point at (skipped by default)."),
) -> None:
    """Read, preprocess and OCR files, and store them as records. Exit 2 if any file failed."""
    settings = read_settings()
    if follow_symlinks:
        from dataclasses import replace

        settings = replace(settings, follow_symlinks=True)
    if lang:
        check_lang(lang, settings)
    from ingest.manifest import ManifestError, read_manifest

    from .app.jobs import JobError, check_job_languages, ingest_jobs, with_translation

    rows = []
    if manifest:
        try:
            rows = read_manifest(manifest, warn=lambda message: err.print(f"warning: {printable(message)}",
                                                                          markup=False))
        except ManifestError as exc:
            fail(str(exc))
    try:
        jobs = ingest_jobs(list(paths or []), rows, manifest=manifest, collection=collection, lang=lang,
                           follow_symlinks=settings.follow_symlinks)
        if translation is not None:
            jobs = with_translation(jobs, translation)
    except JobError as exc:
        fail(str(exc))
    check_job_languages(jobs, settings)  # a language model is missing: nothing can be read

    from .app.originals import claim_file_store

    claim_file_store(settings)  # refuses a page store that another database owns, before any reading
    started = time.perf_counter()
    from .app.ingest import nothing_to_read, report_without_reading

    if nothing_to_read(jobs, settings):  # duplicates and missing files: no page to read, no engine
        report = report_without_reading(jobs, settings, collection)
    else:
        report = _run_flow(jobs, settings, collection)
    from .app.reports import ingest_report

    say(ingest_report(report, time.perf_counter() - started))
    raise typer.Exit(ExitCode.FILES_FAILED if report.failed else ExitCode.OK)


def _run_flow(jobs, settings: Settings, collection: str | None):
    from .runtime import Engine

    try:
        engine = Engine(settings, wait=False)  # a first command launches the server ...
    except (OSError, RuntimeError) as exc:
        fail(f"workflow engine: {exc}")
    if engine.starting:  # the first page is read while the server starts (flows.app.early)
        from .app.early import start as read_first_page

        read_first_page(jobs, settings)
    from . import progress as progress_hook
    from .ingest import with_runner  # ... and imports Prefect while it starts

    quiet_task_errors()

    err.print(f"Ingesting {len(jobs)} file(s)" + (" (starting the workflow engine)..." if engine.starting else "..."))
    try:
        engine.ready()
    except RuntimeError as exc:
        fail(f"workflow engine: {exc}")
    with Progress(TextColumn("[bold]pages"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[file]}"), console=err, transient=False) as bar:
        progress_hook.set_reporter(_ProgressReporter(bar))
        try:
            with engine.run_settings():
                return with_runner(settings)(jobs, settings=settings, collection=collection)
        finally:
            progress_hook.set_reporter(None)


def queue(
    paths: list[Path] = typer.Argument(..., help="Files or folders to hand in."),
    collection: str | None = typer.Option(None, "--collection", "-c", help="Collection of these files."),
    lang: str | None = typer.Option(None, "--lang", "-l", help="OCR language of these files (vie, eng, vie+eng)."),
    title: str | None = typer.Option(None, "--title", help="Record title."),
    date: str | None = typer.Option(None, "--date", help="Record date (ISO as far as known: 1968, 1968-10-15)."),
    record_id: str | None = typer.Option(None, "--record-id", help="The archive's own id of the record."),
    translation_of: str | None = typer.Option(None, "--translation-of",
                                              help="record id of the original this translates."),
    source_archive: str | None = typer.Option(None, "--source-archive", help="Archive holding the original."),
    translator: str | None = typer.Option(None, "--translator", help="Who translated it."),
    rights: str | None = typer.Option(None, "--rights", help="Rights statement."),
    summary: str | None = typer.Option(None, "--summary", help="A short summary for the record page."),
    citation: str | None = typer.Option(None, "--citation", help="How to cite the record."),
    now: bool = typer.Option(False, "--now", help="Also start an `ingest-files` run on the Prefect server now."),
) -> None:
    """Copy scans into the inbox (atomically) for the nightly run, or start a run now. The
    collection, language and record metadata go into a sidecar beside each file
    (FILE.meta.json), which the nightly run applies; an inbox folder may also hold a manifest.csv."""
    from .app.handin import plan_hand_in, record_metadata, start_ingest_now
    from .app.inbox import queue_file
    from .app.jobs import JobError

    settings = read_settings()
    if lang:
        check_lang(lang, settings)
    inbox = Path(settings.inbox_dir)
    metadata = record_metadata(title=title, date=date, record_id=record_id, translation_of=translation_of,
                               source_archive=source_archive, translator=translator, rights=rights,
                               summary=summary, citation=citation)
    try:
        plan = plan_hand_in(list(paths), record_id=record_id, follow_symlinks=settings.follow_symlinks)
    except JobError as exc:
        fail(str(exc))
    for f in plan.missing:
        err.print(f"FAILED {printable(f.path)}: {f.problem or 'file not found'}", markup=False)
    queued = []
    for f in plan.files:
        target = queue_file(f.path, inbox, collection=collection, lang=lang, metadata=metadata)
        queued.append(target)
        out.print(f"queued     {printable(f.path)} -> {printable(target)}", markup=False)
    if now and queued:
        try:
            run = start_ingest_now(settings, queued, collection, lang)
        except JobError as exc:
            fail(str(exc))
        out.print(f"started flow run {run} of ingest-files", markup=False)
    raise typer.Exit(2 if plan.missing else 0)


def nightly(inbox: Path | None = typer.Option(None, help="Inbox folder (default: settings inbox_dir)."),
            collection: str | None = typer.Option(None, "--collection", "-c"),
            lang: str | None = typer.Option(None, "--lang", "-l")) -> None:
    """Run the nightly inbox ingest once, here and now (the deployment runs it at 02:00)."""
    settings = read_settings()
    check_lang(lang or settings.lang, settings)
    from .runtime import Engine

    try:
        engine = Engine(settings)
    except (OSError, RuntimeError) as exc:
        fail(f"workflow engine: {exc}")
    from .app.reports import nightly_report
    from .nightly import nightly_ingest

    quiet_task_errors()
    with engine.run_settings():
        summary = nightly_ingest(str(inbox) if inbox else None, collection, lang)
    say(nightly_report(summary))
    raise typer.Exit(ExitCode.FILES_FAILED if summary["failed"] else ExitCode.OK)
