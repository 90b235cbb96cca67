"""Reviewers' versions of passages as the rest of the system reads them.

The raw OCR (pages, lines, words, passages) is never written by review. A reviewer's text is a new
row in `passage_versions`; the text the rest of the system uses for a passage is its latest
version, else the OCR (`effective_passages`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.text import nfc

from .models import LineRow, PageRow, PassageRow, PassageVersion, VersionKind


class PassageText(NamedTuple):
    page: int  # page number
    number: int  # passage number on the page
    text: str


@dataclass
class VersionInfo:
    version: int
    kind: str
    text: str
    author: str
    at: str


def clean_text(text: str) -> str:
    """Reviewers type Vietnamese with Telex, VNI or a composed keyboard: store one form. NUL is
    dropped: it carries nothing in a passage and PostgreSQL cannot store it in text."""
    return nfc(text.replace("\r\n", "\n").replace("\x00", "")).strip()


def version_info(v: PassageVersion) -> VersionInfo:
    return VersionInfo(v.version, v.kind, v.text, v.author, v.created_at.isoformat(timespec="seconds"))


def current_lines(version: PassageVersion | None, ocr_lines: list[str]) -> list[str]:
    """The passage's text line by line: the version's lines when it kept them and they still match
    the OCR's line count, else the OCR's lines (a version made before line-by-line review, or one
    whose passage was read anew with other lines, has its words spread over the OCR's lines as
    many per line as the OCR read there)."""
    if version is None:
        return list(ocr_lines)
    if version.lines and len(version.lines) == len(ocr_lines):
        return list(version.lines)
    words, out = version.text.split(), []
    for k, line in enumerate(ocr_lines):
        take = len(words) if k == len(ocr_lines) - 1 else len(line.split())
        out.append(" ".join(words[:take]))
        words = words[take:]
    return out or [version.text]


def latest_versions(s: Session, document_id: int) -> dict[tuple[int, int], PassageVersion]:
    """Latest version per (page, passage) key as stored (before re-attachment)."""
    rows = s.scalars(select(PassageVersion).where(PassageVersion.document_id == document_id)
                     .order_by(PassageVersion.version))
    latest: dict[tuple[int, int], PassageVersion] = {}
    for v in rows:
        latest[(v.page_number, v.passage_number)] = v
    return latest


# The rule that re-attaches versions after a page is read again is a review rule, so it lives in qa
# (qa.review.versions.reattach); storage only reads and writes. The application sets it here once per
# process (flows.app.store; the tests' conftest does the same).
AttachRule = Callable[[Sequence[tuple[int, int, str]], Mapping[tuple[int, int], PassageVersion]],
                      dict[tuple[int, int], PassageVersion]]
_attach_rule: AttachRule | None = None


def use_attach_rule(rule: AttachRule) -> None:
    global _attach_rule
    _attach_rule = rule


def attach_versions(passages: Sequence[tuple[int, int, str]],
                    latest: Mapping[tuple[int, int], PassageVersion]) -> dict[tuple[int, int], PassageVersion]:
    """Which version applies to which current passage, by the rule the application set."""
    if _attach_rule is None:
        raise RuntimeError("no rule to re-attach reviewers' versions: open storage through "
                           "flows.app.store, or call storage.versions.use_attach_rule(qa.review.versions.reattach)")
    return _attach_rule(passages, latest)


def attached_versions(s: Session, document_id: int) -> tuple[list[PassageText],
                                                             dict[tuple[int, int], PassageVersion]]:
    """The document's passages as (page, number, OCR text) in reading order, and the reviewer's
    version that applies to each, by (page, number)."""
    rows = s.execute(select(PageRow.number, PassageRow.number, PassageRow.text)
                     .join(PassageRow, PassageRow.page_id == PageRow.id).where(PageRow.document_id == document_id)
                     .order_by(PageRow.number, PassageRow.number)).all()
    passages = [PassageText(page, number, text) for page, number, text in rows]
    return passages, attach_versions(passages, latest_versions(s, document_id))


def effective_passages(s: Session, document_id: int) -> list[PassageText]:
    """The document's passages in reading order, each with its reviewer's latest text, else the OCR."""
    passages, attached = attached_versions(s, document_id)
    return [PassageText(p, n, attached[(p, n)].text if (p, n) in attached else t) for p, n, t in passages]


def reviewed_lines(s: Session, document_id: int) -> dict[int, list[tuple[int, int]]]:
    """Line ranges per page where a reviewer's text replaces the OCR: OCR rules stay quiet there.
    A version kept line by line covers the lines it changed (flags on the others wait for their
    own decision); an "accept all" or a version of one paragraph covers its whole passage."""
    _, attached = attached_versions(s, document_id)
    rows = s.execute(select(PageRow.id, PageRow.number, PassageRow.number, PassageRow.first_line,
                            PassageRow.last_line)
                     .join(PassageRow, PassageRow.page_id == PageRow.id)
                     .where(PageRow.document_id == document_id)).all()
    out: dict[int, list[tuple[int, int]]] = {}
    for page_id, p, n, first, last in rows:
        v = attached.get((p, n))
        if v is None:
            continue
        if v.kind == VersionKind.CORRECTION and v.lines and len(v.lines) == last - first + 1:
            ocr = dict(s.execute(select(LineRow.number, LineRow.text).where(
                LineRow.page_id == page_id, LineRow.number >= first, LineRow.number <= last)).all())
            out.setdefault(p, []).extend((first + k, first + k) for k, text in enumerate(v.lines)
                                         if text.strip() != (ocr.get(first + k) or "").strip())
        else:
            out.setdefault(p, []).append((first, last))
    return out
