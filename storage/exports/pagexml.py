"""PAGE-XML 2019-07-15 for one page: text regions = passages, lines, words, each with its polygon
(Coords) and TextEquiv with the confidence (0-1). Coordinates are pixels of the named image."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from .model import ExportDocument, ExportPage

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} {NS}/pagecontent.xsd"


def _el(parent, name: str, **attrs) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS}}}{name}", {k: str(v) for k, v in attrs.items() if v is not None})


def _coords(parent, b) -> None:
    x0, y0, x1, y1 = b
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    _el(parent, "Coords", points=f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}")


def _equiv(parent, text: str, conf: float | None) -> None:
    te = _el(parent, "TextEquiv", conf=f"{min(max(conf / 100, 0), 1):.3f}" if conf is not None else None)
    _el(te, "Unicode").text = text


def page_xml(doc: ExportDocument, page: ExportPage, image_name: str | None, *,
             now: datetime | None = None) -> bytes:
    stamp = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    root = etree.Element(f"{{{NS}}}PcGts", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    meta = _el(root, "Metadata")
    _el(meta, "Creator").text = f"archive-ingest ({page.engine or page.text_source})"
    _el(meta, "Created").text = stamp
    _el(meta, "LastChange").text = stamp
    title = doc.metadata.get("title") or doc.filename
    _el(meta, "Comments").text = (f"document {doc.id} page {page.number}: {title}; "
                                  f"{'raw OCR' if doc.raw else 'reviewed text where a reviewer corrected it'}")
    pg = _el(root, "Page", imageFilename=image_name or doc.filename, imageWidth=max(page.width, 1),
             imageHeight=max(page.height, 1))
    order = _el(_el(pg, "ReadingOrder"), "OrderedGroup", id=f"ro{page.number}") if page.passages else None
    for i, ps in enumerate(page.passages):
        _el(order, "RegionRefIndexed", index=i, regionRef=f"p{page.number}_r{ps.number}")
    for ps in page.passages:
        region = _el(pg, "TextRegion", id=f"p{page.number}_r{ps.number}", type="paragraph")
        _coords(region, ps.bbox)
        for ln in ps.lines:
            line = _el(region, "TextLine", id=f"p{page.number}_l{ln.number}")
            _coords(line, ln.bbox)
            for j, w in enumerate(ln.words):
                word = _el(line, "Word", id=f"p{page.number}_w{ln.number}_{j}")
                _coords(word, w.bbox)
                _equiv(word, w.text, w.confidence)
            _equiv(line, ln.text, ln.confidence)
        _equiv(region, ps.text, None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
