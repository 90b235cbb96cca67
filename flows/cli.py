"""`archive-ingest`: the command digitisation staff and schedulers type."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.settings import Settings, load_settings

from .app.faults import EXIT_CODES_HELP, ExitCode, classify, printable

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Ingest scanned archive pages and PDFs into OCR'd, structured records.\n\n"
                       + EXIT_CODES_HELP)
# No emoji codes (":x:") and no markup in what files, OCR and metadata say: untrusted text.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def _settings() -> Settings:
    try:
        return load_settings()
    except (ValueError, OSError) as exc:
        err.print(f"error: settings: {exc}", markup=False)
        raise typer.Exit(2) from exc


def _quiet_task_errors() -> None:
    """A failed page is reported by the CLI as one FAILED line with its reason; Prefect would also
    log it with a traceback on stderr (its loggers are set up when prefect is imported)."""
    import logging

    for name in ("prefect.task_runs", "prefect.flow_runs"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _fail(message: str) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(2)


def _check_lang(lang: str, settings: Settings) -> None:
    """Exit 2 with one line naming the installed models unless Tesseract has every model of ``lang``."""
    from ingest.errors import IngestError
    from ingest.ocr import check_languages

    try:
        check_languages(lang, settings.tessdata_dir)
    except IngestError as exc:
        _fail(f"--lang {lang}: {exc}")


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


@app.command()
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
    settings = _settings()
    if follow_symlinks:
        from dataclasses import replace

        settings = replace(settings, follow_symlinks=True)
    if lang:
        _check_lang(lang, settings)
    from ingest.manifest import ManifestError, read_manifest
    from ingest.sources import find_input_files

    from .app.jobs import FileJob

    rows = []
    if manifest:
        try:
            rows = read_manifest(manifest, warn=lambda message: err.print(f"warning: {printable(message)}",
                                                                          markup=False))
        except ManifestError as exc:
            _fail(str(exc))
    if not paths and not rows:
        _fail("nothing to ingest: give files or folders, or --manifest")
    by_file = {r.file.resolve(): r for r in rows}
    jobs: list[FileJob] = []
    seen: set[Path] = set()
    for found in find_input_files(list(paths or []), follow_symlinks=settings.follow_symlinks):
        p = found.path
        if p.resolve() in seen and found.problem is None:
            continue  # the same file named twice: one job, one line
        row = by_file.get(p.resolve())
        seen.add(p.resolve())
        jobs.append(FileJob(str(p), collection=(row and row.collection) or collection,
                            lang=(row and row.lang) or lang, metadata=(row.metadata if row else {}),
                            error=found.problem))
    if not paths:  # the manifest alone names the files
        for r in rows:
            if r.file.resolve() not in seen:
                missing = None if r.file.exists() else f"file named in manifest {manifest} not found"
                jobs.append(FileJob(str(r.file), collection=r.collection or collection, lang=r.lang or lang,
                                    metadata=r.metadata, error=missing))
    if not jobs:
        _fail("no PNG, JPEG, TIFF, PDF or text files found in the given folders")
    if translation is not None:
        if len(jobs) != 1:
            _fail("--translation pairs one original with its translation: give exactly one original file")
        original = jobs[0]
        record_id = original.metadata.get("record_id") or Path(original.path).stem
        jobs[0] = FileJob(original.path, collection=original.collection, lang=original.lang,
                          metadata={**original.metadata, "record_id": record_id})
        jobs.append(FileJob(str(translation), collection=original.collection, lang="eng",
                            metadata={"record_id": f"{record_id}-en", "translation_of": record_id,
                                      "language": "English"},
                            error=None if translation.is_file() else "translation file not found"))

    from ingest.errors import IngestError
    from ingest.ocr import check_languages

    from .app.faults import MissingDependency

    try:
        for code in {j.lang or settings.lang for j in jobs}:
            check_languages(code, settings.tessdata_dir)
    except IngestError as exc:  # a language model is missing: nothing can be read
        raise MissingDependency(str(exc)) from exc

    from .app.originals import claim_file_store

    claim_file_store(settings)  # refuses a page store that another database owns, before any reading
    started = time.perf_counter()
    from .app.ingest import nothing_to_read, report_without_reading

    if nothing_to_read(jobs, settings):  # duplicates and missing files: no page to read, no engine
        report = report_without_reading(jobs, settings, collection)
    else:
        report = _run_flow(jobs, settings, collection)
    elapsed = time.perf_counter() - started

    for f in report.files:
        name = printable(f.path)
        if f.state == "stored":
            conf = f" mean confidence {f.mean_confidence:.1f}" if f.mean_confidence is not None else ""
            out.print(f"stored     {name}  (document {f.document_id}, {f.pages} page(s){conf})", markup=False)
        elif f.state == "duplicate" and f.error:  # the same bytes as another file of this batch
            out.print(f"duplicate  {name}  ({printable(f.error)}, document {f.document_id})", markup=False)
        elif f.state == "duplicate":
            out.print(f"duplicate  {name}  (already ingested as document {f.document_id})", markup=False)
        elif f.state == "busy":
            out.print(f"busy       {name}  (document {f.document_id} {f.error}; not read twice)", markup=False)
    for f in report.failed:
        err.print(f"FAILED {printable(f.path)}: {printable(f.error)}", markup=False)
    for a in report.alignments:
        if a.get("translation"):
            out.print(f"aligned    document {a['original']} with its translation {a['translation']} "
                      f"({a['passage_links']} passage links, {a['sentence_links']} sentence links)", markup=False)
        elif a.get("error"):
            err.print(f"alignment failed: {printable(a['error'])}", markup=False)
    pages = sum(f.pages for f in report.files if f.state == "stored")
    busy = f", {report.count('busy')} busy" if report.count("busy") else ""
    out.print(f"run {report.run_id}: {report.count('stored')} stored, {report.count('duplicate')} duplicate, "
              f"{len(report.failed)} failed{busy}; {pages} page(s) in {elapsed:.1f} s", markup=False)
    raise typer.Exit(ExitCode.FILES_FAILED if report.failed else ExitCode.OK)


def _run_flow(jobs, settings: Settings, collection: str | None):
    from .runtime import Engine

    try:
        engine = Engine(settings, wait=False)  # a first command launches the server ...
    except (OSError, RuntimeError) as exc:
        _fail(f"workflow engine: {exc}")
    from . import progress as progress_hook
    from .ingest import with_runner  # ... and imports Prefect while it starts

    _quiet_task_errors()

    err.print(f"Ingesting {len(jobs)} file(s)" + (" (starting the workflow engine)..." if engine.starting else "..."))
    try:
        engine.ready()
    except RuntimeError as exc:
        _fail(f"workflow engine: {exc}")
    with Progress(TextColumn("[bold]pages"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[file]}"), console=err, transient=False) as bar:
        progress_hook.set_reporter(_ProgressReporter(bar))
        try:
            with engine.run_settings():
                return with_runner(settings)(jobs, settings=settings, collection=collection)
        finally:
            progress_hook.set_reporter(None)


@app.command()
def status(limit: int = typer.Option(5, help="How many recent runs to list.")) -> None:
    """Documents by status, recent runs and recent quarantined files."""

    from .app.store import open_store

    repo = open_store(_settings()).documents
    counts = repo.status_counts()
    table = Table(title="Documents")
    table.add_column("status")
    table.add_column("count", justify="right")
    for st in ("stored", "processing", "pending", "quarantined"):
        table.add_row(st, str(counts.get(st, 0)))
    out.print(table)
    runs = Table(title="Recent runs", box=box.SIMPLE_HEAD)
    for col in ("run", "started (UTC)", "secs", "status", "files", "stored", "dup", "failed", "pages"):
        runs.add_column(col, no_wrap=True, min_width=len(col))
    for r in repo.recent_runs(limit):
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f}" if r.finished_at else "-"
        runs.add_row(str(r.id), r.started_at.strftime("%Y-%m-%d %H:%M"), took, r.status, str(r.files),
                     str(r.stored), str(r.duplicates), str(r.quarantined), str(r.pages))
    out.print(runs)
    bad = repo.quarantined(limit=10)
    if bad:
        out.print("Quarantined:")
        for d in bad:
            out.print(f"  {d.id}  {printable(d.source_path)}: {printable(d.error_reason)}", markup=False)


@app.command()
def show(doc_id: int = typer.Argument(..., help="Document id (see `status` or `export`)."),
         text: bool = typer.Option(True, "--text/--no-text", help="Print each page's text."),
         raw: bool = typer.Option(False, "--raw", help="The OCR as read, without reviewers' corrections.")) -> None:
    """Show one document: metadata, pages and their text (reviewed passages marked ✎)."""
    from storage.export import document_dict

    from .app.store import open_store

    store = open_store(_settings())
    doc = store.documents.get_document(doc_id, full=True)
    if doc is None:
        _fail(f"no document {doc_id}")
    versions = {} if raw else store.review.versions(doc_id)
    d = document_dict(doc, versions=versions)
    out.print(f"document {d['id']}  {d['status']}  {printable(d['source'])}", markup=False)
    out.print(f"sha256 {d['sha256']}  {d['media_type']}  collection {printable(d['collection'] or '-')}  "
              f"lang {d['lang']}",
              markup=False)
    if d["error"]:
        out.print(f"reason: {printable(d['error'])}", markup=False)
    for k, v in d["metadata"].items():
        out.print(printable(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"), markup=False)
    for p in d["pages"]:
        conf = f"{p['mean_confidence']:.1f}" if p["mean_confidence"] is not None else "-"
        out.print(f"\n--- page {p['number']}: {p['text_source']}, confidence {conf}, rotation {p['rotation']}, "
                  f"skew {p['skew']:.2f}, {len(p['lines'])} lines, psm {p['ocr']['params'].get('psm', '-')}",
                  markup=False)
        if text:
            for n, ps in enumerate(p["passages"]):
                rv = ps.get("reviewed")
                if rv and rv["text"] != ps["text"]:  # a reviewer's correction: mark it, keep the OCR at hand
                    out.print(printable(f"✎ {rv['text']}\n  [reviewed v{rv['version']} by {rv['by']}; "
                                        f"OCR: {ps['text']}]", keep_lines=True), markup=False)
                else:
                    out.print(printable(ps["text"], keep_lines=True), markup=False)
                if n < len(p["passages"]) - 1:
                    out.print("", markup=False)


@app.command()
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
    from ingest.sources import find_input_files, nfc

    from .app.inbox import queue_file

    settings = _settings()
    if lang:
        _check_lang(lang, settings)
    inbox = Path(settings.inbox_dir)
    found = find_input_files(list(paths), follow_symlinks=settings.follow_symlinks)
    metadata = {k: nfc(v) for k, v in {"title": title, "date": date, "record_id": record_id,
                                        "translation_of": translation_of, "source_archive": source_archive,
                                        "translator": translator, "rights": rights, "summary": summary,
                                        "citation": citation}.items() if v}
    missing = [f for f in found if f.problem or not f.path.is_file()]
    if record_id and len(found) - len(missing) > 1:
        _fail("--record-id names one record: queue one file with it")
    for f in missing:
        err.print(f"FAILED {printable(f.path)}: {f.problem or 'file not found'}", markup=False)
    queued = []
    for f in found:
        if f not in missing:
            target = queue_file(f.path, inbox, collection=collection, lang=lang, metadata=metadata)
            queued.append(target)
            out.print(f"queued     {printable(f.path)} -> {printable(target)}", markup=False)
    if now and queued:
        from .runtime import configure_prefect

        configure_prefect(settings.prefect_start_timeout)
        try:
            from prefect.deployments import run_deployment

            run = run_deployment("ingest-files/ingest-files", timeout=0,
                                 parameters={"paths": [str(q.resolve()) for q in queued],
                                             "collection": collection, "lang": lang})
        except Exception as exc:  # no server, or the deployment is not there
            _fail(f"could not start ingest-files on the Prefect server ({str(exc).splitlines()[0]}); "
                  "the files are queued for the nightly run")
        # run_deployment is typed sync-or-async (Prefect's sync_compatible); called from sync code it returns a FlowRun
        out.print(f"started flow run {run.name} ({run.id}) of ingest-files", markup=False)  # type: ignore[union-attr]
    raise typer.Exit(2 if missing else 0)


@app.command()
def fixity(document: list[int] | None = typer.Option(None, "--document", "-d",
                                                        help="Only this document (repeatable); default: all.")) -> None:
    """Re-hash each stored original and page image; list any missing or changed (exit 6 if any)."""
    from .app.originals import check_fixity
    from .app.store import open_store

    report = check_fixity(open_store(_settings()), list(document) if document else None)
    for doc_id, what, key, problem in report.problems:
        err.print(f"FIXITY document {doc_id} {what} {key}: {problem}", markup=False)
    out.print(f"fixity: {report.files} file(s) of {report.documents} document(s) checked, "
              f"{len(report.problems)} problem(s)", markup=False)
    raise typer.Exit(ExitCode.FIXITY_FAILED if report.problems else ExitCode.OK)


@app.command()
def runs(limit: int = typer.Option(10, help="How many runs."),
         failures: bool = typer.Option(True, "--failures/--no-failures", help="List each run's failures.")) -> None:
    """Recent ingest runs with their reports."""

    from .app.store import open_store

    for r in open_store(_settings()).documents.recent_runs(limit):
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f} s" if r.finished_at else "not finished"
        conf = (r.report or {}).get("mean_confidence")
        out.print(f"run {r.id}  {r.trigger}  {r.started_at:%Y-%m-%d %H:%M} UTC  {r.status}  {took}: "
                  f"{r.files} files, {r.stored} stored, {r.duplicates} duplicate, {r.quarantined} failed, "
                  f"{r.pages} pages" + (f", mean confidence {conf}" if conf is not None else ""), markup=False)
        if failures:
            for e in r.errors or []:
                out.print(f"    FAILED {printable(e.get('file'))}: {printable(e.get('reason'))}", markup=False)


@app.command()
def nightly(inbox: Path | None = typer.Option(None, help="Inbox folder (default: settings inbox_dir)."),
            collection: str | None = typer.Option(None, "--collection", "-c"),
            lang: str | None = typer.Option(None, "--lang", "-l")) -> None:
    """Run the nightly inbox ingest once, here and now (the deployment runs it at 02:00)."""
    settings = _settings()
    _check_lang(lang or settings.lang, settings)
    from .runtime import Engine

    try:
        engine = Engine(settings)
    except (OSError, RuntimeError) as exc:
        _fail(f"workflow engine: {exc}")
    from .nightly import nightly_ingest

    _quiet_task_errors()
    with engine.run_settings():
        summary = nightly_ingest(str(inbox) if inbox else None, collection, lang)
    out.print(f"run {summary['run_id']}: {summary['documents']} documents, {summary['stored']} stored, "
              f"{summary['duplicates']} duplicate, {summary['failed']} failed, {summary['pages']} pages",
              markup=False)
    for f in summary["failures"]:
        err.print(f"FAILED {printable(f['file'])}: {printable(f['reason'])}", markup=False)
    raise typer.Exit(ExitCode.FILES_FAILED if summary["failed"] else ExitCode.OK)


def _register_optional_commands() -> None:
    from .export_cli import export_command, search_command
    from .server_cli import server_app

    app.command("export")(export_command)
    app.command("search")(search_command)
    app.add_typer(server_app, name="server")
    try:
        from .align_cli import align_command
    except ImportError:
        return
    app.command("align", help="Align a source text with its translation (JSON or TSV links).")(align_command)
    from .review_cli import review_app, users_app

    app.add_typer(review_app, name="review")
    app.add_typer(users_app, name="users")


_register_optional_commands()


def main() -> None:
    """Every infrastructure fault is one line on stderr and its own exit code (see --help)."""
    try:
        app()  # usage errors and typer.Exit leave as SystemExit with their code
    except Exception as exc:  # noqa: BLE001 - sorted into a fault with its code, or a bug
        fault = classify(exc)
        if fault is None:
            raise
        err.print(f"error: {printable(fault)}", markup=False)
        sys.exit(int(fault.code))


if __name__ == "__main__":
    main()
