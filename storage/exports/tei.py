"""TEI P5 for an original-translation pair: the record in the teiHeader, both texts as passages
(p) and sentences (s) with xml:ids, and the alignment as linkGrps (passages, sentences) in standOff.

Structure (tested): TEI/teiHeader/fileDesc; TEI/text/group/text[@xml:lang] x 2, each body/div/p/s;
TEI/standOff/linkGrp[@type='passages'|'sentences']/link[@target='#vi-s0 #en-s0'][@cert].
"""

from __future__ import annotations

from lxml import etree

from .model import ExportDocument, ExportPair, ExportSentence

TEI = "http://www.tei-c.org/ns/1.0"
XML = "http://www.w3.org/XML/1998/namespace"
LANG = {"vie": "vi", "eng": "en"}


def _el(parent, name: str, text: str | None = None, **attrs) -> etree._Element:
    e = etree.SubElement(parent, f"{{{TEI}}}{name}", {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        e.text = text
    return e


def _header(root, pair: ExportPair) -> None:
    orig, tr = pair.original, pair.translation
    m = orig.metadata
    header = _el(root, "teiHeader")
    fd = _el(header, "fileDesc")
    ts = _el(fd, "titleStmt")
    _el(ts, "title", m.get("title") or orig.filename, type="main")
    if tr.metadata.get("title"):
        _el(ts, "title", tr.metadata["title"], type="translation")
    translator = tr.metadata.get("translator") or m.get("translator")
    if translator:
        resp = _el(ts, "respStmt")
        _el(resp, "resp", "translation")
        _el(resp, "name", translator)
    ps = _el(fd, "publicationStmt")
    _el(ps, "publisher", "archive-ingest")
    if m.get("record_id"):
        _el(ps, "idno", str(m["record_id"]), type="record")
    if tr.metadata.get("record_id"):
        _el(ps, "idno", str(tr.metadata["record_id"]), type="translation-record")
    av = _el(ps, "availability")
    _el(av, "p", m.get("rights") or tr.metadata.get("rights") or "rights not recorded")
    sd = _el(fd, "sourceDesc")
    bibl = _el(sd, "bibl")
    _el(bibl, "title", m.get("title") or orig.filename)
    if m.get("date"):
        _el(bibl, "date", str(m["date"]), when=str(m["date"]) if str(m["date"])[:4].isdigit() else None)
    if m.get("source_archive"):
        _el(bibl, "orgName", m["source_archive"], role="archive")
    if m.get("record_id"):
        _el(bibl, "idno", str(m["record_id"]))
    profile = _el(header, "profileDesc")
    lu = _el(profile, "langUsage")
    for d in (orig, tr):
        _el(lu, "language", {"vie": "Vietnamese", "eng": "English"}.get(d.lang, d.lang),
            ident=LANG.get(d.lang, d.lang))
    if pair.target_kind == "machine":
        _el(_el(header, "encodingDesc"), "p", "The translation is a machine translation draft.")


def _text(group, doc: ExportDocument, sentences: tuple[ExportSentence, ...], role: str) -> str:
    prefix = f"{role}{doc.id}"
    t = _el(group, "text", **{f"{{{XML}}}lang": LANG.get(doc.lang, doc.lang), f"{{{XML}}}id": prefix, "type": role})
    div = _el(_el(t, "body"), "div", type=role)
    by_passage: dict[int, list[ExportSentence]] = {}
    for s in sentences:
        by_passage.setdefault(s.passage, []).append(s)
    k = 0
    for page in doc.pages:
        _el(div, "pb", n=page.number)
        for ps in page.passages:
            p = _el(div, "p", **{f"{{{XML}}}id": f"{prefix}-p{k}"})
            if ps.changed:
                p.set("resp", "#reviewer")
            own = by_passage.get(k)
            if own:
                for s in own:
                    _el(p, "s", s.text, **{f"{{{XML}}}id": f"{prefix}-s{s.number}"})
            else:
                p.text = ps.text
            k += 1
    return prefix


def tei_pair(pair: ExportPair) -> bytes:
    root = etree.Element(f"{{{TEI}}}TEI", nsmap={None: TEI})
    _header(root, pair)
    group = _el(_el(root, "text"), "group")
    a = _text(group, pair.original, pair.original_sentences, "original")
    b = _text(group, pair.translation, pair.translation_sentences, "translation")
    stand = _el(root, "standOff")
    lg = _el(stand, "linkGrp", type="passages")
    for src, tgt, score in pair.passage_links:
        refs = [f"#{a}-p{i}" for i in src] + [f"#{b}-p{j}" for j in tgt]
        if src and tgt:
            _el(lg, "link", target=" ".join(refs), cert=f"{min(max(score, 0), 1):.3f}")
    lg = _el(stand, "linkGrp", type="sentences")
    for p in pair.pairs:
        if p.source_ids and p.target_ids:
            refs = [f"#{a}-s{i}" for i in p.source_ids] + [f"#{b}-s{j}" for j in p.target_ids]
            _el(lg, "link", target=" ".join(refs), cert=f"{min(max(p.score, 0), 1):.3f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
