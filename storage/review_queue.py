"""The review queue as work: one row per passage with its open flags inside, and the "not an
error" decisions remembered per collection (listed and undone by an admin)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ingest.text import nfc

from . import db
from .locate import PassageLocator, PassageRef
from .models import (
    Document,
    DocumentStatus,
    FlagDismissal,
    FlagRow,
    FlagStatus,
    Record,
)


@dataclass
class QueueFlag:
    id: int
    type: str
    severity: str
    evidence: str


@dataclass
class PassageItem:
    ref: PassageRef
    rank: int  # the most severe of its flags
    severity: str
    title: str  # the record's title, else the file name
    filename: str
    collection: str | None
    lang: str
    flags: list[QueueFlag] = field(default_factory=list)
    position: int = 0  # 1-based "n of N" in the (filtered) queue

    @property
    def key(self) -> str:
        return f"{self.ref.document_id}/{self.ref.page_number}/{self.ref.passage_number}"


@dataclass
class Dismissal:
    id: int
    collection: str
    type: str
    word: str
    created_by: str
    created_at: str


class ReviewQueueRepository:
    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def passages(self, *, collection: str | None = None, document_id: int | None = None, type: str | None = None,
                 lang: str | None = None, exclude: set[str] | frozenset = frozenset()) -> list[PassageItem]:
        """Passages with open flags, most severe first, then in reading order; `exclude` holds
        passage keys ("doc/page/passage") the reviewer skipped this session."""
        with self.sessions() as s:
            q = (select(FlagRow, Document.filename, Document.collection, Document.lang, Record.title)
                 .join(Document, Document.id == FlagRow.document_id)
                 .outerjoin(Record, Record.document_id == Document.id)
                 .where(FlagRow.status == FlagStatus.OPEN, Document.status == DocumentStatus.STORED))
            if collection:
                q = q.where(Document.collection == collection)
            if document_id:
                q = q.where(FlagRow.document_id == document_id)
            if type:
                q = q.where(FlagRow.type == type)
            if lang:
                q = q.where(Document.lang.startswith(lang))
            q = q.order_by(FlagRow.document_id, FlagRow.page_number, FlagRow.line_number, FlagRow.word_number,
                           FlagRow.link_number, FlagRow.rank.desc(), FlagRow.id)
            locator = PassageLocator(s)
            items: dict[PassageRef, PassageItem] = {}
            rows = s.execute(q).all()
            locator.prefetch({f.document_id for f, *_ in rows})
            for f, filename, coll, doc_lang, title in rows:
                ref = locator.locate(f)
                if ref is None:
                    continue
                item = items.get(ref)
                if item is None:
                    item = items[ref] = PassageItem(ref, f.rank, f.severity, title or filename, filename, coll,
                                                    doc_lang or "")
                elif f.rank > item.rank:
                    item.rank, item.severity = f.rank, f.severity
                item.flags.append(QueueFlag(f.id, f.type, f.severity, f.evidence))
        ordered = sorted(items.values(), key=lambda it: (-it.rank, it.ref.document_id, it.ref.page_number,
                                                        it.ref.passage_number))
        for n, it in enumerate(ordered, start=1):
            it.position = n
        return [it for it in ordered if it.key not in exclude]

    def locate(self, flag: FlagRow) -> PassageRef | None:
        with self.sessions() as s:
            return PassageLocator(s).locate(flag)

    # ---- "not an error", remembered per collection ---------------------------------------------
    def dismiss(self, flag_id: int, user: str) -> Dismissal | None:
        """'Not an error' on this flag's rule and word: resolve every open flag of that rule on that
        word in the collection, and keep the decision so recomputes do not raise it again."""
        from .flags import flag_word

        with self.sessions.begin() as s:
            flag = s.get(FlagRow, flag_id)
            if flag is None or flag.level != "word":
                return None
            word = flag_word(flag.evidence, flag.details)
            if not word:
                return None
            coll = s.scalar(select(Document.collection).where(Document.id == flag.document_id)) or ""
            row = s.scalar(select(FlagDismissal).where(FlagDismissal.collection == coll,
                                                       FlagDismissal.type == flag.type, FlagDismissal.word == word))
            if row is None:
                row = FlagDismissal(collection=coll, type=flag.type, word=word, created_by=user)
                s.add(row)
                try:
                    s.flush()
                except IntegrityError:  # someone dismissed it at the same moment
                    s.rollback()
                    return self.dismiss(flag_id, user)
            same_coll = select(Document.id).where(Document.collection == coll) if coll else \
                select(Document.id).where(Document.collection.is_(None) | (Document.collection == ""))
            for other in s.scalars(select(FlagRow).where(FlagRow.status == FlagStatus.OPEN, FlagRow.type == flag.type,
                                                      FlagRow.level == "word", FlagRow.document_id.in_(same_coll))):
                if flag_word(other.evidence, other.details) == word:
                    other.status, other.resolved_by = FlagStatus.DISMISSED, user
            return _dismissal(row)

    def dismissals(self) -> list[Dismissal]:
        with self.sessions() as s:
            return [_dismissal(d) for d in s.scalars(select(FlagDismissal).order_by(
                FlagDismissal.collection, FlagDismissal.type, FlagDismissal.word))]

    def undo_dismissal(self, dismissal_id: int) -> Dismissal | None:
        """Forget a 'not an error': the flags it closed open again (the next recompute raises new ones)."""
        from .flags import flag_word

        with self.sessions.begin() as s:
            row = s.get(FlagDismissal, dismissal_id)
            if row is None:
                return None
            gone = _dismissal(row)
            same_coll = select(Document.id).where(Document.collection == row.collection) if row.collection else \
                select(Document.id).where(Document.collection.is_(None) | (Document.collection == ""))
            for f in s.scalars(select(FlagRow).where(FlagRow.status == FlagStatus.DISMISSED, FlagRow.type == row.type,
                                                  FlagRow.document_id.in_(same_coll))):
                if flag_word(f.evidence, f.details) == row.word:
                    f.status, f.resolved_by, f.resolved_at = FlagStatus.OPEN, None, None
            s.execute(delete(FlagDismissal).where(FlagDismissal.id == dismissal_id))
            return gone


def _dismissal(d: FlagDismissal) -> Dismissal:
    return Dismissal(d.id, d.collection, d.type, nfc(d.word), d.created_by,
                     d.created_at.isoformat(timespec="minutes") if d.created_at else "")
