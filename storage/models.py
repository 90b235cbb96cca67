"""SQLAlchemy 2 models: documents, pages, lines, words, passages, records, ingest runs.

The schema is migrated with Alembic (storage/migrations); change a model, add a revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class DocumentStatus:
    PENDING = "pending"  # registered, pages not read yet
    PROCESSING = "processing"  # pages being read; a crash leaves this, the next run resumes
    STORED = "stored"
    QUARANTINED = "quarantined"  # bad input: see error_reason


class FlagStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # a reviewer: not an error here
    CORRECTED = "corrected"  # a reviewer fixed the text it pointed at
    TRANSLATION_PROBLEM = "translation_problem"
    DISMISSED = "dismissed"  # "not an error" on this rule and word, for the whole collection
    WITHDRAWN = "withdrawn"  # no longer raised by a recompute: kept so old links still land


class IngestRun(Base):
    __tablename__ = "ingest_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")
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
    # for originals: "human" (a stored translation is aligned), "machine" (an MT draft is stored),
    # "pending" (no translation yet, or the provider was down), None (not applicable)
    translation_status: Mapped[str | None] = mapped_column(String(20))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    pages: Mapped[list[Page]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Page.number"
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


class Page(Base):
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
    lines: Mapped[list[Line]] = relationship(cascade="all, delete-orphan", order_by="Line.number")
    passages: Mapped[list[Passage]] = relationship(cascade="all, delete-orphan", order_by="Passage.number")


class Line(Base):
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

    words: Mapped[list[Word]] = relationship(cascade="all, delete-orphan", order_by="Word.number")

    @property
    def bbox(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]


class Word(Base):
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


class Passage(Base):
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


class Sentence(Base):
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


class Flag(Base):
    """Where a reviewer should look: a rule's finding on a word, line, passage or link."""

    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    rank: Mapped[int] = mapped_column(Integer)  # 4 critical (page_unreadable), 3 high, 2 medium, 1 low: queue order
    level: Mapped[str] = mapped_column(String(10))
    page_number: Mapped[int | None] = mapped_column(Integer)
    line_number: Mapped[int | None] = mapped_column(Integer)
    word_number: Mapped[int | None] = mapped_column(Integer)
    link_number: Mapped[int | None] = mapped_column(Integer)  # sentence-level alignment link, in order
    target_document_id: Mapped[int | None] = mapped_column(Integer)  # for link flags: the translation
    bbox: Mapped[list | None] = mapped_column(JSON)
    evidence: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # open|accepted|corrected|translation_problem
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Index("ix_documents_source_path", Document.source_path)


class User(Base):
    """A person who signs in to the review page. Roles: reviewer, staff, admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # NFKC, stripped: as shown
    # what sign-in matches: NFKC, casefolded ("ALICE", " alice ", "ａｌｉｃｅ" are one account)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PassageVersion(Base):
    """A reviewer's version of a passage's text; the raw OCR in `passages` is never changed.

    Keyed by document, page and passage number, with the OCR text it was made from (base_text), so
    a version finds its passage again after the page is read anew (re-ingest, reprocess)."""

    __tablename__ = "passage_versions"
    __table_args__ = (UniqueConstraint("document_id", "page_number", "passage_number", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    page_number: Mapped[int] = mapped_column(Integer)
    passage_number: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the document; 0 is the raw OCR
    kind: Mapped[str] = mapped_column(String(20))  # "correction" | "accepted"
    text: Mapped[str] = mapped_column(Text)
    base_text: Mapped[str] = mapped_column(Text)  # the raw OCR passage text it applies to
    # the reviewer's text line by line, one entry per OCR line of the passage (None: made before
    # line-by-line review; `text` is then the only form)
    lines: Mapped[list | None] = mapped_column(JSON, nullable=True)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FlagDismissal(Base):
    """'Not an error' on a rule and a word, remembered for a collection ("" = documents without
    one): the rule does not raise that word again there until an admin undoes it."""

    __tablename__ = "flag_dismissals"
    __table_args__ = (UniqueConstraint("collection", "type", "word"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collection: Mapped[str] = mapped_column(String(200), default="")
    type: Mapped[str] = mapped_column(String(40))
    word: Mapped[str] = mapped_column(String(200))  # NFC, as read
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """Who did what, when, with the text before and after: never updated, never deleted."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # accept|correct|translation_problem|skip|conflict|reprocess...
    document_id: Mapped[int | None] = mapped_column(Integer, index=True)
    page_number: Mapped[int | None] = mapped_column(Integer)
    passage_number: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int | None] = mapped_column(Integer)
    flag_ids: Mapped[list] = mapped_column(JSON, default=list)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class AppSecret(Base):
    """Secrets the application makes for itself (the session signing key), kept in the database so
    every web process behind a load balancer signs alike."""

    __tablename__ = "app_secrets"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class LoginFailure(Base):
    """A failed sign-in, per key (user name, client address): in the database so that every web
    process behind a load balancer counts the same failures, and a restart forgets none."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[float] = mapped_column(Float)  # seconds since the epoch


class ReviewSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept here, so a
    copy of the database signs no one in. Sign-out, a new password, a role change and disabling
    delete the rows, which ends those sessions at once."""

    __tablename__ = "review_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    skipped: Mapped[list] = mapped_column(JSON, default=list)  # flag ids skipped in this session
