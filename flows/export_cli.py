"""`archive-ingest export` and `archive-ingest search`: thin adapters over flows.app.exports and
flows.app.search (neither starts Prefect)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import typer

from .app.faults import printable
from .cli_common import err, out
from .cli_common import fail as _fail
from .cli_common import read_settings as _settings

FORMATS = "alto|page|hocr|txt|pdf|tei|tmx|tsv|dc|jsonl"


def _atomic_write(path: Path, data: bytes) -> None:
    """A reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_command(
    format: str = typer.Option("jsonl", "--format", "-f", help=f"Output format: {FORMATS}."),
    output: Path | None = typer.Option(
        None, "--out", "-o", help="jsonl: file (default stdout). Others: folder (default ./exports), "
        "a .zip file, or one file when the export is one file."),
    status: str = typer.Option("stored", help="Which documents: stored, quarantined or all."),
    collection: str | None = typer.Option(None, help="Only this collection."),
    words: bool = typer.Option(False, help="jsonl: include words with boxes under each line."),
    raw: bool = typer.Option(False, "--raw", help="The OCR as read, without reviewers' corrections."),
    document: list[int] | None = typer.Option(None, "--document", "-d", help="Only these document ids."),
    with_original: bool = typer.Option(False, "--with-original",
                                       help="Copy each document's original file into originals/ beside the "
                                            "output (needs --out); a jsonl record names it as original_file."),
) -> None:
    """Export documents: ALTO, PAGE-XML, hOCR, text (per page), searchable PDF, Dublin Core, JSON
    Lines (per document), TEI, TMX, TSV (per original-translation pair)."""
    from .app.exports import ExportFormat, export_documents
    from .app.store import open_store

    try:
        fmt = ExportFormat(format)
    except ValueError:
        _fail(f"--format {format!r}: choose one of {FORMATS}")
    if status not in EXPORT_STATUSES:
        _fail(f"--status {status!r}: choose one of {', '.join(EXPORT_STATUSES)}")
    if with_original and not output:
        _fail("--with-original needs --out (the originals are copied beside the export)")
    settings = _settings()
    store = open_store(settings)
    if document:
        ids = list(dict.fromkeys(document))
        known = set(store.documents.document_ids(status=None))
        missing = [i for i in ids if i not in known]
        if missing:
            _fail(f"no document {', '.join(map(str, missing))}")
    else:
        ids = store.documents.document_ids(status=None if status == "all" else status, collection=collection)
    if with_original:
        assert output is not None, "--with-original without --out failed above"
        folder = (output if output.is_dir() or not output.suffix else output.parent) / "originals"
        originals = _copy_originals(settings, store, ids, folder)
        err.print(f"copied {len(originals)} original(s) to {printable(folder)}", markup=False)
    if fmt is ExportFormat.JSONL:
        if output and output.is_dir():  # an existing folder: the export goes inside it
            output = output / "records.jsonl"
        _jsonl(export_documents(store, fmt, ids, raw=raw, words=words), output,
               originals if with_original else None)
        return
    files, skipped = [], 0
    for doc_id, result in export_documents(store, fmt, ids, raw=raw):
        if isinstance(result, str):
            err.print(f"skipped    document {doc_id}: {result}", markup=False)
            skipped += 1
        else:
            files += result
    if not files:
        _fail(f"nothing to export as {fmt.value} ({skipped} document(s) skipped)")
    target = output or Path("exports")
    if target.suffix.lower() == ".zip":
        tmp = target.with_name(f".{target.name}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for f in files:
                z.writestr(f.name, f.data)
        tmp.replace(target)
    elif target.suffix and not target.is_dir():
        if len(files) != 1:
            _fail(f"{len(files)} files to write: give --out a folder or a .zip file, not {target}")
        _atomic_write(target, files[0].data)
    else:
        for f in files:
            _atomic_write(target / f.name, f.data)
    err.print(f"wrote {len(files)} {fmt.value} file(s) to {printable(target)}"
              + (f"; {skipped} skipped" if skipped else ""),
              markup=False)


def _jsonl(results, output: Path | None, originals: dict[int, str] | None = None) -> None:
    """One record a line; with originals copied beside the export, each record names its copy."""
    target = tmp = None
    if output:
        tmp = output.with_name(f".{output.name}.tmp")
        target = tmp.open("wb")
    stream = target or sys.stdout.buffer
    n = 0
    try:
        for doc_id, files in results:
            if isinstance(files, str):
                continue
            for f in files:
                data = f.data
                if originals and doc_id in originals:
                    record = json.loads(data)
                    record["original_file"] = originals[doc_id]
                    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
                stream.write(data)
                n += 1
        stream.flush()
    except BaseException:
        if target and tmp:  # nothing half-written is left behind
            target.close()
            tmp.unlink(missing_ok=True)
        raise
    finally:
        if target:
            target.close()
    if tmp and output:  # tmp exists only beside an output file
        tmp.replace(output)  # a reader never sees half an export
        err.print(f"wrote {n} document(s) to {printable(output)}", markup=False)


def _copy_originals(settings, store, ids: list[int], folder: Path) -> dict[int, str]:
    """Each document's original copied into ``folder``: its name relative to the export, by id."""
    from .app.originals import export_original

    copied = {}
    for doc_id in ids:
        doc = store.documents.get_document(doc_id)
        name = export_original(settings, doc, folder) if doc is not None else None
        if name:
            copied[doc_id] = name
    return copied


EXPORT_STATUSES = ("stored", "quarantined", "processing", "pending", "all")


def search_command(
    query: str = typer.Argument(..., help="Words to find; tone marks, diacritics and case do not matter."),
    lang: str | None = typer.Option(None, "--lang", "-l", help="Only passages in this language: vie or eng."),
    collection: str | None = typer.Option(None, "--collection", "-c", help="Only this collection."),
    format: str = typer.Option("table", "--format", "-f", help="table or json."),
    limit: int = typer.Option(20, help="How many hits."),
    offset: int = typer.Option(0, help="Skip this many hits (next page)."),
    reindex: bool = typer.Option(False, "--reindex", help="Rebuild the search index first."),
) -> None:
    """Search passages and records of stored documents (read only; does not start Prefect)."""
    from .app.search import SearchLang, reindex_all, search
    from .app.store import open_store

    if lang is not None and lang not in {x.value for x in SearchLang}:
        _fail(f"--lang {lang!r}: choose vie or eng")
    if format not in ("table", "json"):
        _fail(f"--format {format!r}: choose table or json")
    store = open_store(_settings())
    if reindex:
        n = reindex_all(store)
        err.print(f"reindexed {n} passage(s) and record(s)", markup=False)
        if not query.strip():
            return
    page = search(store, query, lang=lang, collection=collection, limit=limit, offset=offset)
    if format == "json":
        out.print(json.dumps([{"document": h.document, "page": h.page, "passage": h.passage, "lang": h.lang,
                               "snippet": h.snippet, "score": round(h.score, 4)} for h in page.hits],
                             ensure_ascii=False), markup=False)
        return
    if not page.hits:
        out.print(f"no match for {query!r}", markup=False)
        return
    for h in page.hits:
        where = "record" if h.kind == "record" else f"page {h.page} passage {h.passage}"
        out.print(f"document {h.document} {where} [{h.lang}] {h.score:.3f}  {h.title}", markup=False)
        out.print(f"    {h.snippet}", markup=False)
        if h.aligned:
            out.print(f"    ⇄ {h.aligned[:200]}", markup=False)
    shown = f"{offset + 1}-{offset + len(page.hits)}"
    out.print(f"\n{shown} of {page.total} hit(s)" + (f"; next: --offset {offset + limit}"
                                                     if offset + limit < page.total else ""), markup=False)
