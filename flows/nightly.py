"""The nightly run: ingest what is new in the inbox, move every scan on, report."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from ingest.ocr import sweep_ocr_temp
from ingest.settings import load_settings

from .app.batch import FileState
from .app.inbox import inbox_entries, scan_inbox, settle, settle_manifests
from .app.originals import check_fixity, claim_file_store, rotating_sample
from .app.store import open_store
from .ingest import FileResult, ingest_document, sweep_store


def _report_rows(results: list[FileResult]) -> list[dict]:
    return [{"file": r.path, "state": r.state, "document": r.document_id, "pages": r.pages,
             "mean_confidence": r.mean_confidence, "reason": r.error or ""} for r in results]


def summarize(results: list[FileResult]) -> dict:
    stored = [r for r in results if r.state == FileState.STORED]
    confs = [(r.mean_confidence, r.pages) for r in stored if r.mean_confidence is not None]
    weight = sum(p for _, p in confs)
    return {
        "documents": len(results),
        "stored": len(stored),
        "duplicates": sum(1 for r in results if r.state == "duplicate"),
        "failed": sum(1 for r in results if r.state == FileState.QUARANTINED),
        "pages": sum(r.pages for r in stored),
        "mean_confidence": round(sum(c * p for c, p in confs) / weight, 2) if weight else None,
        "failures": [{"file": r.path, "reason": r.error} for r in results if r.state == FileState.QUARANTINED],
    }


def markdown(summary: dict, title: str) -> str:
    lines = [f"# {title}", "",
             f"- documents: {summary['documents']} (stored {summary['stored']}, duplicates "
             f"{summary['duplicates']}, failed {summary['failed']})",
             f"- pages: {summary['pages']}",
             f"- flags raised for review: {summary.get('flags_raised', 0)}",
             f"- mean OCR confidence: {summary['mean_confidence'] if summary['mean_confidence'] is not None else '-'}"]
    fixity = summary.get("fixity")
    if fixity:
        lines.append(f"- fixity: {fixity['files']} files of {fixity['documents']} documents re-hashed, "
                     f"{len(fixity['problems'])} problem(s)")
        lines += [f"  - document {p['document']} {p['file']}: {p['problem']}" for p in fixity["problems"]]
    if summary["failures"]:
        lines += ["", "## Failures", "", "| file | reason |", "|---|---|"]
        lines += [f"| {f['file']} | {f['reason']} |" for f in summary["failures"]]
    return "\n".join(lines) + "\n"


@flow(name="nightly-ingest", log_prints=False)
def nightly_ingest(inbox: str | None = None, collection: str | None = None, lang: str | None = None) -> dict:
    """Scan the inbox recursively; ingest each new file as its own subflow, in chunks, with what
    staff said about it (its sidecar FILE.meta.json, else its row of a manifest.csv, else this
    run's collection and language); move stored and duplicate scans (with their sidecars) to the
    archive folder and failures to quarantine with a reason; stored source paths follow them."""
    from ingest.ocr import check_languages

    settings = load_settings()
    check_languages(lang or settings.lang, settings.tessdata_dir)  # fail the night up front, not file by file
    inbox_dir = Path(inbox or settings.inbox_dir).resolve()
    done_dir, bad_dir = Path(settings.done_dir).resolve(), Path(settings.quarantine_dir).resolve()
    claim_file_store(settings)
    sweep_ocr_temp()
    repo = open_store(settings).documents
    problems: list[tuple[Path, str]] = []
    files = scan_inbox(inbox_dir, problems)
    started = time.time()
    run_id = repo.start_run(trigger="nightly", collection=collection, files=len(files))
    results: list[FileResult] = []
    entries = inbox_entries(inbox_dir, files, collection, lang)  # each a FileJob
    for start in range(0, len(entries), max(1, settings.chunk_size)):
        for job in entries[start:start + settings.chunk_size]:
            path = Path(job.path)
            try:  # the subflow loads the same settings from the environment: none are passed to Prefect
                result = ingest_document(job, run_id=run_id)
            except Exception as exc:  # the subflow crashed: this file fails, the night goes on
                result = FileResult(str(path), FileState.QUARANTINED, None,
                                    error=f"internal error: {exc}".splitlines()[0])
            if path.exists():
                moved = settle(path, inbox_dir, bad_dir if result.state == FileState.QUARANTINED else done_dir,
                               reason=result.error if result.state == FileState.QUARANTINED else None)
                if result.document_id is not None and result.state != "duplicate":
                    repo.move_source(result.document_id, str(path.resolve()), str(moved.resolve()))
            results.append(result)
    results += [FileResult(str(p), FileState.QUARANTINED, None, error=reason) for p, reason in problems]
    settle_manifests(inbox_dir, done_dir)
    summary = summarize(results)

    stored_ids = [r.document_id for r in results if r.state == FileState.STORED and r.document_id is not None]
    summary["flags_raised"] = open_store(settings).flags.count(stored_ids) if stored_ids else 0
    fixity = check_fixity(open_store(settings), rotating_sample(open_store(settings), run_id, settings.fixity_sample))
    summary["fixity"] = {"documents": fixity.documents, "files": fixity.files,
                         "problems": [{"document": d, "file": what, "key": key, "problem": p}
                                      for d, what, key, p in fixity.problems]}
    title = f"Nightly ingest run {run_id}"
    create_markdown_artifact(markdown(summary, title), key="nightly-ingest-report", description=title)
    create_table_artifact(_report_rows(results) or [{"file": "-", "state": "nothing new"}],
                          key="nightly-ingest-files", description=title)
    repo.finish_run(run_id, stored=summary["stored"], duplicates=summary["duplicates"],
                    quarantined=summary["failed"], pages=summary["pages"], errors=summary["failures"],
                    report={**summary, "files": _report_rows(results)})
    sweep_store(repo, settings, run_id, started)
    return {"run_id": run_id, **summary}
