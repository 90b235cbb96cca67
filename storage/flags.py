"""Flags as rules raise them, kept stable across recomputes; and the word a flag is about."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ingest.text import nfc

from . import db
from .models import Document, FlagDismissal, FlagRow, FlagStatus, utcnow


class FlagRepository:
    """Flags as rules raise them; a new computation replaces the open flags of the same scope."""

    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def replace(self, document_id: int, flags: list, *, scope: str, target_document_id: int | None = None) -> int:
        """scope 'page' (OCR rules) or 'link' (alignment rules against one translation). A flag
        raised again (same rule, place and evidence) keeps its row and id, so links to it stay
        good; one no longer raised is withdrawn, not deleted (its link still finds the passage);
        one a reviewer already resolved, or dismissed for the collection, is not raised again."""
        with self.sessions.begin() as s:
            doc = s.get(Document, document_id)
            dismissed = {(d.type, d.word) for d in s.scalars(select(FlagDismissal).where(
                FlagDismissal.collection == ((doc.collection if doc else None) or "")))}
            q = select(FlagRow).where(FlagRow.document_id == document_id)
            # page rules leave target_document_id empty; alignment rules name the translation
            q = q.where(FlagRow.target_document_id.is_(None)) if scope == "page" else q.where(
                FlagRow.target_document_id == target_document_id)
            current: dict[tuple, FlagRow] = {}
            resolved = set()
            for row in s.scalars(q.order_by(FlagRow.id)):
                key = _flag_key(row.type, row.level, row.page_number, row.line_number, row.word_number, row.evidence)
                if row.status in (FlagStatus.OPEN, FlagStatus.WITHDRAWN):
                    current.setdefault(key, row)
                else:
                    resolved.add(key)
            kept = 0
            seen = set()
            for f in flags:
                key = _flag_key(f.type, f.level, f.page, f.line_number, f.word, f.evidence)
                if key in resolved or key in seen or (f.type, flag_word(f.evidence, f.details)) in dismissed:
                    continue
                seen.add(key)
                values = dict(severity=f.severity, rank=SEVERITY_RANK.get(f.severity, 1), link_number=f.link,
                              bbox=list(f.bbox) if f.bbox else None, details=f.details, status=FlagStatus.OPEN)
                existing = current.pop(key, None)
                if existing is None:
                    s.add(FlagRow(document_id=document_id, type=f.type, level=f.level, page_number=f.page,
                               line_number=f.line_number, word_number=f.word, target_document_id=target_document_id,
                               evidence=f.evidence, **values))
                else:
                    for name, value in values.items():
                        setattr(existing, name, value)
                kept += 1
            for row in current.values():
                if row.status == FlagStatus.OPEN:
                    row.status, row.resolved_by, row.resolved_at = FlagStatus.WITHDRAWN, "system", utcnow()
            return kept

    def flags(self, document_id: int, *, withdrawn: bool = False) -> list[FlagRow]:
        """The document's flags, open and resolved (and those no longer raised if `withdrawn`)."""
        with self.sessions() as s:
            q = select(FlagRow).where(FlagRow.document_id == document_id)
            if not withdrawn:
                q = q.where(FlagRow.status != FlagStatus.WITHDRAWN)
            return list(s.scalars(q
                                  .order_by(FlagRow.rank.desc(), FlagRow.page_number, FlagRow.line_number, FlagRow.id)))

    def count(self, document_ids: list[int] | None = None) -> int:
        with self.sessions() as s:
            q = select(func.count()).select_from(FlagRow).where(FlagRow.status == FlagStatus.OPEN)
            if document_ids is not None:
                q = q.where(FlagRow.document_id.in_(document_ids))
            return int(s.scalar(q) or 0)


# rank orders the queue; a severity another rule set adds (e.g. "critical") sorts above "high"
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
_QUOTED = re.compile(r"“([^”]+)”")


def flag_word(evidence: str, details: dict | None = None) -> str | None:
    """The word a flag is about: its details' "word", else the first quoted word of its evidence."""
    if details and details.get("word"):
        return nfc(str(details["word"]))
    m = _QUOTED.search(evidence or "")
    return nfc(m.group(1)) if m else None


def _flag_key(type_, level, page, line, word, evidence) -> tuple:
    # links are renumbered on every alignment: their evidence (the text) identifies them
    return (type_, level, evidence) if level == "link" else (type_, level, page, line, word, evidence)
