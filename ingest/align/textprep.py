"""Text preparation for alignment: NFC, one tone-mark placement, marks stripped for fallback
matching, page furniture and translators' bracketed insertions recognised."""

from __future__ import annotations

import re
import unicodedata

from ingest.text import nfc

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
# Canonical placement: the traditional one ("hòa", "thủy", "khỏe"), which most 1960s typescripts
# and today's dictionaries use. "oa", "oe", "uy" ending a syllable carry the mark on the first vowel.
_OLD_STYLE = re.compile(r"(?i)(?<![qg])([ou])([aey])([\u0300\u0301\u0303\u0309\u0323])(?![a-zđ\u0300-\u036f])")
_FURNITURE = re.compile(
    r"^\s*(?:[-–—]?\s*\d{1,4}\s*[-–—]?|trang\s+\d+|page\s+\d+|"
    r"tuyệt\s+mật|tối\s+mật|mật|khẩn|hỏa\s+tốc|thượng\s+khẩn|"
    r"top\s+secret|secret|confidential|urgent|flash|"
    r"\[?(?:signed|stamp|seal|đã\s+ký|dấu)[^\]]*\]?)\s*[.:]?\s*$",
    re.IGNORECASE,
)
_BRACKET = re.compile(r"\[[^\[\]]{0,200}\]")


def canonical_tones(text: str) -> str:
    """NFC text with tone marks placed one way (hoà -> hòa, thuỷ -> thủy)."""
    d = unicodedata.normalize("NFD", text)
    d = _OLD_STYLE.sub(lambda m: m.group(1) + m.group(3) + m.group(2), d)
    return unicodedata.normalize("NFC", d)


def normalize_vi(text: str) -> str:
    return canonical_tones(nfc(text))


def strip_marks(text: str) -> str:
    """Letters without diacritics (đ -> d): the fallback for unaccented or damaged text."""
    d = unicodedata.normalize("NFD", text)
    return "".join(c for c in d if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D")


def is_furniture(text: str) -> bool:
    """Page numbers, classification headers, stamps: likely present on one side only."""
    return bool(_FURNITURE.match(nfc(text).strip()))


def insertions(text: str) -> list[tuple[int, int]]:
    """Spans of a translator's bracketed insertions: "[private]", "[Tran Buu] Kiem", "[…]"."""
    return [m.span() for m in _BRACKET.finditer(text)]


def without_insertions(text: str) -> str:
    """The translation as the original would have it: bracketed additions dropped, except a
    bracketed part of a name ("[Tran Buu] Kiem" keeps the name whole)."""
    def repl(m: re.Match) -> str:
        inner = m.group(0)[1:-1]
        after = text[m.end(): m.end() + 2]
        if after[:1] == " " and after[1:2].isupper() and inner[:1].isupper():
            return inner  # part of a name
        return ""
    return re.sub(r"\s{2,}", " ", _BRACKET.sub(repl, text)).strip()
