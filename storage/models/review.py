"""What review stores: the rules' flags, the "not an error" decisions, reviewers' versions of
passages and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, FlagStatus, utcnow


class FlagRow(Base):
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
    status: Mapped[str] = mapped_column(String(20), default=FlagStatus.OPEN, index=True)  # a FlagStatus
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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
    kind: Mapped[str] = mapped_column(String(20))  # a VersionKind
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
