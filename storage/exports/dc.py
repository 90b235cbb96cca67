"""Dublin Core (simple DC, OAI `oai_dc` container) of a document's record."""

from __future__ import annotations

from lxml import etree

from .model import ExportDocument

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

LANG = {"vie": "vi", "eng": "en"}


def dc_fields(doc: ExportDocument) -> list[tuple[str, str]]:
    """(element, value) pairs of the record in Dublin Core terms; shared with the PDF's XMP."""
    m = doc.metadata
    out: list[tuple[str, str]] = [("title", m.get("title") or doc.filename)]
    if m.get("record_id"):
        out.append(("identifier", str(m["record_id"])))
    out.append(("identifier", f"archive-ingest:document:{doc.id}"))
    if m.get("date"):
        out.append(("date", str(m["date"])))
    if m.get("source_archive"):
        out.append(("source", str(m["source_archive"])))
    if m.get("translator"):
        out.append(("contributor", f"{m['translator']} (translator)"))
    for d in m.get("donors") or []:
        out.append(("contributor", f"{d} (donor)"))
    if m.get("rights"):
        out.append(("rights", str(m["rights"])))
    out.append(("type", str(m.get("type") or "Text")))
    out.append(("language", LANG.get(doc.lang, doc.lang)))  # ISO 639-1 from the OCR language code
    for s in m.get("subjects") or []:
        out.append(("subject", str(s)))
    for p in m.get("places") or []:
        out.append(("coverage", str(p)))
    if m.get("translation_of"):
        out.append(("relation", f"translation of {m['translation_of']}"))
    if doc.collection:
        out.append(("relation", f"collection: {doc.collection}"))
    if doc.media_type:
        out.append(("format", doc.media_type))
    return out


def dublin_core(doc: ExportDocument) -> bytes:
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    for name, value in dc_fields(doc):
        etree.SubElement(root, f"{{{DC}}}{name}").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
