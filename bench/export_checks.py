"""Checks of exported files shared by tests/test_exports.py and bench/export_bench.py: schema validation of
ALTO and PAGE-XML (offline: the XLink import resolved to ../shared/schemas/alto/xlink.xsd), and the
searchable PDF's text, word positions, size, qpdf, pdftoppm and its PDF/A-2b structure."""

from __future__ import annotations

import functools
import io
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from rapidfuzz.distance import Levenshtein

from bench.pdfa_checks import pdfa_problems
from bench.shared import SHARED
from storage.exports.born_digital import keeps_own_layer
from storage.exports.model import ExportDocument

SCHEMAS = SHARED / "schemas"


class _XLink(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url.endswith("xlink.xsd"):
            return self.resolve_filename(str(SCHEMAS / "alto" / "xlink.xsd"), context)
        return None


@functools.cache
def schema(kind: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_XLink())
    path = SCHEMAS / ("alto/alto-4-4.xsd" if kind == "alto" else "page/pagecontent-2019-07-15.xsd")
    return etree.XMLSchema(etree.parse(str(path), parser))


def validate(kind: str, data: bytes) -> str | None:
    """None when the document is valid, else the first error."""
    s = schema(kind)
    if s.validate(etree.parse(io.BytesIO(data))):
        return None
    return str(s.error_log.last_error)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class PdfReport:
    cer: float  # characters the extracted text differs by, over the stored reviewed text's
    words: int
    words_in_box: int
    size: int
    image_bytes: int
    qpdf_ok: bool
    renders: bool
    pdfa: list[str]  # PDF/A-2b clauses broken, by structure (bench.pdfa_checks)

    @property
    def size_ok(self) -> bool:
        return self.size <= 1.1 * self.image_bytes + 50_000


def check_pdf(data: bytes, doc: ExportDocument, *, render: bool = True, raw: ExportDocument | None = None) -> PdfReport:
    """``raw``: the same document as the OCR read it (ExportRepository.document(id, raw=True)).
    A born-digital page keeps the deposited text layer, not a reviewer's corrections
    (storage.exports.born_digital): its text and word boxes are checked against the deposit's."""
    import pdfplumber
    import pikepdf

    expected, extracted, total_words, inside = [], [], 0, 0
    pages = [r if raw is not None and doc.original_key and keeps_own_layer(p) else p
             for p, r in zip(doc.pages, raw.pages if raw is not None else doc.pages, strict=True)]
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page, xp in zip(pages, pdf.pages, strict=False):
            expected.append(_squash(" ".join(ps.text for ps in page.passages)))
            extracted.append(_squash(xp.extract_text() or ""))
            k = (page.dpi or 300) / 72.0
            boxes: dict[str, list] = {}
            for ln in page.lines:
                for w in ln.words:
                    boxes.setdefault(w.text, []).append(w.bbox)
            for w in xp.extract_words(keep_blank_chars=False):
                total_words += 1
                cx, cy = (w["x0"] + w["x1"]) / 2 * k, (w["top"] + w["bottom"]) / 2 * k
                if any(b[0] - 2 <= cx <= b[2] + 2 and b[1] - 2 <= cy <= b[3] + 2 for b in boxes.get(w["text"], [])):
                    inside += 1
    want, got = " ".join(expected), " ".join(extracted)
    cer = Levenshtein.distance(want, got) / max(len(want), 1)
    image_bytes = 0
    with pikepdf.open(io.BytesIO(data)) as p:
        for pg in p.pages:
            for im in pg.get_images().values() if hasattr(pg, "get_images") else pg.images.values():
                image_bytes += len(im.read_raw_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        renders = True
        if render:
            r = subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(Path(tmp) / "page")],
                               capture_output=True, text=True)
            renders = r.returncode == 0 and len(list(Path(tmp).glob("page*.png"))) == len(doc.pages)
    return PdfReport(cer, total_words, inside, len(data), image_bytes, qpdf.returncode == 0, renders,
                     pdfa_problems(data))
