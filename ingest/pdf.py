"""PDF files: opened through pdfplumber (pypdfium2 renders behind it), a page's text layer when it
decodes to real text, otherwise the page rendered at the target dpi."""

from __future__ import annotations

import io
import threading
import unicodedata
from pathlib import Path

from PIL import Image

from .errors import IngestError, first_line
from .model import BBox, Line, Word
from .sources import PageLimits, SourcePage, TextLayer
from .text import nfc

# pdfium is not thread-safe, even across documents: render one page at a time per process.
_PDFIUM_LOCK = threading.Lock()


def open_pdf(path: Path, pages: list[int] | None = None):
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(path, pages=pages)
    except PDFPasswordIncorrect:
        raise IngestError("PDF is encrypted with a password; decrypt it first") from None
    except Exception as exc:  # pdfminer raises many types for damaged files
        # pdfplumber wraps pdfminer's error as the first argument of its own exception
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else (exc.__cause__ or exc)
        if isinstance(cause, PDFPasswordIncorrect):
            raise IngestError("PDF is encrypted with a password; decrypt it first") from exc
        raise IngestError(f"damaged or invalid PDF: {first_line(cause) or type(cause).__name__}") from exc
    if pdf.doc.encryption:
        pdf.close()
        # Even without a user password, an encrypted file carries its owner's restrictions: we
        # refuse it, as OCRmyPDF does, rather than strip them silently.
        raise IngestError("PDF is encrypted (owner password set); remove the encryption first "
                          "(e.g. qpdf --decrypt in.pdf out.pdf)")
    return pdf


def pdf_page_count(path: Path, limits: PageLimits) -> int:
    """Validate a PDF enough to plan its pages: its limits, then both readers must open it."""
    from .limits import check_pdf_limits

    check_pdf_limits(path, limits)  # page count, page size, stream sizes: before pdfplumber
    pdf = open_pdf(path)
    try:
        try:
            count = len(pdf.pages)
        except Exception as exc:
            raise IngestError(f"damaged or invalid PDF: {first_line(exc)}") from exc
    finally:
        pdf.close()
    if count == 0:
        raise IngestError("PDF has no pages")
    _check_pdf_renderable(path, count)
    return count


def _check_pdf_renderable(path: Path, count: int) -> None:
    """pdfium must be able to open the file too (pdfminer is more forgiving)."""
    import pypdfium2

    with _PDFIUM_LOCK:
        try:
            doc = pypdfium2.PdfDocument(str(path))
        except pypdfium2.PdfiumError as exc:
            raise IngestError(f"damaged or invalid PDF: {first_line(exc)}") from exc
        try:
            if len(doc) != count:
                raise IngestError(f"damaged PDF: page tree disagrees ({len(doc)} vs {count} pages)")
        finally:
            doc.close()


def load_pdf_page(path: Path, number: int, *, dpi: int, max_pixels: int) -> SourcePage:
    pdf = open_pdf(path, pages=[number])
    try:
        page = pdf.pages[0]
        w_px, h_px = round(float(page.width) * dpi / 72), round(float(page.height) * dpi / 72)
        if w_px * h_px > max_pixels:
            # Huge page formats (maps, posters): render at a lower dpi than refuse them.
            dpi = int(dpi * (max_pixels / (w_px * h_px)) ** 0.5)
        _check_embedded_images(page, number)
        layer = _text_layer(page, dpi)
        with _PDFIUM_LOCK:
            try:
                image = (_render_grey(path, number, dpi) if layer is None and _grey_scan(page)
                         else page.to_image(resolution=dpi, antialias=True).original)
            except Exception as exc:
                raise IngestError(f"page {number}: cannot be rendered: {first_line(exc)}") from exc
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"page {number}: damaged PDF page: {first_line(exc)}") from exc
    finally:
        pdf.close()
    return SourcePage(number=number, image=image, dpi=dpi, text_layer=layer)


def _grey_scan(page) -> bool:
    """Every image on the page is grey (a greyscale scan): rendered grey, the same pixels as the
    RGB rendering converted to grey (checked on the benchmark's scanned PDF), in a third of the
    memory. pdfplumber's RGB rendering of a 300 dpi A4 page held about 95 MB at its peak (a BGRx
    bitmap, then RGB): with two pages in flight the job's largest use of memory."""
    names = [str(getattr(c, "name", c)) for img in page.images for c in (img.get("colorspace") or [None])]
    return bool(names) and all(n in ("DeviceGray", "CalGray") for n in names)


def _render_grey(path: Path, number: int, dpi: int):
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    try:
        # copied: PIL's image would otherwise share the bitmap's buffer, freed with the document
        return doc[number - 1].render(scale=dpi / 72, grayscale=True).to_pil().copy()
    finally:
        doc.close()


def _check_embedded_images(page, number: int) -> None:
    """Decode embedded JPEG streams: pdfium silently renders a truncated JPEG as a grey page."""
    for img in page.images:
        stream = img.get("stream")
        if stream is None:
            continue
        filters = stream.get_filters() if hasattr(stream, "get_filters") else []
        names = {getattr(f, "name", str(f)) for f, _ in filters}
        if names & {"DCTDecode", "DCT"} and len(filters) == 1:
            data = stream.get_rawdata()
            try:
                with Image.open(io.BytesIO(data)) as jpeg:
                    jpeg.load()
            except Exception as exc:
                raise IngestError(f"page {number}: damaged JPEG image in PDF ({first_line(exc)})") from exc


def _text_layer(page, dpi: int) -> TextLayer | None:
    """The page's own text when it decodes to real text; None for scanned pages."""
    if not page.chars:
        return None
    scale = dpi / 72
    words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
    if not words:
        return None
    text = " ".join(w["text"] for w in words)
    if not looks_like_text(text):
        return None
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(float(w["top"]) / 3), float(w["x0"]))):
        mid = (float(w["top"]) + float(w["bottom"])) / 2
        if lines:
            last = lines[-1]
            top = min(float(x["top"]) for x in last)
            bottom = max(float(x["bottom"]) for x in last)
            if top <= mid <= bottom:
                last.append(w)
                continue
        lines.append([w])
    out: list[Line] = []
    for ws in lines:
        ws.sort(key=lambda w: float(w["x0"]))
        items = tuple(
            Word(text=nfc(w["text"]), bbox=_scale_box(w, scale), confidence=100.0) for w in ws
        )
        box = (
            min(i.bbox[0] for i in items),
            min(i.bbox[1] for i in items),
            max(i.bbox[2] for i in items),
            max(i.bbox[3] for i in items),
        )
        out.append(Line(text=" ".join(i.text for i in items), bbox=box, confidence=100.0, words=items))
    return TextLayer(lines=tuple(out))


def _scale_box(w: dict, scale: float) -> BBox:
    return (
        round(float(w["x0"]) * scale),
        round(float(w["top"]) * scale),
        round(float(w["x1"]) * scale),
        round(float(w["bottom"]) * scale),
    )


def looks_like_text(text: str) -> bool:
    """True when a text layer decodes to real text rather than glyph ids or mojibake."""
    stripped = "".join(text.split())
    if len(stripped) < 3:
        return False
    if text.count("(cid:") * 6 > len(stripped) * 0.05:
        return False
    bad = sum(1 for c in stripped if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cn"))
    letters = sum(1 for c in stripped if c.isalnum())
    return bad / len(stripped) < 0.05 and letters / len(stripped) >= 0.5
