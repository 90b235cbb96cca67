"""Rebuild paragraphs (passages) from a page's lines, joining hyphenated line breaks."""

from __future__ import annotations

import re
import statistics

from .model import Line, Passage

_HYPHEN_END = re.compile(r"(\w)[-\u00ad\u2010\u00ac]$")
_SENTENCE_END = re.compile(r"[.!?:;…»\"”)\]]$")


def join_lines(texts: list[str]) -> str:
    """Join line texts with spaces; a word hyphenated across a line break is joined back."""
    out = ""
    for text in texts:
        text = text.strip()
        if not text:
            continue
        if out and _HYPHEN_END.search(out) and text[:1].islower():
            out = out[:-1] + text
        else:
            out = f"{out} {text}" if out else text
    return out


def rebuild_passages(lines: tuple[Line, ...]) -> tuple[Passage, ...]:
    """Split lines into paragraphs at wide vertical gaps and at indented first lines.

    Lines come in reading order. A new paragraph starts when the gap above a line is clearly
    wider than the page's usual line gap, or when a line is indented past the left margin right
    after a line that ended a sentence or stopped short.
    """
    if not lines:
        return ()
    heights = [max(1, l.bbox[3] - l.bbox[1]) for l in lines]
    line_h = statistics.median(heights)
    gaps = [lines[i].bbox[1] - lines[i - 1].bbox[3] for i in range(1, len(lines))]
    usual_gap = statistics.median([g for g in gaps if g >= 0] or [line_h * 0.5])
    lefts = [l.bbox[0] for l in lines]
    margin = statistics.median(lefts) if len(lefts) < 3 else sorted(lefts)[len(lefts) // 4]
    right = max(l.bbox[2] for l in lines)

    groups: list[list[int]] = [[0]]
    for i in range(1, len(lines)):
        prev, cur = lines[i - 1], lines[i]
        gap = cur.bbox[1] - prev.bbox[3]
        new_column = gap < -line_h  # reading order jumped back up: next block or column
        wide_gap = gap > max(usual_gap * 1.8, usual_gap + line_h * 0.6)
        indented = cur.bbox[0] - margin > line_h * 1.2
        prev_short = right - prev.bbox[2] > line_h * 3
        prev_ends = bool(_SENTENCE_END.search(prev.text))
        if new_column or wide_gap or (indented and (prev_ends or prev_short)):
            groups.append([i])
        else:
            groups[-1].append(i)

    passages = []
    for g in groups:
        members = [lines[i] for i in g]
        box = (
            min(l.bbox[0] for l in members),
            min(l.bbox[1] for l in members),
            max(l.bbox[2] for l in members),
            max(l.bbox[3] for l in members),
        )
        passages.append(Passage(text=join_lines([l.text for l in members]), bbox=box, first_line=g[0], last_line=g[-1]))
    return tuple(passages)


def passages_by_blank_lines(lines: tuple[Line, ...]) -> tuple[Passage, ...]:
    """Typed text (boxes in character cells, one row per line): a blank line ends a paragraph."""
    groups: list[list[int]] = []
    for i, line in enumerate(lines):
        if groups and line.bbox[1] == lines[i - 1].bbox[3]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return tuple(
        Passage(text=join_lines([lines[i].text for i in g]),
                bbox=(0, lines[g[0]].bbox[1], max(lines[i].bbox[2] for i in g), lines[g[-1]].bbox[3]),
                first_line=g[0], last_line=g[-1])
        for g in groups)
