"""Checks on what a browser sends the review page, so a strange value is a 4xx and never a crash:
ids the database cannot hold, digits from other scripts ("①".isdigit() is True), NUL characters
(PostgreSQL refuses them in text)."""

from __future__ import annotations

import re

from flows.app.review import LANGUAGES, QueueFilter
from storage.locate import PassageRef

MAX_ID = 2**31 - 1  # ids and numbers are INTEGER columns: 4 bytes on PostgreSQL
MAX_COORDINATE = 10**7  # a page coordinate in pixels: far beyond any scan
_ASCII_INT = re.compile(r"-?[0-9]{1,19}")


def parse_id(value) -> int | None:
    """A database id from a form or query value: ASCII digits only, within INTEGER; else None."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def parse_box(value: str) -> tuple[int, int, int, int] | None:
    """x0,y0,x1,y1 in page pixels; None when it is not four plain integers within reach."""
    parts = value.split(",")
    if len(parts) != 4 or not all(_ASCII_INT.fullmatch(p.strip()) for p in parts):
        return None
    box = tuple(int(p) for p in parts)
    return box if all(abs(v) <= MAX_COORDINATE for v in box) else None  # type: ignore[return-value]


def has_nul(text: str) -> bool:
    return "\x00" in text or "%00" in text


def clean_text(text: str) -> str:
    """A reviewer's text or note as it can be stored: without NUL (which no keyboard types; a paste
    from a damaged file may hold one), everything else as typed."""
    return text.replace("\x00", "")


def queue_filter(params) -> QueueFilter:
    """The queue's filter from a query string or a form; a value it cannot be is no filter."""
    lang = params.get("lang") or ""
    return QueueFilter(collection=params.get("collection") or None, document_id=parse_id(params.get("document") or ""),
                       type=params.get("type") or None, lang=lang if lang in LANGUAGES else None,
                       text=(params.get("q") or "").strip() or None)


def passage_url(ref: PassageRef, query: str) -> str:
    return f"/passages/{ref.document_id}/{ref.page_number}/{ref.passage_number}" + (f"?{query}" if query else "")
