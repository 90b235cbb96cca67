"""A searchable PDF of one document, PDF/A-2b in structure.

Each page: the stored page image embedded by img2pdf (JPEG, CCITT G4 TIFF and PNG pass through
without re-encoding), under an invisible text layer (render mode 3) that fpdf2 writes with an
embedded subset of FreeSans (it has every Vietnamese letter); pikepdf lays the text over the
image as a form, writes the Dublin Core XMP from the record and the sRGB output intent.

A born-digital page (its text read from the deposited PDF's text layer) is the deposited page
itself, copied by pikepdf with its own text layer: see `storage.exports.born_digital`.

Each word is drawn at its box: font size from the line's height, stretched horizontally so the
word spans its box, on the line's baseline, so a selection or a search hit lands on the word.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageCms

from . import born_digital
from .dc import dc_fields
from .model import ExportDocument, ExportPage

FONT_CANDIDATES = ("/usr/share/fonts/truetype/freefont/FreeSans.ttf",  # Debian fonts-freefont-ttf
                   "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# FreeSans: ascent 0.9, descent 0.2 of the em; a line box spans ascender to descender, so the
# em is about the box height / 1.1 and the baseline sits 0.2 em above the box bottom.
EM_PER_LINE_HEIGHT = 1 / 1.1
DESCENT = 0.2
# pdfplumber (and pdfminer-based extraction generally) groups characters into a line when their
# tops lie within 3 pt of each other, then sorts each group by x: two OCR lines that overlap both
# ways come out interleaved word by word. Lines sharing any horizontal span are therefore drawn
# with tops at least this far apart, in reading order. A generated 4-hard page read as 70
# overlapping junk lines (export bench gen-19, 2026-12-03) extracted at 10.8% CER from this.
LINE_GAP_PT = 4.0
MIN_SIZE_PT = 1.0


class PdfExportError(Exception):
    pass


@dataclass(frozen=True)
class PdfPageInput:
    page: ExportPage
    image: bytes | None  # the stored image whose pixels the boxes are in; None: text only
    dpi: int  # pixels per inch of that image (the page's recorded dpi)


def font_path() -> str:
    for p in FONT_CANDIDATES:
        if Path(p).is_file():
            return p
    raise PdfExportError("no Unicode font for the PDF text layer: install fonts-freefont-ttf")


def srgb_profile() -> bytes:
    """An sRGB ICC profile made by LittleCMS (through Pillow): nothing to download or ship."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _image_pdf(image: bytes, dpi: int) -> bytes:
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    try:
        return img2pdf.convert(image, layout_fun=layout, rotation=img2pdf.Rotation.ifvalid)
    except img2pdf.AlphaChannelError:
        # PDF/A forbids soft masks anyway: flatten on white, store losslessly
        with Image.open(io.BytesIO(image)) as im:
            flat = Image.new("RGB", im.size, "white")
            flat.paste(im.convert("RGBA"), mask=im.convert("RGBA").getchannel("A"))
        buf = io.BytesIO()
        flat.save(buf, format="PNG")
        return img2pdf.convert(buf.getvalue(), layout_fun=layout)


def _line_placements(boxes: list[tuple[int, int, int, int]], k: float) -> list[tuple[float, float]]:
    """Font size and baseline (pt from the page top) of each line, in reading order. A line is set
    on its box: the em is the box height / 1.1, the baseline 0.2 em above the box bottom, so its
    glyphs' tops (what extraction groups lines by) sit at the box top. When an earlier line that
    shares some of its horizontal span has its top less than LINE_GAP_PT above, the line's font
    shrinks (its baseline stays in its box, so each word's middle stays in its word box); when even
    a MIN_SIZE_PT font would not fit, the line goes below that earlier line, out of its box, so the
    text still reads in order."""
    placed: list[tuple[float, float, float]] = []  # x0, x1 (pt) and glyph top (pt) of each line set
    out = []
    for x0, y0, x1, y1 in boxes:
        left, right, bottom = x0 * k, x1 * k, y1 * k
        size = max((y1 - y0) * k * EM_PER_LINE_HEIGHT, MIN_SIZE_PT)
        floor = max((top + LINE_GAP_PT for a, b, top in placed if a < right and left < b), default=None)
        if floor is not None and bottom - size < floor:
            size = bottom - floor
            if size < MIN_SIZE_PT:  # no room left in its box
                size = max(min((y1 - y0) * k * EM_PER_LINE_HEIGHT, 2 * LINE_GAP_PT), MIN_SIZE_PT)
                bottom = floor + size
        placed.append((left, right, bottom - size))
        out.append((size, bottom - DESCENT * size))
    return out


def _text_layer(pages: list[PdfPageInput], sizes: list[tuple[float, float]], kept: list[bool],
                font: str) -> bytes:
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("body", "", font)
    for item, (w_pt, h_pt), own in zip(pages, sizes, kept, strict=True):
        pdf.add_page(format=(w_pt, h_pt))
        if own:
            continue  # the deposited page keeps its own text layer
        k = 72.0 / item.dpi
        visible = item.image is None  # a plain text file: show the text itself
        pdf.text_mode = TextMode.FILL if visible else TextMode.INVISIBLE
        lines = [ln for ln in item.page.lines if any(w.text for w in ln.words)]
        for line, (size, baseline) in zip(lines, _line_placements([ln.bbox for ln in lines], k), strict=True):
            words = [w for w in line.words if w.text]
            pdf.set_font("body", size=size)
            # Within a line extraction orders characters by x: a word whose box starts inside the
            # word before (junk readings of noise) starts after it instead, so words never interleave.
            cursor = 0.0
            for j, w in enumerate(words):
                text = w.text + (" " if j < len(words) - 1 else "")
                pdf.set_stretching(100.0)  # measure unstretched (fpdf2 applies the current stretching)
                natural = pdf.get_string_width(w.text)
                x = max(w.bbox[0] * k, cursor)
                box_w = max(w.bbox[2] * k - x, k)
                stretch = max(min(100.0 * box_w / natural, 1000.0), 1.0) if natural else 100.0
                pdf.set_stretching(stretch)
                pdf.text(x, baseline, text)
                cursor = x + natural * stretch / 100.0 + 0.1
        pdf.set_stretching(100.0)
    return bytes(pdf.output())


def _metadata(pdf: pikepdf.Pdf, doc: ExportDocument, note: str | None) -> None:
    fields = dc_fields(doc)
    bags: dict[str, set[str]] = {}
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        for name, value in fields:
            if name == "title":
                meta["dc:title"] = value
            elif name == "rights":
                meta["dc:rights"] = value
            elif name == "date":
                meta["dc:date"] = [value]
            elif name in ("identifier", "source", "coverage"):
                if f"dc:{name}" not in meta:
                    meta[f"dc:{name}"] = value
            elif name != "format":
                bags.setdefault(name, set()).add(value)
        for name, values in bags.items():
            meta[f"dc:{name}"] = values
        meta["dc:format"] = "application/pdf"
        if note:
            meta["dc:description"] = note
        meta["xmp:CreatorTool"] = "archive-ingest"
        meta["pdf:Producer"] = f"archive-ingest (img2pdf {img2pdf.__version__}, pikepdf {pikepdf.__version__})"
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"


def searchable_pdf(doc: ExportDocument, pages: list[PdfPageInput], original: bytes | None = None) -> bytes:
    """The document's PDF. ``original``: the deposited file's bytes, whose pages replace the
    rendering of the born-digital pages (text read from its text layer)."""
    if not pages:
        raise PdfExportError(f"document {doc.id} has no pages to export")
    out = pikepdf.new()
    sizes, kept = [], []
    deposited = born_digital.open_original(original)
    sources = [deposited] if deposited is not None else []  # copied pages read their streams from these
    for item in pages:
        own = born_digital.original_page(deposited, item.page)
        kept.append(own is not None)
        if own is not None:
            out.pages.append(own)
            born_digital.clean_copied_page(out.pages[-1])
            sizes.append(born_digital.page_size(out.pages[-1]))
        elif item.image is not None:
            single = pikepdf.open(io.BytesIO(_image_pdf(item.image, item.dpi)))
            sources.append(single)
            out.pages.extend(single.pages)
            box = out.pages[-1].mediabox
            sizes.append((float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))
        else:
            w = max(item.page.width, 1) * 72.0 / item.dpi
            h = max(item.page.height, 1) * 72.0 / item.dpi
            out.add_blank_page(page_size=(w, h))
            sizes.append((w, h))
    text = pikepdf.open(io.BytesIO(_text_layer(pages, sizes, kept, font_path())))
    sources.append(text)
    for page, layer, deposited_page in zip(out.pages, text.pages, kept, strict=True):
        if not deposited_page:
            # pikepdf's _page.pyi omits rect's default (None: the whole page, as _methods.py defines it)
            page.add_overlay(out.copy_foreign(layer.as_form_xobject()))  # type: ignore[call-arg]
    icc = out.make_stream(srgb_profile())
    icc["/N"] = 3
    out.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1, OutputConditionIdentifier="sRGB",
        Info="sRGB IEC61966-2.1", DestOutputProfile=icc)])
    _metadata(out, doc, born_digital.layer_note([p.page for p in pages], kept, doc.raw))
    buf = io.BytesIO()
    try:
        # the copied pages may use what their PDF version allows; PDF/A-2 is PDF 1.7 at most
        version = min(deposited.pdf_version, "1.7") if deposited is not None else ""
        out.save(buf, deterministic_id=True, min_version=version)
    finally:
        for src in sources:
            src.close()
    return buf.getvalue()
