"""SQLAlchemy 2 models, one module per part of the schema; every table is importable from here.

A table whose concept has a plain dataclass in a lower layer is named `...Row`: PageRow, LineRow,
WordRow and PassageRow store ingest.model's PageText, Line, Word and Passage, SentenceRow stores
ingest.align's Sentence, FlagRow stores qa.flags' Flag. The other tables have no twin.

The schema is migrated with Alembic (storage/migrations); change a model, add a revision.
"""

from .accounts import AppSecret, LoginFailure, ReviewSession, User
from .alignment import Alignment, MachineTranslation, SentenceRow
from .base import Base, DocumentStatus, FlagStatus, RunStatus, TranslationStatus, VersionKind, utcnow
from .documents import Document, IngestRun, LineRow, PageRow, PassageRow, Record, WordRow
from .review import AuditEvent, FlagDismissal, FlagRow, PassageVersion

__all__ = [
    "AppSecret", "Alignment", "AuditEvent", "Base", "Document", "DocumentStatus", "FlagRow", "FlagDismissal",
    "FlagStatus", "IngestRun", "LineRow", "LoginFailure", "MachineTranslation", "PageRow", "PassageRow",
    "PassageVersion", "Record", "ReviewSession", "RunStatus", "SentenceRow", "TranslationStatus", "User",
    "VersionKind", "WordRow", "utcnow",
]
