"""The review queue as work: one row per passage with its open flags inside, and the "not an
error" decisions remembered per collection (listed and undone by an admin)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import db
from .models import (
    Alignment,
    Document,
    DocumentStatus,
    Flag,
    FlagDismissal,
    FlagStatus,
    Page,
    Passage,
    Record,
    Sentence,
)
from .review import PassageRef


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


class PassageLocator:
    """Which passage a flag points into, for many flags in one session (pages and links cached)."""

    def __init__(self, s: Session):
        self.s = s
        self._passages: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self._links: dict[tuple[int, int], dict[int, list[int]]] = {}
        self._sentences: dict[int, dict[int, tuple[int, int]]] = {}

    def prefetch(self, document_ids: set[int]) -> None:
        """Every page's passages of these documents in one query, not one per page (the queue, a
        passage and a save each locate every open flag: 1 + pages-with-flags statements before)."""
        if not document_ids:
            return
        rows = self.s.execute(select(Page.document_id, Page.number, Passage.number, Passage.first_line,
                                     Passage.last_line).join(Page, Page.id == Passage.page_id)
                              .where(Page.document_id.in_(sorted(document_ids)))
                              .order_by(Page.document_id, Page.number, Passage.number)).all()
        for document_id, page_number, number, first, last in rows:
            self._passages.setdefault((document_id, page_number), []).append((number, first, last))

    def _page_passages(self, document_id: int, page_number: int) -> list[tuple[int, int, int]]:
        key = (document_id, page_number)
        if key not in self._passages:
            rows = self.s.execute(select(Passage.number, Passage.first_line, Passage.last_line)
                                  .join(Page, Page.id == Passage.page_id)
                                  .where(Page.document_id == document_id, Page.number == page_number)
                                  .order_by(Passage.number)).all()
            self._passages[key] = [(number, first, last) for number, first, last in rows]
        return self._passages[key]

    def locate(self, flag: Flag) -> PassageRef | None:
        if flag.level == "link":
            return self._locate_link(flag)
        if flag.page_number is None:
            return None
        passages = self._page_passages(flag.document_id, flag.page_number)
        line = flag.line_number or 0  # a page-level flag ("page unreadable") opens the first passage
        hit = next((n for n, a, b in passages if a <= line <= b), passages[0][0] if passages else None)
        return PassageRef(flag.document_id, flag.page_number, hit) if hit is not None else None

    def _locate_link(self, flag: Flag) -> PassageRef | None:
        key = (flag.document_id, flag.target_document_id or 0)
        if key not in self._links:
            self._links[key] = {a.number: a.source_ids for a in self.s.scalars(select(Alignment).where(
                Alignment.source_document_id == flag.document_id,
                Alignment.target_document_id == flag.target_document_id, Alignment.level == "sentence"))}
        links = self._links[key]
        if flag.link_number is None:  # a link flag without its link number locates nothing
            return None
        ids = links.get(flag.link_number)
        if ids is None:
            return None
        if not ids:  # added in translation: where it falls in the original
            ids = next((links[n] for n in sorted(links, reverse=True) if n < flag.link_number and links[n]), [0])
        if flag.document_id not in self._sentences:
            self._sentences[flag.document_id] = {
                x.number: (x.page_number, x.passage_number)
                for x in self.s.scalars(select(Sentence).where(Sentence.document_id == flag.document_id))}
        at = self._sentences[flag.document_id].get(ids[0])
        return PassageRef(flag.document_id, *at) if at else None


class ReviewQueue:
    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def passages(self, *, collection: str | None = None, document_id: int | None = None, type: str | None = None,
                 lang: str | None = None, exclude: set[str] | frozenset = frozenset()) -> list[PassageItem]:
        """Passages with open flags, most severe first, then in reading order; `exclude` holds
        passage keys ("doc/page/passage") the reviewer skipped this session."""
        with self.sessions() as s:
            q = (select(Flag, Document.filename, Document.collection, Document.lang, Record.title)
                 .join(Document, Document.id == Flag.document_id)
                 .outerjoin(Record, Record.document_id == Document.id)
                 .where(Flag.status == FlagStatus.OPEN, Document.status == DocumentStatus.STORED))
            if collection:
                q = q.where(Document.collection == collection)
            if document_id:
                q = q.where(Flag.document_id == document_id)
            if type:
                q = q.where(Flag.type == type)
            if lang:
                q = q.where(Document.lang.startswith(lang))
            q = q.order_by(Flag.document_id, Flag.page_number, Flag.line_number, Flag.word_number, Flag.link_number,
                           Flag.rank.desc(), Flag.id)
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

    def locate(self, flag: Flag) -> PassageRef | None:
        with self.sessions() as s:
            return PassageLocator(s).locate(flag)

    # ---- "not an error", remembered per collection ---------------------------------------------
    def dismiss(self, flag_id: int, user: str) -> Dismissal | None:
        """'Not an error' on this flag's rule and word: resolve every open flag of that rule on that
        word in the collection, and keep the decision so recomputes do not raise it again."""
        from .repository import flag_word

        with self.sessions.begin() as s:
            flag = s.get(Flag, flag_id)
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
            for other in s.scalars(select(Flag).where(Flag.status == FlagStatus.OPEN, Flag.type == flag.type,
                                                      Flag.level == "word", Flag.document_id.in_(same_coll))):
                if flag_word(other.evidence, other.details) == word:
                    other.status, other.resolved_by = FlagStatus.DISMISSED, user
            return _dismissal(row)

    def dismissals(self) -> list[Dismissal]:
        with self.sessions() as s:
            return [_dismissal(d) for d in s.scalars(select(FlagDismissal).order_by(
                FlagDismissal.collection, FlagDismissal.type, FlagDismissal.word))]

    def undo_dismissal(self, dismissal_id: int) -> Dismissal | None:
        """Forget a 'not an error': the flags it closed open again (the next recompute raises new ones)."""
        from .repository import flag_word

        with self.sessions.begin() as s:
            row = s.get(FlagDismissal, dismissal_id)
            if row is None:
                return None
            gone = _dismissal(row)
            same_coll = select(Document.id).where(Document.collection == row.collection) if row.collection else \
                select(Document.id).where(Document.collection.is_(None) | (Document.collection == ""))
            for f in s.scalars(select(Flag).where(Flag.status == FlagStatus.DISMISSED, Flag.type == row.type,
                                                  Flag.document_id.in_(same_coll))):
                if flag_word(f.evidence, f.details) == row.word:
                    f.status, f.resolved_by, f.resolved_at = FlagStatus.OPEN, None, None
            s.execute(delete(FlagDismissal).where(FlagDismissal.id == dismissal_id))
            return gone


def _dismissal(d: FlagDismissal) -> Dismissal:
    return Dismissal(d.id, d.collection, d.type, unicodedata.normalize("NFC", d.word), d.created_by,
                     d.created_at.isoformat(timespec="minutes") if d.created_at else "")
