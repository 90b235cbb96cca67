"""Which passage a flag points into: a word, line or page flag by its line, a link flag by the
sentences of its alignment link (where a sentence added in translation falls in the original)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Alignment, FlagRow, PageRow, PassageRow, SentenceRow


@dataclass(frozen=True)
class PassageRef:
    document_id: int
    page_number: int
    passage_number: int


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
        rows = self.s.execute(select(PageRow.document_id, PageRow.number, PassageRow.number, PassageRow.first_line,
                                     PassageRow.last_line).join(PageRow, PageRow.id == PassageRow.page_id)
                              .where(PageRow.document_id.in_(sorted(document_ids)))
                              .order_by(PageRow.document_id, PageRow.number, PassageRow.number)).all()
        for document_id, page_number, number, first, last in rows:
            self._passages.setdefault((document_id, page_number), []).append((number, first, last))

    def _page_passages(self, document_id: int, page_number: int) -> list[tuple[int, int, int]]:
        key = (document_id, page_number)
        if key not in self._passages:
            rows = self.s.execute(select(PassageRow.number, PassageRow.first_line, PassageRow.last_line)
                                  .join(PageRow, PageRow.id == PassageRow.page_id)
                                  .where(PageRow.document_id == document_id, PageRow.number == page_number)
                                  .order_by(PassageRow.number)).all()
            self._passages[key] = [(number, first, last) for number, first, last in rows]
        return self._passages[key]

    def locate(self, flag: FlagRow) -> PassageRef | None:
        if flag.level == "link":
            return self._locate_link(flag)
        if flag.page_number is None:
            return None
        passages = self._page_passages(flag.document_id, flag.page_number)
        line = flag.line_number or 0  # a page-level flag ("page unreadable") opens the first passage
        hit = next((n for n, a, b in passages if a <= line <= b), passages[0][0] if passages else None)
        return PassageRef(flag.document_id, flag.page_number, hit) if hit is not None else None

    def _locate_link(self, flag: FlagRow) -> PassageRef | None:
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
                for x in self.s.scalars(select(SentenceRow).where(SentenceRow.document_id == flag.document_id))}
        at = self._sentences[flag.document_id].get(ids[0])
        return PassageRef(flag.document_id, *at) if at else None
