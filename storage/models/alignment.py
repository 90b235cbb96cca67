"""What alignment stores: a document's sentences, the links between an original and its translation,
and the machine-translation cache."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class SentenceRow(Base):
    """A sentence of a document, with offsets into the passage it came from (and so its page,
    lines and boxes)."""

    __tablename__ = "sentences"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 0-based in the document
    passage: Mapped[int] = mapped_column(Integer)  # 0-based passage index in the document
    page_number: Mapped[int] = mapped_column(Integer)
    passage_number: Mapped[int] = mapped_column(Integer)  # on its page
    start: Mapped[int] = mapped_column(Integer)  # character offsets in the passage text
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class Alignment(Base):
    """One link between an original and its translation, at passage or sentence level."""

    __tablename__ = "alignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    target_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))  # "passage" | "sentence"
    number: Mapped[int] = mapped_column(Integer)  # order of the link
    source_ids: Mapped[list] = mapped_column(JSON, default=list)
    target_ids: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(20))
    target_kind: Mapped[str] = mapped_column(String(20), default="human")  # "human" | "machine"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MachineTranslation(Base):
    """Cache of provider output by text hash, and machine-made drafts of whole passages."""

    __tablename__ = "machine_translations"
    __table_args__ = (UniqueConstraint("provider", "source_lang", "target_lang", "text_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(50))
    source_lang: Mapped[str] = mapped_column(String(10))
    target_lang: Mapped[str] = mapped_column(String(10))
    text_sha256: Mapped[str] = mapped_column(String(64))
    translation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
