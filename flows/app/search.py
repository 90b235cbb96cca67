"""Search use case: passages and records of stored documents, by any spelling, each hit with a
highlighted snippet and the aligned passage of the other language. Read only (no Prefect)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from storage.models import DocumentStatus
from storage.search import Entry, fold, tokens

from .store import Store

SNIPPET_CHARS = 180


class SearchLang(StrEnum):
    VIE = "vie"
    ENG = "eng"


@dataclass(frozen=True)
class Hit:
    document: int
    kind: str  # "passage" | "record"
    page: int  # 0 for a record
    passage: int
    lang: str | None
    score: float
    title: str
    parts: tuple[tuple[str, bool], ...]  # the snippet as (text, is a match) pieces
    aligned: str  # the aligned passage of the other language ("" when none)
    aligned_lang: str | None

    @property
    def snippet(self) -> str:
        """The snippet with each match between « and »."""
        return "".join(f"«{t}»" if m else t for t, m in self.parts)


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[Hit]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.hits) < self.total


def snippet_parts(text: str, query: str, width: int = SNIPPET_CHARS) -> tuple[tuple[str, bool], ...]:
    """A window of the text around the first match, every whole-word match marked. Matching is
    on the folded text, which has the text's offsets."""
    words = [fold(t.lower()) for t in tokens(query)]
    folded = fold(text)
    spans = []
    if words:
        pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
                             + r")(?!\w)")
        spans = [m.span() for m in pattern.finditer(folded)]
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(text), start + width)
    if start > 0:  # begin at a word
        nxt = text.find(" ", start)
        start = nxt + 1 if 0 <= nxt < (spans[0][0] if spans else end) else start
    parts: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    pos = start
    for a, b in spans:
        if a < start or b > end:
            continue
        if a > pos:
            parts.append((text[pos:a], False))
        parts.append((text[a:b], True))
        pos = b
    parts.append((text[pos:end] + ("…" if end < len(text) else ""), False))
    return tuple(p for p in parts if p[0])


def search(store: Store, query: str, *, lang: str | None = None, collection: str | None = None,
           limit: int = 20, offset: int = 0) -> SearchPage:
    repo = store.search
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    with repo.reader() as session:  # the lookup and its hits' context on one connection
        entries, total = repo.search(query, lang=lang, collection=collection, limit=limit, offset=offset,
                                     session=session)
        if not total and repo.is_empty() and store.documents.document_ids(status=DocumentStatus.STORED):
            repo.reindex()  # documents stored before the index existed (migration 0009): build it once
            entries, total = repo.search(query, lang=lang, collection=collection, limit=limit, offset=offset,
                                         session=session)
        context = repo.context(entries, session=session)
    return SearchPage(query, [_hit(e, query, context[e.id]) for e in entries], total, offset, limit)


def _hit(e: Entry, query: str, ctx: tuple[str, str, str | None]) -> Hit:
    title, aligned, aligned_lang = ctx
    return Hit(e.document_id, e.kind, e.page, e.passage, e.lang, e.score, title, snippet_parts(e.text, query),
               aligned, aligned_lang)


def reindex_all(store: Store) -> int:
    return store.search.reindex()
