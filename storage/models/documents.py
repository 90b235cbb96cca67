"""Documents as read: the run that read them, the file, its archive record, its pages, lines, words
and passages. The raw reading is never rewritten by review (see storage.models.review)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, DocumentStatus, RunStatus, utcnow


class IngestRun(Base):
    __tablename__ = "ingest_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(String(40), default="cli")
    collection: Mapped[str | None] = mapped_column(String(200))
    files: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # [{"file": ..., "reason": ...}]
    report: Mapped[dict] = mapped_column(JSON, default=dict)


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True)  # None: file never read
    source_path: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    collection: Mapped[str | None] = mapped_column(String(200), index=True)
    lang: Mapped[str] = mapped_column(String(20), default="vie")
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.PENDING, index=True)
    error_reason: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    original_file: Mapped[str | None] = mapped_column(String(100))  # file-store key of the deposited bytes
    # for originals: a TranslationStatus; None for translations (not applicable)
    translation_status: Mapped[str | None] = mapped_column(String(20))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    pages: Mapped[list[PageRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="PageRow.number"
    )
    record: Mapped[Record | None] = relationship(back_populates="document", cascade="all, delete-orphan")


class Record(Base):
    """Archive metadata for a document, as an archive's public record shows it."""

    __tablename__ = "records"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), unique=True)
    record_id: Mapped[str | None] = mapped_column(String(200), index=True)  # the archive's own id
    title: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(40))  # ISO date as far as known: 1968, 1968-10-15
    source_archive: Mapped[str | None] = mapped_column(Text)
    translator: Mapped[str | None] = mapped_column(Text)
    rights: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(50))
    subjects: Mapped[list] = mapped_column(JSON, default=list)
    places: Mapped[list] = mapped_column(JSON, default=list)
    donors: Mapped[list] = mapped_column(JSON, default=list)
    translation_of: Mapped[str | None] = mapped_column(String(200))  # record_id of the original
    extra: Mapped[dict] = mapped_column(JSON, default=dict)

    document: Mapped[Document] = relationship(back_populates="record")


class PageRow(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    original_image: Mapped[str | None] = mapped_column(String(100))  # file-store key
    preprocessed_image: Mapped[str | None] = mapped_column(String(100))
    dpi: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    skew: Mapped[float] = mapped_column(Float, default=0.0)
    preprocessing: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "params"}]
    ocr_engine: Mapped[str | None] = mapped_column(String(100))
    ocr_model: Mapped[str | None] = mapped_column(String(100))
    ocr_params: Mapped[dict] = mapped_column(JSON, default=dict)
    mean_confidence: Mapped[float | None] = mapped_column(Float)
    text_source: Mapped[str | None] = mapped_column(String(20))  # "ocr" | "text_layer"
    text: Mapped[str] = mapped_column(Text, default="")
    seconds: Mapped[float | None] = mapped_column(Float)

    document: Mapped[Document] = relationship(back_populates="pages")
    lines: Mapped[list[LineRow]] = relationship(cascade="all, delete-orphan", order_by="LineRow.number")
    passages: Mapped[list[PassageRow]] = relationship(cascade="all, delete-orphan", order_by="PassageRow.number")


class LineRow(Base):
    __tablename__ = "lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 0-based on the page
    text: Mapped[str] = mapped_column(Text)
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)

    words: Mapped[list[WordRow]] = relationship(cascade="all, delete-orphan", order_by="WordRow.number")

    @property
    def bbox(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]


class WordRow(Base):
    __tablename__ = "words"
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    # Tesseract's strongest other reading of one character (see ingest.model.Word); NULL for
    # pages read before it was kept, and for text layers
    alternative: Mapped[str | None] = mapped_column(Text, nullable=True)
    alternative_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)


class PassageRow(Base):
    __tablename__ = "passages"
    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    first_line: Mapped[int] = mapped_column(Integer)
    last_line: Mapped[int] = mapped_column(Integer)
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)


Index("ix_documents_source_path", Document.source_path)
