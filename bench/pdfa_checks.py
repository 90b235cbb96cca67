"""PDF/A-2b structure checks of an exported PDF (ISO 19005-2), read with pikepdf.

No PDF/A validator installs offline here: veraPDF is not packaged by Debian, and the PyPI
packages that name it (pdfa-parser and others) download its jar and a Java runtime from Maven
at run time. So these checks cover, by structure, the clauses our writer can get wrong: the
header, no encryption, a trailer ID, the XMP (unfiltered, pdfaid:part 2 conformance B, the
Info dictionary agreeing with it), an output intent with an ICC profile, every font embedded,
no LZW, no interpolated or alternate images, no JavaScript or page actions, printable
annotations of allowed kinds, no embedded files. They do not check the content streams'
colour spaces against the output intent or the fonts' glyph widths, which a validator would.
"""

from __future__ import annotations

import io
import re

import pikepdf

FORBIDDEN_ANNOTS = {"/Sound", "/Movie", "/Screen", "/3D", "/RichMedia", "/FileAttachment"}
HIDDEN_FLAGS = 1 | 2 | 32 | 256  # Invisible, Hidden, NoView, ToggleNoView
PRINT_FLAG = 4


def _fonts(resources, seen: set) -> list:
    """Fonts of a resource dictionary, of its forms and of Type 3 glyph procedures, recursively."""
    out = []
    if resources is None or resources.objgen in seen and resources.objgen != (0, 0):
        return out
    seen.add(resources.objgen)
    for font in (resources.get("/Font") or {}).values():
        out.append(font)
        if font.get("/Subtype") == "/Type3":
            out += _fonts(font.get("/Resources"), seen)
    for xo in (resources.get("/XObject") or {}).values():
        if xo.get("/Subtype") == "/Form":
            out += _fonts(xo.get("/Resources"), seen)
    return out


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are content streams in the file itself
    desc = font.DescendantFonts[0].get("/FontDescriptor") if "/DescendantFonts" in font else font.get(
        "/FontDescriptor")
    return desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def pdfa_problems(data: bytes) -> list[str]:
    """The PDF/A-2b clauses the file breaks, by structure; [] when none is found."""
    problems = []
    if not re.match(rb"%PDF-1\.[0-7]\r?\n%[\x80-\xff]{4}", data):
        problems.append("header: %PDF-1.0 to 1.7 then a binary comment")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if pdf.is_encrypted:
            problems.append("encrypted")
        if "/ID" not in pdf.trailer:
            problems.append("no trailer /ID")
        root = pdf.Root
        meta = root.get("/Metadata")
        if meta is None:
            problems.append("no XMP metadata")
        else:
            if "/Filter" in meta.stream_dict:
                problems.append("XMP metadata stream is filtered")
            xmp = pdf.open_metadata()
            if str(xmp.get("pdfaid:part")) != "2" or str(xmp.get("pdfaid:conformance")) != "B":
                problems.append("XMP does not claim pdfaid:part 2, conformance B")
            info = pdf.docinfo
            for key, prop in (("/Title", "dc:title"), ("/Subject", "dc:description"), ("/Producer", "pdf:Producer"),
                              ("/Creator", "xmp:CreatorTool")):
                if key in info and str(info[key]) != str(xmp.get(prop, "")):
                    problems.append(f"Info {key} differs from XMP {prop}")
        intents = [i for i in root.get("/OutputIntents") or [] if i.get("/S") == "/GTS_PDFA1"]
        if not intents or "/DestOutputProfile" not in intents[0]:
            problems.append("no GTS_PDFA1 output intent with an ICC profile")
        elif int(intents[0].DestOutputProfile.get("/N", 0)) not in (1, 3, 4):
            problems.append("output intent profile has no valid /N")
        if "/Names" in root and ("/JavaScript" in root.Names or "/EmbeddedFiles" in root.Names):
            problems.append("document JavaScript or embedded files")
        if "/AA" in root:
            problems.append("document actions (/AA)")
        seen: set = set()
        for n, page in enumerate(pdf.pages, 1):
            if "/AA" in page.obj:
                problems.append(f"page {n}: page actions (/AA)")
            for font in _fonts(page.obj.get("/Resources"), seen):
                if not _embedded(font):
                    problems.append(f"page {n}: font {font.get('/BaseFont')} not embedded")
            for annot in page.obj.get("/Annots") or []:
                kind, flags = annot.get("/Subtype"), int(annot.get("/F", 0))
                if kind in FORBIDDEN_ANNOTS:
                    problems.append(f"page {n}: {kind} annotation")
                elif kind != "/Popup" and (not flags & PRINT_FLAG or flags & HIDDEN_FLAGS):
                    problems.append(f"page {n}: {kind} annotation not printable or hidden")
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            filters = obj.stream_dict.get("/Filter")
            names = [filters] if isinstance(filters, pikepdf.Name) else list(filters or [])
            if pikepdf.Name.LZWDecode in names:
                problems.append("an LZW-compressed stream")
            if obj.stream_dict.get("/Subtype") == "/Image":
                if obj.stream_dict.get("/Interpolate") is True:
                    problems.append("an interpolated image")
                if "/Alternates" in obj.stream_dict or "/OPI" in obj.stream_dict:
                    problems.append("an image with alternates or OPI")
    return sorted(set(problems))
