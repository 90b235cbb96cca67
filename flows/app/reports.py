"""The wording of what a command reports: an ingest batch, a nightly run, the recent runs and a
fixity check, as lines for standard output or standard error. Every name and reason that comes
from a file, OCR or metadata goes through `printable` (untrusted text)."""

from __future__ import annotations

from typing import NamedTuple

from storage.models import IngestRun

from .batch import BatchReport, FileState
from .faults import printable
from .originals import FixityReport


class Said(NamedTuple):
    text: str
    error: bool = False  # for standard error


def ingest_report(report: BatchReport, elapsed: float) -> list[Said]:
    """One line per file stored, duplicate or busy; FAILED lines; the alignments; the run's sum."""
    said: list[Said] = []
    for f in report.files:
        name = printable(f.path)
        if f.state == FileState.STORED:
            conf = f" mean confidence {f.mean_confidence:.1f}" if f.mean_confidence is not None else ""
            said.append(Said(f"stored     {name}  (document {f.document_id}, {f.pages} page(s){conf})"))
        elif f.state == "duplicate" and f.error:  # the same bytes as another file of this batch
            said.append(Said(f"duplicate  {name}  ({printable(f.error)}, document {f.document_id})"))
        elif f.state == "duplicate":
            said.append(Said(f"duplicate  {name}  (already ingested as document {f.document_id})"))
        elif f.state == "busy":
            said.append(Said(f"busy       {name}  (document {f.document_id} {f.error}; not read twice)"))
    said += [Said(f"FAILED {printable(f.path)}: {printable(f.error)}", error=True) for f in report.failed]
    for a in report.alignments:
        if a.get("translation"):
            said.append(Said(f"aligned    document {a['original']} with its translation {a['translation']} "
                             f"({a['passage_links']} passage links, {a['sentence_links']} sentence links)"))
        elif a.get("error"):
            said.append(Said(f"alignment failed: {printable(a['error'])}", error=True))
    pages = sum(f.pages for f in report.files if f.state == FileState.STORED)
    busy = f", {report.count('busy')} busy" if report.count("busy") else ""
    said.append(Said(f"run {report.run_id}: {report.count('stored')} stored, {report.count('duplicate')} duplicate, "
                     f"{len(report.failed)} failed{busy}; {pages} page(s) in {elapsed:.1f} s"))
    return said


def nightly_report(summary: dict) -> list[Said]:
    return [Said(f"run {summary['run_id']}: {summary['documents']} documents, {summary['stored']} stored, "
                 f"{summary['duplicates']} duplicate, {summary['failed']} failed, {summary['pages']} pages"),
            *(Said(f"FAILED {printable(f['file'])}: {printable(f['reason'])}", error=True)
              for f in summary["failures"])]


def runs_report(runs: list[IngestRun], failures: bool) -> list[Said]:
    """Recent ingest runs, each with its failures if asked."""
    said: list[Said] = []
    for r in runs:
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f} s" if r.finished_at else "not finished"
        conf = (r.report or {}).get("mean_confidence")
        said.append(Said(f"run {r.id}  {r.trigger}  {r.started_at:%Y-%m-%d %H:%M} UTC  {r.status}  {took}: "
                         f"{r.files} files, {r.stored} stored, {r.duplicates} duplicate, {r.quarantined} failed, "
                         f"{r.pages} pages" + (f", mean confidence {conf}" if conf is not None else "")))
        if failures:
            said += [Said(f"    FAILED {printable(e.get('file'))}: {printable(e.get('reason'))}")
                     for e in r.errors or []]
    return said


def fixity_report(report: FixityReport) -> list[Said]:
    return [*(Said(f"FIXITY document {doc_id} {what} {key}: {problem}", error=True)
              for doc_id, what, key, problem in report.problems),
            Said(f"fixity: {report.files} file(s) of {report.documents} document(s) checked, "
                 f"{len(report.problems)} problem(s)")]


def document_report(d: dict, text: bool = True) -> list[Said]:
    """`show`: a document (storage.export.document_dict) with its metadata, each page's reading and,
    if asked, its passages; a reviewer's correction marked ✎ with the OCR beside it."""
    said = [Said(f"document {d['id']}  {d['status']}  {printable(d['source'])}"),
            Said(f"sha256 {d['sha256']}  {d['media_type']}  collection {printable(d['collection'] or '-')}  "
                 f"lang {d['lang']}")]
    if d["error"]:
        said.append(Said(f"reason: {printable(d['error'])}"))
    for k, v in d["metadata"].items():
        said.append(Said(printable(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}")))
    for p in d["pages"]:
        conf = f"{p['mean_confidence']:.1f}" if p["mean_confidence"] is not None else "-"
        said.append(Said(f"\n--- page {p['number']}: {p['text_source']}, confidence {conf}, rotation {p['rotation']}, "
                         f"skew {p['skew']:.2f}, {len(p['lines'])} lines, psm {p['ocr']['params'].get('psm', '-')}"))
        if not text:
            continue
        for n, ps in enumerate(p["passages"]):
            rv = ps.get("reviewed")
            if rv and rv["text"] != ps["text"]:  # a reviewer's correction: mark it, keep the OCR at hand
                said.append(Said(printable(f"✎ {rv['text']}\n  [reviewed v{rv['version']} by {rv['by']}; "
                                           f"OCR: {ps['text']}]", keep_lines=True)))
            else:
                said.append(Said(printable(ps["text"], keep_lines=True)))
            if n < len(p["passages"]) - 1:
                said.append(Said(""))
    return said
