"""Sentences with character offsets back into their text.

Vietnamese: underthesea; English: pysbd; telegram-style text without punctuation falls back to
line breaks and STOP/HẾT words. Offsets let a caller map a sentence to its page, line and box.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..text import nfc
from .textprep import is_furniture

# Upper case only: "chấm dứt" (to end) is ordinary prose, "CHẤM" in a telegram is a full stop.
TELEGRAM_BREAK = re.compile(r"\s+(?:STOP|HẾT|CHẤM)\b\.?\s*")
ENUMERATION = re.compile(r"^\(?(?:[0-9]{1,2}|[IVX]{1,5}|[a-z])[.)]$")
MAX_UNPUNCTUATED = 250  # longer runs without a sentence end are treated as telegram style


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset of the first character in the input text
    end: int  # offset after the last character


@functools.cache
def _english_segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _split_raw(text: str, lang: str) -> list[str]:
    if lang.startswith("vi"):
        from underthesea import sent_tokenize

        return sent_tokenize(text)
    return _english_segmenter().segment(text)


def _locate(text: str, pieces: list[str]) -> list[Sentence]:
    out, pos = [], 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        at = text.find(piece, pos)
        if at < 0:  # the splitter changed spacing: fall back to a whitespace-tolerant search
            pattern = r"\s+".join(map(re.escape, piece.split()))
            m = re.compile(pattern).search(text, pos)
            if not m:
                continue
            at, end = m.start(), m.end()
        else:
            end = at + len(piece)
        out.append(Sentence(text[at:end], at, end))
        pos = end
    return out


def _telegram(sentence: Sentence) -> list[Sentence]:
    """Split an over-long unpunctuated run at STOP words, then line breaks."""
    text = sentence.text
    cuts = [m.end() for m in TELEGRAM_BREAK.finditer(text)] or [m.end() for m in re.finditer(r"\n+", text)]
    if not cuts:
        return [sentence]
    out, prev = [], 0
    for cut in cuts + [len(text)]:
        chunk = text[prev:cut]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append(Sentence(stripped, sentence.start + prev + lead, sentence.start + prev + lead + len(stripped)))
        prev = cut
    return out


def _blocks(text: str) -> list[tuple[int, str]]:
    """Cut at blank lines, and at line breaks next to page furniture or after a short heading
    line (a date line, an addressee) that a splitter would glue to the next sentence."""
    out, start = [], 0
    lines = text.split("\n")
    pos = 0
    for k, line in enumerate(lines[:-1]):
        pos += len(line) + 1
        nxt = lines[k + 1]
        short_heading = 0 < len(line.strip()) <= 48 and not re.search(r"[.!?…]$", line.strip())
        if not line.strip() or not nxt.strip() or is_furniture(line) or is_furniture(nxt) or short_heading:
            out.append((start, text[start:pos]))
            start = pos
    out.append((start, text[start:]))
    return [(o, b) for o, b in out if b.strip()]


def split_sentences(text: str, lang: str = "vi") -> list[Sentence]:
    text = nfc(text)
    out: list[Sentence] = []
    for offset, block in _blocks(text):
        pieces = _locate(block, _split_raw(block, lang))
        merged: list[Sentence] = []
        for s in pieces:  # "1." split off by the splitter belongs to its sentence
            if merged and ENUMERATION.match(merged[-1].text):
                prev = merged.pop()
                s = Sentence(block[prev.start:s.end], prev.start, s.end)
            merged.append(s)
        for s in merged:
            s = Sentence(s.text, s.start + offset, s.end + offset)
            out.extend(_telegram(s) if len(s.text) > MAX_UNPUNCTUATED or TELEGRAM_BREAK.search(s.text) else [s])
    return out
