"""Build the export dataclasses from the database: the OCR with the reviewers' versions applied."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import db
from ..export import record_metadata
from ..models import Alignment, Document, LineRow, PageRow, SentenceRow
from ..versions import attached_versions
from .model import (
    ExportDocument,
    ExportLine,
    ExportPage,
    ExportPair,
    ExportPassage,
    ExportSentence,
    ExportWord,
    SentencePair,
)
from .placement import place_on_words


def _lines(page: PageRow) -> list[ExportLine]:
    return [ExportLine((ln.x0, ln.y0, ln.x1, ln.y1), tuple(
        ExportWord(w.text, (w.x0, w.y0, w.x1, w.y1), w.confidence, w.alternative, w.alternative_confidence or 0.0)
        for w in ln.words), ln.confidence, ln.number) for ln in page.lines]


def _page(page: PageRow, versions: dict, raw: bool) -> ExportPage:
    lines = _lines(page)
    passages = []
    for ps in page.passages:
        own = lines[ps.first_line:ps.last_line + 1]
        v = None if raw else versions.get((page.number, ps.number))
        text, placement = ps.text, "words"
        if v is not None and v.text != ps.text:
            own, placement = place_on_words(own, v.text)
            text = v.text
        passages.append(ExportPassage(ps.number, (ps.x0, ps.y0, ps.x1, ps.y1), tuple(own), text, ps.text,
                                      v.version if v is not None else 0, placement))
    kind = "preprocessed" if page.preprocessed_image else ("original" if page.original_image else None)
    return ExportPage(page.number, page.width or 0, page.height or 0, page.dpi or 0, page.text_source,
                      page.preprocessed_image or page.original_image, kind, tuple(passages),
                      page.mean_confidence, page.ocr_engine or "", page.ocr_model or "",
                      tuple(page.preprocessing or ()), page.original_image)


def _document(s, doc: Document, raw: bool) -> ExportDocument:
    _, versions = attached_versions(s, doc.id)
    return ExportDocument(doc.id, doc.filename, doc.lang, doc.collection, record_metadata(doc),
                          tuple(_page(p, versions, raw) for p in doc.pages), raw, doc.sha256, doc.media_type,
                          doc.original_file)


def _full(s, document_id: int) -> Document | None:
    return s.scalar(select(Document).where(Document.id == document_id).options(
        selectinload(Document.record),
        selectinload(Document.pages).selectinload(PageRow.lines).selectinload(LineRow.words),
        selectinload(Document.pages).selectinload(PageRow.passages)))


class ExportRepository:
    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def document(self, document_id: int, *, raw: bool = False) -> ExportDocument | None:
        with self.sessions() as s:
            doc = _full(s, document_id)
            return _document(s, doc, raw) if doc is not None else None

    def pair(self, document_id: int, *, raw: bool = False) -> ExportPair | None:
        """The original-translation pair the document belongs to (as original or as translation),
        with its newest sentence-level alignment; None when it has no aligned counterpart."""
        with self.sessions() as s:
            link = s.scalar(select(Alignment).where(
                (Alignment.source_document_id == document_id) | (Alignment.target_document_id == document_id))
                .order_by(Alignment.id.desc()).limit(1))
            if link is None:
                return None
            src_id, tgt_id = link.source_document_id, link.target_document_id
            src, tgt = _full(s, src_id), _full(s, tgt_id)
            if src is None or tgt is None:
                return None
            links = list(s.scalars(select(Alignment).where(
                Alignment.source_document_id == src_id, Alignment.target_document_id == tgt_id)
                .order_by(Alignment.level, Alignment.number)))
            sents = {d: [ExportSentence(x.number, x.passage, x.text) for x in s.scalars(
                select(SentenceRow).where(SentenceRow.document_id == d).order_by(SentenceRow.number))]
                for d in (src_id, tgt_id)}
            by_num = {d: {x.number: x.text for x in sents[d]} for d in sents}
            pairs = tuple(SentencePair(a.number, " ".join(by_num[src_id].get(i, "") for i in a.source_ids).strip(),
                                       " ".join(by_num[tgt_id].get(j, "") for j in a.target_ids).strip(),
                                       a.score, tuple(a.source_ids), tuple(a.target_ids))
                          for a in links if a.level == "sentence")
            passage_links = tuple((tuple(a.source_ids), tuple(a.target_ids), a.score)
                                  for a in links if a.level == "passage")
            kinds = {a.target_kind for a in links}
            return ExportPair(_document(s, src, raw), _document(s, tgt, raw), tuple(sents[src_id]),
                              tuple(sents[tgt_id]), pairs, passage_links,
                              "machine" if "machine" in kinds else "human")
