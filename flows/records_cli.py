"""`archive-ingest status`, `show`, `runs` and `fixity`: what is stored, read back (none starts
Prefect). Thin adapters over the Store and flows.app.reports."""

from __future__ import annotations

import typer
from rich import box
from rich.table import Table

from .app.faults import ExitCode, printable
from .cli_common import fail, out, read_settings, say


def status(limit: int = typer.Option(5, help="How many recent runs to list.")) -> None:
    """Documents by status, recent runs and recent quarantined files."""

    from storage.models import DocumentStatus

    from .app.store import open_store

    repo = open_store(read_settings()).documents
    counts = repo.status_counts()
    table = Table(title="Documents")
    table.add_column("status")
    table.add_column("count", justify="right")
    for st in (DocumentStatus.STORED, DocumentStatus.PROCESSING, DocumentStatus.PENDING, DocumentStatus.QUARANTINED):
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


def show(doc_id: int = typer.Argument(..., help="Document id (see `status` or `export`)."),
         text: bool = typer.Option(True, "--text/--no-text", help="Print each page's text."),
         raw: bool = typer.Option(False, "--raw", help="The OCR as read, without reviewers' corrections.")) -> None:
    """Show one document: metadata, pages and their text (reviewed passages marked ✎)."""
    from storage.export import document_dict

    from .app.reports import document_report
    from .app.store import open_store

    store = open_store(read_settings())
    doc = store.documents.get_document(doc_id, full=True)
    if doc is None:
        fail(f"no document {doc_id}")
    versions = {} if raw else store.review.versions(doc_id)
    d = document_dict(doc, versions=versions)
    say(document_report(d, text=text))


def fixity(document: list[int] | None = typer.Option(None, "--document", "-d",
                                                        help="Only this document (repeatable); default: all.")) -> None:
    """Re-hash each stored original and page image; list any missing or changed (exit 6 if any)."""
    from .app.originals import check_fixity
    from .app.reports import fixity_report
    from .app.store import open_store

    report = check_fixity(open_store(read_settings()), list(document) if document else None)
    say(fixity_report(report))
    raise typer.Exit(ExitCode.FIXITY_FAILED if report.problems else ExitCode.OK)


def runs(limit: int = typer.Option(10, help="How many runs."),
         failures: bool = typer.Option(True, "--failures/--no-failures", help="List each run's failures.")) -> None:
    """Recent ingest runs with their reports."""
    from .app.reports import runs_report
    from .app.store import open_store

    say(runs_report(open_store(read_settings()).documents.recent_runs(limit), failures))
