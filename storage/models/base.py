"""The declarative base, the clock and the states a row can be in (stored as these strings)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class DocumentStatus(StrEnum):
    PENDING = "pending"  # registered, pages not read yet
    PROCESSING = "processing"  # pages being read; a crash leaves this, the next run resumes
    STORED = "stored"
    QUARANTINED = "quarantined"  # bad input: see error_reason


class RunStatus(StrEnum):
    RUNNING = "running"
    INTERRUPTED = "interrupted"  # its process is gone (killed): found by the next run on the host
    PARTIAL = "partial"  # finished, some files quarantined
    COMPLETED = "completed"


class TranslationStatus(StrEnum):
    """Of an original: where its translation stands."""

    HUMAN = "human"  # a stored translation is aligned
    MACHINE = "machine"  # a machine-translated draft is stored
    PENDING = "pending"  # no translation yet, or the provider was down


class FlagStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # a reviewer: not an error here
    CORRECTED = "corrected"  # a reviewer fixed the text it pointed at
    TRANSLATION_PROBLEM = "translation_problem"
    DISMISSED = "dismissed"  # "not an error" on this rule and word, for the whole collection
    WITHDRAWN = "withdrawn"  # no longer raised by a recompute: kept so old links still land


class VersionKind(StrEnum):
    CORRECTION = "correction"  # a reviewer's own text
    ACCEPTED = "accepted"  # the text as it stood, accepted
