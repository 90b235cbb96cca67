"""Reviewing passages: the queue (filtered, one page at a time), a passage with its place in the
queue, a reviewer's decision on a passage (accept, correct, translation problem, skip) and the
passage that comes next. One flag's decision and the remembered "not an error" decisions are in
`flows.app.flag_decisions`."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from qa.review.strips import line_strips
from qa.review.strips import suggestions as word_suggestions
from storage.locate import PassageRef
from storage.models import FlagStatus
from storage.review import PassageView
from storage.review_queue import PassageItem
from storage.versions import VersionInfo

from .errors import NotFound, Refused
from .store import Store

LANGUAGES = {"vie": "Vietnamese", "eng": "English"}
QUEUE_PAGE = 100  # passages per page of the queue
ACTIONS = {  # a reviewer's decision -> (flag status, audit action)
    "accept": ("accepted", "accept"),
    "correct": ("corrected", "correct"),
    "translation": ("translation_problem", "translation_problem"),
}


@dataclass(frozen=True)
class QueueFilter:
    """Which passages of the queue: by collection, document, flag type, language, and text (part of
    the record's title, record id or file name, or a document id: as the record list searches)."""
    collection: str | None = None
    document_id: int | None = None
    type: str | None = None
    lang: str | None = None
    text: str | None = None

    def query(self) -> str:
        """The filter as a query string, for links that keep it."""
        q = {"collection": self.collection, "document": self.document_id, "type": self.type, "lang": self.lang,
             "q": self.text}
        return urllib.parse.urlencode({k: v for k, v in q.items() if v})


@dataclass(frozen=True)
class QueuePage:
    items: list[PassageItem]  # this page's passages
    total: int  # passages in the filtered queue
    page: int
    more: bool  # a next page exists
    first: int  # items before this page


@dataclass(frozen=True)
class PassageScreen:
    view: PassageView
    strips: dict
    open_flags: list
    suggestions: dict
    position: int | None  # "n of total" in the filtered queue; None when it is not in it
    total: int


@dataclass(frozen=True)
class Saved:
    """A reviewer's decision taken (conflict is None), or refused because someone saved first."""
    conflict: VersionInfo | None = None  # the version saved first
    version: int | None = None
    text: str = ""  # the reviewer's text, as it was to be saved


def queue_items(store: Store, f: QueueFilter, exclude: set[str] | frozenset = frozenset()) -> list[PassageItem]:
    items = store.queue.passages(collection=f.collection, document_id=f.document_id, type=f.type, lang=f.lang,
                                 exclude=exclude)
    if f.text and f.text.strip():
        matching = _documents_matching(store, f.text, f.collection)
        items = [it for it in items if it.ref.document_id in matching]
    return items


def _documents_matching(store: Store, text: str, collection: str | None) -> set[int]:
    """The ids of stored documents whose title, record id or file name holds `text` (or whose id
    it is): the record list's search, every match (counted first, so nothing is cut off)."""
    _, total = store.review.documents(text=text, collection=collection, limit=0)
    rows, _ = store.review.documents(text=text, collection=collection, limit=max(total, 1))
    return {d.id for d, _ in rows}


def queue_page(store: Store, f: QueueFilter, page: int) -> QueuePage:
    page = max(page, 1)
    items = queue_items(store, f)
    start = (page - 1) * QUEUE_PAGE
    return QueuePage(items[start:start + QUEUE_PAGE], len(items), page, len(items) > page * QUEUE_PAGE, start)


def queue_options(store: Store) -> dict:
    """What the queue's filters offer: collections, documents and flag types with open flags."""
    return store.review.queue_filters()


def flag_passage(store: Store, flag_id: int) -> PassageRef:
    """The passage a flag points into; withdrawn and resolved flags keep their row, so an old
    link still lands."""
    flag = store.review.flag(flag_id)
    ref = store.queue.locate(flag) if flag else None
    if ref is None:
        raise NotFound("no such flag, or its passage is gone")
    return ref


def open_passage(store: Store, ref: PassageRef, f: QueueFilter) -> PassageScreen:
    view = store.review.passage_view(ref)
    if view is None:
        raise NotFound("no such passage")
    items = queue_items(store, f)
    position = next((it.position for it in items if it.ref == ref), None)
    return PassageScreen(view, line_strips(view), [fl for fl in view.flags if fl.status == FlagStatus.OPEN],
                         word_suggestions(view), position, len(items))


def passage_key(ref: PassageRef) -> str:
    return f"{ref.document_id}/{ref.page_number}/{ref.passage_number}"


def skip(store: Store, session: str, user: str, ref: PassageRef, flag_ids: list[int]) -> None:
    """Put a passage aside for this session (kept in the database, not the cookie)."""
    store.accounts.skip(session, [passage_key(ref)])
    store.review.audit(user, "skip", document_id=ref.document_id, ref=ref, flag_ids=flag_ids)


def next_passage(store: Store, session: str | None, f: QueueFilter, current: PassageRef) -> PassageRef | None:
    """The first passage of the filtered queue that is neither this one nor skipped this session."""
    skipped = {k for k in store.accounts.skipped(session or "") if isinstance(k, str)}
    items = queue_items(store, f, exclude=skipped | {passage_key(current)})
    return items[0].ref if items else None


def decide_passage(store: Store, recompute: Callable[[int], object], user: str, ref: PassageRef, *, action: str,
                   base_version: int | None, flag_ids: list[int], note: str | None, text: str,
                   lines: list[str] | None) -> Saved:
    """accept: the text is right; correct: the reviewer's text (whole, or line by line) becomes a new
    version; translation: the translation is wrong here. `recompute(document_id)` is called after a
    correction (it queues the document's flags, sentences and alignment to be recomputed)."""
    if action not in ACTIONS:
        raise Refused(f"unknown action {action!r}")
    status, audit_action = ACTIONS[action]
    if base_version is None:
        raise Refused("the form has no base version: reload the page")
    view = store.review.passage_view(ref)
    if view is None:
        raise NotFound("no such passage")
    if action == "translation":
        links = [f.id for f in view.flags if f.target_document_id is not None and f.id in flag_ids]
        store.review.resolve(ref.document_id, links or flag_ids, status, user, action=audit_action, ref=ref,
                             note=note)
        return Saved()
    if lines is not None:
        text = "\n".join(lines)
    if action == "correct" and not text.strip():
        raise Refused("a correction cannot be empty; use 'accept' to keep the text as it is")
    if action == "correct" and lines is not None:
        if len(lines) != len(view.line_texts):
            raise Refused("the form's lines do not match the passage's: reload the page")
        # a fix resolves the flags on the lines it changed; the others wait for their own decision
        changed = {ln["number"] for ln, old, new in zip(view.lines, view.line_texts, lines, strict=False)
                   if old.strip() != new.strip()}
        flag_ids = [f.id for f in view.flags if f.id in flag_ids and f.line_number in changed]
    try:
        result = store.review.save_version(ref, base_version=base_version,
                                           kind="correction" if action == "correct" else "accepted", text=text,
                                           user=user, flag_ids=flag_ids, flag_status=status, note=note, lines=lines)
    except LookupError:
        raise NotFound("no such passage") from None
    if not result.ok:
        store.review.audit(user, "conflict", document_id=ref.document_id, ref=ref, flag_ids=flag_ids,
                           note=f"saved over version {base_version}; current is {result.version}")
        return Saved(conflict=result.conflict, version=result.version, text=text)
    if action == "correct":
        recompute(ref.document_id)
    return Saved(version=result.version, text=text)
