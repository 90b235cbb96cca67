"""Pairs, sentences, alignments and the machine-translation cache."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from . import db
from .models import (
    Alignment,
    Document,
    DocumentStatus,
    MachineTranslation,
    PageRow,
    PassageRow,
    Record,
    SentenceRow,
    TranslationStatus,
)
from .versions import PassageText, effective_passages


class AlignmentRepository:
    """Pairs, sentences, alignments and the machine-translation cache."""

    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def passages(self, document_id: int) -> list[PassageText]:
        """(page number, passage number on the page, text) in reading order; a reviewer's latest
        version of a passage stands in for its OCR text."""
        with self.sessions() as s:
            return effective_passages(s, document_id)

    def passage_places(self, document_id: int) -> list[tuple[int, int]]:
        """(page number, first line) of each passage in reading order, as `passages` lists them."""
        with self.sessions() as s:
            rows = s.execute(select(PageRow.number, PassageRow.first_line)
                             .join(PassageRow, PassageRow.page_id == PageRow.id)
                             .where(PageRow.document_id == document_id)
                             .order_by(PageRow.number, PassageRow.number)).all()
            return [(number, first_line) for number, first_line in rows]

    def pairs_for(self, document_id: int) -> list[tuple[int, int]]:
        """(original, translation) pairs this stored document takes part in, through record ids."""
        with self.sessions() as s:
            rec = s.scalar(select(Record).where(Record.document_id == document_id))
            if rec is None:
                return []
            stored = (select(Record.document_id).join(Document, Document.id == Record.document_id)
                      .where(Document.status == DocumentStatus.STORED))
            pairs = []
            if rec.translation_of:
                for orig in s.scalars(stored.where(Record.record_id == rec.translation_of)):
                    pairs.append((orig, document_id))
            if rec.record_id:
                for tr in s.scalars(stored.where(Record.translation_of == rec.record_id)):
                    pairs.append((document_id, tr))
            return pairs

    def is_translation(self, document_id: int) -> bool:
        with self.sessions() as s:
            return bool(s.scalar(select(Record.translation_of).where(Record.document_id == document_id)))

    def save_sentences(self, document_id: int, sentences: list[dict]) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(SentenceRow).where(SentenceRow.document_id == document_id))
            s.add_all([SentenceRow(document_id=document_id, **row) for row in sentences])

    def save_alignment(self, source_id: int, target_id: int, links: dict[str, list], *, method: str, version: str,
                       target_kind: str = "human") -> None:
        """Replace the pair's links (levels 'passage' and 'sentence') in one transaction."""
        with self.sessions.begin() as s:
            s.execute(delete(Alignment).where(Alignment.source_document_id == source_id,
                                              Alignment.target_document_id == target_id))
            for level, items in links.items():
                for n, link in enumerate(items):
                    s.add(Alignment(source_document_id=source_id, target_document_id=target_id, level=level,
                                    number=n, source_ids=list(link.source), target_ids=list(link.target),
                                    score=round(float(link.score), 4), method=method, version=version,
                                    target_kind=target_kind))
            s.get_one(Document, source_id).translation_status = TranslationStatus.HUMAN

    def set_translation_status(self, document_id: int, status: str | None) -> None:
        with self.sessions.begin() as s:
            s.get_one(Document, document_id).translation_status = status

    def alignments(self, document_id: int) -> list[Alignment]:
        with self.sessions() as s:
            q = (select(Alignment).where((Alignment.source_document_id == document_id)
                                         | (Alignment.target_document_id == document_id))
                 .order_by(Alignment.target_document_id, Alignment.level, Alignment.number))
            return list(s.scalars(q))

    def sentences(self, document_id: int) -> list[SentenceRow]:
        with self.sessions() as s:
            return list(s.scalars(select(SentenceRow).where(SentenceRow.document_id == document_id)
                                  .order_by(SentenceRow.number)))

    # the translation cache protocol of ingest.translate, keyed "provider:src:tgt:sha256"
    def get(self, key: str) -> str | None:
        provider, src, tgt, digest = key.split(":", 3)
        with self.sessions() as s:
            return s.scalar(select(MachineTranslation.translation).where(
                MachineTranslation.provider == provider, MachineTranslation.source_lang == src,
                MachineTranslation.target_lang == tgt, MachineTranslation.text_sha256 == digest))

    def put(self, key: str, text: str) -> None:
        provider, src, tgt, digest = key.split(":", 3)
        try:
            with self.sessions.begin() as s:
                s.add(MachineTranslation(provider=provider, source_lang=src, target_lang=tgt, text_sha256=digest,
                                         translation=text))
        except IntegrityError:
            pass  # cached meanwhile by another run
