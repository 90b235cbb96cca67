"""hOCR 1.2 for one page (ocr_page / ocr_par = passage / ocr_line / ocrx_word with bbox and x_wconf)."""

from __future__ import annotations

from lxml import etree

from .model import ExportDocument, ExportPage

XHTML = "http://www.w3.org/1999/xhtml"


def _bbox(b) -> str:
    return f"bbox {b[0]} {b[1]} {b[2]} {b[3]}"


def hocr_page(doc: ExportDocument, page: ExportPage, image_name: str | None) -> bytes:
    html = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
    html.set("lang", {"vie": "vi", "eng": "en"}.get(doc.lang, doc.lang))
    head = etree.SubElement(html, "head")
    etree.SubElement(head, "title").text = f"{doc.metadata.get('title') or doc.filename} — page {page.number}"
    etree.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html; charset=utf-8"})
    etree.SubElement(head, "meta", name="ocr-system", content=page.engine or str(page.text_source))
    etree.SubElement(head, "meta", name="ocr-capabilities", content="ocr_page ocr_par ocr_line ocrx_word")
    body = etree.SubElement(html, "body")
    title = f'image "{image_name}"; ' if image_name else ""
    pg = etree.SubElement(body, "div", {"class": "ocr_page", "id": f"page_{page.number}",
                                        "title": f"{title}{_bbox((0, 0, page.width, page.height))}; "
                                                 f"ppageno {page.number - 1}"})
    for ps in page.passages:
        par = etree.SubElement(pg, "p", {"class": "ocr_par", "id": f"par_{page.number}_{ps.number}",
                                         "title": _bbox(ps.bbox)})
        if ps.changed:
            par.set("data-reviewed-version", str(ps.version))
        for ln in ps.lines:
            line = etree.SubElement(par, "span", {"class": "ocr_line", "id": f"line_{page.number}_{ln.number}",
                                                  "title": _bbox(ln.bbox)})
            for j, w in enumerate(ln.words):
                span = etree.SubElement(line, "span", {
                    "class": "ocrx_word", "id": f"word_{page.number}_{ln.number}_{j}",
                    "title": f"{_bbox(w.bbox)}; x_wconf {int(round(w.confidence))}"})
                span.text = w.text
                span.tail = " "
    return etree.tostring(html, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype='<!DOCTYPE html>')


def text_page(page: ExportPage) -> bytes:
    """The page's text: passages separated by a blank line, lines as read."""
    return ("\n\n".join("\n".join(ln.text for ln in ps.lines) if ps.placement == "words" or not ps.changed
                        else ps.text for ps in page.passages) + "\n").encode("utf-8")
