"""Born-digital pages of a searchable PDF: the deposited PDF's own page, copied with pikepdf.

A page whose text was read from the PDF's text layer (pdfplumber, not OCR) is exported as the
deposited page itself: its own fonts, vector drawing and text layer, so the text extracted from
the export is the text the depositor's PDF carries, not a rendering with our invisible words over
it. The PDF/A-2b parts (XMP with Dublin Core, sRGB output intent) are added to the whole file by
`storage.exports.pdf` as for scanned pages.

Reviewed corrections on such a page are not written into the PDF: the deposited text layer is the
authoritative copy of a born-digital document, and a second, invisible layer over it would make a
search or a copy return every corrected word twice. The PDF's XMP `dc:description` says which
pages keep their own layer and which of them have corrections; the reviewed text is in the txt,
hOCR, ALTO, PAGE-XML, TEI and JSON Lines exports.

What PDF/A forbids and a copied page may carry is dropped: page actions (/AA), and annotations
other than links (widgets point into the original's form, which is not copied; JavaScript and
launch links are dropped too). Fonts the original did not embed stay unembedded: they cannot be
made up afterwards, so such a file is PDF/A in structure only (the export does not refuse it).
"""

from __future__ import annotations

import io

import pikepdf

from .model import ExportPage

# annotation actions that PDF/A-2 forbids (ISO 19005-2, 6.6.1)
FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData",
                     "/Hide", "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView"}
PRINT_FLAG = 4


def keeps_own_layer(page: ExportPage) -> bool:
    """The page's text came from the deposited PDF's text layer."""
    return page.text_source == "text_layer"


def open_original(data: bytes | None) -> pikepdf.Pdf | None:
    """The deposited PDF, or None when there is none or it cannot be read (its pages are then
    rebuilt from their rendering, as scanned pages are)."""
    if not data or not data[:1024].lstrip().startswith(b"%PDF"):
        return None
    try:
        return pikepdf.open(io.BytesIO(data))
    except (pikepdf.PdfError, pikepdf.PasswordError):
        return None


def original_page(original: pikepdf.Pdf | None, page: ExportPage) -> pikepdf.Page | None:
    """The deposited page to copy for this exported page, if it keeps its own layer."""
    if original is None or not keeps_own_layer(page) or not 1 <= page.number <= len(original.pages):
        return None
    return original.pages[page.number - 1]


def clean_copied_page(page: pikepdf.Page) -> None:
    """Drop what PDF/A forbids on a page copied from the deposited file."""
    obj = page.obj
    if "/AA" in obj:
        del obj["/AA"]
    if "/Annots" not in obj:
        return
    kept = []
    for annot in obj.Annots:
        if annot.get("/Subtype") != "/Link":
            continue
        action = annot.get("/A")
        if action is not None and action.get("/S") in FORBIDDEN_ACTIONS:
            continue
        if "/AA" in annot:
            del annot["/AA"]
        annot.F = PRINT_FLAG  # PDF/A: printable, not hidden
        kept.append(annot)
    if kept:
        obj.Annots = pikepdf.Array(kept)
    else:
        del obj["/Annots"]


def page_size(page: pikepdf.Page) -> tuple[float, float]:
    box = page.mediabox
    return float(box[2]) - float(box[0]), float(box[3]) - float(box[1])


def layer_note(pages: list[ExportPage], kept: list[bool], raw: bool) -> str | None:
    """The XMP description of the pages that keep the deposited text layer, or None."""
    numbers = [p.number for p, k in zip(pages, kept, strict=True) if k]
    if not numbers:
        return None
    note = (f"Page{'s' if len(numbers) > 1 else ''} {_ranges(numbers)}: the deposited born-digital PDF page "
            "with its own text layer.")
    corrected = [p.number for p, k in zip(pages, kept, strict=True) if k and any(ps.changed for ps in p.passages)]
    if corrected and not raw:
        note += (f" Reviewed corrections on page{'s' if len(corrected) > 1 else ''} {_ranges(corrected)} are not "
                 "in this PDF's text layer; they are in the txt, hOCR, ALTO, PAGE-XML, TEI and JSON Lines exports.")
    return note


def _ranges(numbers: list[int]) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
