"""Texts cut into single-line pieces that each fit one request, and put back together."""

from __future__ import annotations

import re
from collections.abc import Callable

_LINE_BREAK = re.compile(r"(\s*\n\s*)")
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])(\s+)")
_SPACE = re.compile(r"(\s+)")


def _segments(text: str, fits: Callable[[str], bool]) -> list[str]:
    """[sep, piece, sep, piece, ..., sep]: pieces (odd positions) are stripped, non-empty single
    lines that each fit one request; joining the list gives the text back."""
    out = [""]
    for k, part in enumerate(_LINE_BREAK.split(text)):
        core = part.strip()
        if k % 2 or not core:  # a line break with the spaces around it, or a blank line
            out[-1] += part
            continue
        start = part.index(core)
        out[-1] += part[:start]
        out.extend(_fit(core, fits))
        out.append(part[start + len(core):])
    return out


def _fit(line: str, fits: Callable[[str], bool], level: int = 0) -> list[str]:
    """The line cut at sentence ends, then at spaces, then anywhere: [piece, sep, piece, ...]."""
    if fits(line):
        return [line]
    if level == 2:  # one unbroken word longer than a request: cut it
        out, rest = [], line
        while rest:
            lo, hi = 1, len(rest)  # the longest prefix that fits
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if fits(rest[:mid]) else (lo, mid - 1)
            out += [rest[:lo], ""]
            rest = rest[lo:]
        return out[:-1]
    parts = (_SENTENCE_END, _SPACE)[level].split(line)
    chunks = [parts[0]]
    for sep, token in zip(parts[1::2], parts[2::2], strict=False):
        if fits(chunks[-1] + sep + token):
            chunks[-1] += sep + token
        else:
            chunks += [sep, token]
    out = []
    for k, chunk in enumerate(chunks):
        out += [chunk] if k % 2 else _fit(chunk, fits, level + 1)
    return out


