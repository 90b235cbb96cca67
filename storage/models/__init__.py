"""SQLAlchemy 2 models, one module per part of the schema; every table is importable from here.

The schema is migrated with Alembic (storage/migrations); change a model, add a revision.
"""

from .accounts import AppSecret, LoginFailure, ReviewSession, User
from .alignment import Alignment, MachineTranslation, Sentence
from .base import Base, DocumentStatus, FlagStatus, RunStatus, TranslationStatus, VersionKind, utcnow
from .documents import Document, IngestRun, Line, Page, Passage, Record, Word
from .review import AuditEvent, Flag, FlagDismissal, PassageVersion

__all__ = [
    "AppSecret", "Alignment", "AuditEvent", "Base", "Document", "DocumentStatus", "Flag", "FlagDismissal",
    "FlagStatus", "IngestRun", "Line", "LoginFailure", "MachineTranslation", "Page", "Passage", "PassageVersion",
    "Record", "ReviewSession", "RunStatus", "Sentence", "TranslationStatus", "User", "VersionKind", "Word", "utcnow",
]
