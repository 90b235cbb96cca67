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

    from .app.store import open_store

    repo = open_store(read_settings()).documents
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


def show(doc_id: int = typer.Argument(..., help="Document id (see `status` or `export`)."),
         text: bool = typer.Option(True, "--text/--no-text", help="Print each page's text."),
         raw: bool = typer.Option(False, "--raw", help="The OCR as read, without reviewers' corrections.")) -> None:
    """Show one document: metadata, pages and their text (reviewed passages marked ✎)."""
    from storage.export import document_dict

    from .app.store import open_store

    store = open_store(read_settings())
    doc = store.documents.get_document(doc_id, full=True)
    if doc is None:
        fail(f"no document {doc_id}")
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
