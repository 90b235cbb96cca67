"""Aligned sentence pairs as TMX 1.4b and as TSV, with the alignment's confidence."""

from __future__ import annotations

import csv
import io

from lxml import etree

from .model import ExportPair

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANG = {"vie": "vi", "eng": "en"}


def _lang(code: str) -> str:
    return LANG.get(code, code)


def tmx(pair: ExportPair, *, tool_version: str = "1") -> bytes:
    src_lang, tgt_lang = _lang(pair.original.lang), _lang(pair.translation.lang)
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(root, "header", {
        "creationtool": "archive-ingest", "creationtoolversion": tool_version, "segtype": "sentence",
        "o-tmf": "archive-ingest", "adminlang": "en", "srclang": src_lang, "datatype": "plaintext"})
    body = etree.SubElement(root, "body")
    for p in pair.pairs:
        if not p.source or not p.target:
            continue  # an omission on one side is not a translation unit
        tu = etree.SubElement(body, "tu", tuid=f"{pair.original.id}-{pair.translation.id}-{p.number}")
        etree.SubElement(tu, "prop", type="x-confidence").text = f"{p.score:.3f}"
        etree.SubElement(tu, "prop", type="x-translation").text = pair.target_kind
        for lang, text in ((src_lang, p.source), (tgt_lang, p.target)):
            tuv = etree.SubElement(tu, "tuv", {XML_LANG: lang})
            etree.SubElement(tuv, "seg").text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype='<!DOCTYPE tmx SYSTEM "tmx14.dtd">')


TSV_HEADER = ["original_document", "translation_document", "link", "original_lang", "translation_lang",
              "original", "translation", "confidence"]


def tsv(pair: ExportPair) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(TSV_HEADER)
    for p in pair.pairs:
        w.writerow([pair.original.id, pair.translation.id, p.number, _lang(pair.original.lang),
                    _lang(pair.translation.lang), p.source, p.target, f"{p.score:.3f}"])
    return buf.getvalue().encode("utf-8")
