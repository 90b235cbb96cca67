"""Export use case: a document (or its original-translation pair) in an archive format, as files.

Per page: alto, page, hocr, txt. Per document: pdf, dc, jsonl. Per original-translation pair:
tei, tmx, tsv. Reviewed text by default (a reviewer's passage versions over the OCR), the OCR as
read with raw=True.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from PIL import Image

from storage.exports import alto, born_digital, dc, hocr, pagexml, pdf, tei, tmx
from storage.exports.model import ExportDocument, ExportPage

from .store import Store


class ExportFormat(StrEnum):
    ALTO = "alto"
    PAGE = "page"
    HOCR = "hocr"
    TXT = "txt"
    PDF = "pdf"
    TEI = "tei"
    TMX = "tmx"
    TSV = "tsv"
    DC = "dc"
    JSONL = "jsonl"


PER_PAGE = {ExportFormat.ALTO, ExportFormat.PAGE, ExportFormat.HOCR, ExportFormat.TXT}
PER_PAIR = {ExportFormat.TEI, ExportFormat.TMX, ExportFormat.TSV}
SUFFIX = {ExportFormat.ALTO: ".alto.xml", ExportFormat.PAGE: ".page.xml", ExportFormat.HOCR: ".hocr",
          ExportFormat.TXT: ".txt", ExportFormat.PDF: ".pdf", ExportFormat.TEI: ".tei.xml",
          ExportFormat.TMX: ".tmx", ExportFormat.TSV: ".tsv", ExportFormat.DC: ".dc.xml",
          ExportFormat.JSONL: ".jsonl"}
MEDIA_TYPE = {ExportFormat.ALTO: "application/xml", ExportFormat.PAGE: "application/xml",
              ExportFormat.HOCR: "application/xhtml+xml", ExportFormat.TXT: "text/plain; charset=utf-8",
              ExportFormat.PDF: "application/pdf", ExportFormat.TEI: "application/tei+xml",
              ExportFormat.TMX: "application/x-tmx+xml",
              ExportFormat.TSV: "text/tab-separated-values; charset=utf-8",
              ExportFormat.DC: "application/xml", ExportFormat.JSONL: "application/jsonl"}
# steps that move pixels: after any of them the boxes fit only the preprocessed image
GEOMETRY_STEPS = {"upscale", "rotate"}


class NothingToExport(Exception):
    """The document has nothing in this format (e.g. no aligned translation for tei/tmx/tsv)."""


@dataclass(frozen=True)
class ExportFile:
    name: str
    data: bytes
    media_type: str


def _moves_pixels(page: ExportPage) -> bool:
    return any(s.get("name") in GEOMETRY_STEPS or (s.get("name") == "deskew" and (s.get("params") or {}).get(
        "applied")) for s in page.steps)


def page_image(store: Store, page: ExportPage) -> tuple[str | None, bytes | None]:
    """The stored image whose pixels the page's boxes are in: the original scan when
    preprocessing kept its geometry (nicer to look at, embedded as deposited), else the
    preprocessed image the OCR read."""
    if page.original_key and store.files.exists(page.original_key) and not _moves_pixels(page):
        data = store.files.read_bytes(page.original_key)
        try:
            with Image.open(io.BytesIO(data)) as im:
                if im.size == (page.width, page.height):
                    return page.original_key, data
        except OSError:
            pass
    if page.image_key and store.files.exists(page.image_key):
        return page.image_key, store.files.read_bytes(page.image_key)
    return None, None


def _jsonl(store: Store, document_id: int, words: bool, raw: bool) -> bytes:
    from storage.export import document_dict

    doc = store.documents.get_document(document_id, full=True)
    if doc is None:
        raise NothingToExport(f"no document {document_id}")
    d = document_dict(doc, with_words=words, alignments=store.alignments.alignments(doc.id),
                      sentences=store.alignments.sentences(doc.id), flags=store.flags.flags(doc.id),
                      versions=None if raw else store.review.versions(doc.id))
    return (json.dumps(d, ensure_ascii=False) + "\n").encode("utf-8")


def document_files(store: Store, document_id: int, fmt: ExportFormat, *, raw: bool = False,
                   words: bool = False) -> list[ExportFile]:
    """The files of one document in one format (one per page for per-page formats)."""
    repo = store.exports
    mt = MEDIA_TYPE[fmt]
    if fmt is ExportFormat.JSONL:
        return [ExportFile(f"doc{document_id}.jsonl", _jsonl(store, document_id, words, raw), mt)]
    if fmt in PER_PAIR:
        pair = repo.pair(document_id, raw=raw)
        if pair is None or (fmt is not ExportFormat.TEI and not pair.pairs):
            raise NothingToExport(f"document {document_id} has no aligned translation for {fmt.value}")
        name = f"doc{pair.original.id}-doc{pair.translation.id}{SUFFIX[fmt]}"
        writer = {ExportFormat.TEI: tei.tei_pair, ExportFormat.TMX: tmx.tmx, ExportFormat.TSV: tmx.tsv}[fmt]
        return [ExportFile(name, writer(pair), mt)]
    doc = repo.document(document_id, raw=raw)
    if doc is None:
        raise NothingToExport(f"no document {document_id}")
    if not doc.pages:
        raise NothingToExport(f"document {document_id} has no stored pages")
    if fmt is ExportFormat.DC:
        return [ExportFile(f"doc{doc.id}{SUFFIX[fmt]}", dc.dublin_core(doc), mt)]
    if fmt is ExportFormat.PDF:
        return [ExportFile(f"doc{doc.id}.pdf", document_pdf(store, doc), mt)]
    out = []
    for page in doc.pages:
        name = f"doc{doc.id}-p{page.number}{SUFFIX[fmt]}"
        image = page.image_key  # the stored image the boxes are in
        data = {ExportFormat.ALTO: partial(alto.alto_page, doc, page, image),
                ExportFormat.PAGE: partial(pagexml.page_xml, doc, page, image),
                ExportFormat.HOCR: partial(hocr.hocr_page, doc, page, image),
                ExportFormat.TXT: partial(hocr.text_page, page)}[fmt]()
        out.append(ExportFile(name, data, mt))
    return out


def document_pdf(store: Store, doc: ExportDocument) -> bytes:
    """Scanned pages: the stored image under the text layer. Born-digital pages (text read from
    the PDF's own layer): the deposited page itself, when the original's bytes are stored."""
    original = None
    if doc.original_key and any(born_digital.keeps_own_layer(p) for p in doc.pages) \
            and store.files.exists(doc.original_key):
        original = store.files.read_bytes(doc.original_key)
    inputs = []
    for page in doc.pages:
        key, data = page_image(store, page)
        if data is None and page.image_key:
            raise pdf.PdfExportError(f"document {doc.id} page {page.number}: stored image {page.image_key} "
                                     f"is missing from {store.files_dir}")
        inputs.append(pdf.PdfPageInput(page, data, page.dpi or 300))
    return pdf.searchable_pdf(doc, inputs, original)


def download(store: Store, document_id: int, fmt: ExportFormat, *, raw: bool = False) -> ExportFile:
    """One file for a web download: the file itself, or a zip of a per-page format's pages."""
    files = document_files(store, document_id, fmt, raw=raw)
    if len(files) == 1:
        return files[0]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.writestr(f.name, f.data)
    return ExportFile(f"doc{document_id}-{fmt.value}.zip", buf.getvalue(), "application/zip")


def export_documents(store: Store, fmt: ExportFormat, document_ids: list[int], *, raw: bool = False,
                     words: bool = False) -> Iterator[tuple[int, list[ExportFile] | str]]:
    """(document id, its files) per document, or (id, reason) when it has nothing in this format.
    A pair's files come once, with the first of its two documents asked for."""
    seen: set[str] = set()
    for doc_id in document_ids:
        try:
            files = document_files(store, doc_id, fmt, raw=raw, words=words)
        except (NothingToExport, pdf.PdfExportError) as e:
            yield doc_id, str(e)
            continue
        files = [f for f in files if f.name not in seen]
        seen.update(f.name for f in files)
        yield doc_id, files
