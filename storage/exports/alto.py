"""ALTO 4.4 for one page: blocks = passages, lines, words (String) with boxes, confidence (WC) and
Tesseract's runner-up reading (ALTERNATIVE); preprocessing, OCR and review as Processing steps.

Boxes are pixels of the stored image named in sourceImageInformation.
"""

from __future__ import annotations

import json

from lxml import etree

from .model import ExportDocument, ExportPage

NS = "http://www.loc.gov/standards/alto/ns-v4#"
SCHEMA_LOCATION = "http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _el(parent, name: str, **attrs) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS}}}{name}", {k: str(v) for k, v in attrs.items() if v is not None})


def _box(b) -> dict:
    return {"HPOS": b[0], "VPOS": b[1], "WIDTH": max(b[2] - b[0], 0), "HEIGHT": max(b[3] - b[1], 0)}


def _step(desc, n: int, category: str, description: str, settings: str | None = None,
          software: tuple[str, str] | None = None) -> None:
    p = _el(desc, "Processing", ID=f"proc{n}")
    _el(p, "processingCategory").text = category
    _el(p, "processingStepDescription").text = description
    if settings:
        _el(p, "processingStepSettings").text = settings
    if software:
        sw = _el(p, "processingSoftware")
        _el(sw, "softwareName").text = software[0]
        if software[1]:
            _el(sw, "softwareVersion").text = software[1]


def alto_page(doc: ExportDocument, page: ExportPage, image_name: str | None) -> bytes:
    root = etree.Element(f"{{{NS}}}alto", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    root.set("SCHEMAVERSION", "4.4")
    desc = _el(root, "Description")
    _el(desc, "MeasurementUnit").text = "pixel"
    if image_name:
        src = _el(desc, "sourceImageInformation")
        _el(src, "fileName").text = image_name
    n = 1
    for st in page.steps:
        _step(desc, n, "preOperation", str(st.get("name")), json.dumps(st.get("params") or {}, ensure_ascii=False))
        n += 1
    engine, _, version = page.engine.partition(" ")
    what = {"ocr": "OCR", "text_layer": "text layer of a born-digital PDF",
            "text_file": "plain text file"}.get(page.text_source or "", page.text_source or "")
    _step(desc, n, "contentGeneration", what, f"model={page.model}" if page.model else None,
          (engine or "unknown", version))
    n += 1
    reviewed = [p for p in page.passages if p.changed]
    if reviewed and not doc.raw:
        _step(desc, n, "contentModification",
              f"reviewed text of passages {', '.join(str(p.number) for p in reviewed)} "
              "placed on the OCR word boxes (or spread over its lines)")
    layout = _el(root, "Layout")
    pg = _el(layout, "Page", ID=f"page{page.number}", PHYSICAL_IMG_NR=page.number,
             WIDTH=page.width, HEIGHT=page.height)
    if page.mean_confidence is not None:
        pg.set("PC", f"{min(max(page.mean_confidence / 100, 0), 1):.3f}")
    space = _el(pg, "PrintSpace", HPOS=0, VPOS=0, WIDTH=page.width, HEIGHT=page.height)
    for ps in page.passages:
        block = _el(space, "TextBlock", ID=f"p{page.number}_b{ps.number}", **_box(ps.bbox))
        for ln in ps.lines:
            if not ln.words:  # ALTO wants a String in every line (a reviewer's shorter text may leave one empty)
                continue
            line = _el(block, "TextLine", ID=f"p{page.number}_l{ln.number}", **_box(ln.bbox))
            for j, w in enumerate(ln.words):
                if j:
                    _el(line, "SP")
                s = _el(line, "String", ID=f"p{page.number}_w{ln.number}_{j}", CONTENT=w.text,
                        WC=f"{min(max(w.confidence / 100, 0), 1):.3f}", **_box(w.bbox))
                if w.alternative and w.alternative_confidence and w.alternative != w.text:
                    alt = _el(s, "ALTERNATIVE", PURPOSE="second reading")
                    alt.text = w.alternative
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
