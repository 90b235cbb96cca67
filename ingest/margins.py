"""Marks in a page's margins read as words: handwritten notes, stamps, punch holes and ticks beside
one column of typescript. Tesseract's psm 4 reads them into the text lines beside them (``by ø
Nr.707 af ...``) or as lines of their own, while its default layout (psm 3) mostly leaves such
specks out as non-text. Pure functions over lines of words; the pipeline decides when to use them.
"""

from __future__ import annotations

import numpy as np

from .linereads import NOISE_CONFIDENCE, NOISE_SHARE
from .model import Line
from .readings import make_reading

# Measured on the sound first readings of the ten sound tune pages (bench.real_bench): words lying
# wholly outside the text column read at confidence 0-76 when they were marks ('by' 43, 'ø' 33, 'i,'
# 0, '|' 76, 'nb' 39 beside danish/006's lines; '2' 23 on danish/009, 'f' 43 on german/002) and at
# 89-96 when they were typed text set out into the margin (danish/004: 'A.' 89, '30.' 93, 'Jøde,'
# 92, 'le' 96, 'B.' 92). A line wholly outside the column below it is a mark too (danish/008 'Ul 7',
# 47.7, written beside the text).
MARGIN_CONFIDENCE = 80.0
# A line needs this many words and this confidence to count in the column's edges.
MARGIN_BODY_WORDS = 3
MARGIN_BODY_CONFIDENCE = 60.0
# Lines above or below the typed block kept out as marks rather than type: below NOISE_CONFIDENCE
# and NOISE_SHARE of the page's median line score (readings.make_reading), the rule the doubtful
# pages' line stage applies to its bands (the same thresholds, imported from linereads): danish/006 'Fm'
# (a scrawl above the text, confidence 0), czech/007 'A ZÁ o o n i 0' (31) and 'Voé' (0), czech/006
# 'dl. luční' (20) and 'ZSSK' (24), german/002 '°', german/004 'pn' (9). Not within the block: there
# such lines were typed text read badly (danish/003 'begære' 27, a paragraph's last word 'begær.';
# czech/001 'Er o. tok ol' 24, the spaced heading 'Protokol'), which dropping cost 6 and 3 errors.


def column_edges(lines: tuple[Line, ...]) -> tuple[float, float, float, float] | None:
    """Left, right, top and bottom edge of the text column: the median start and the 90th
    percentile end of the confident lines of several words (indented first lines start right of
    the edge, short last lines end left of it), the top of the first and the bottom of the last of
    them. None when too few lines tell."""
    body = [ln for ln in lines if len(ln.words) >= MARGIN_BODY_WORDS and ln.confidence >= MARGIN_BODY_CONFIDENCE]
    if len(body) < 5:
        return None
    left = float(np.median([ln.words[0].bbox[0] for ln in body]))
    right = float(np.percentile([ln.words[-1].bbox[2] for ln in body], 90))
    return left, right, float(min(ln.bbox[1] for ln in body)), float(max(ln.bbox[3] for ln in body))


def strip_margins(lines: tuple[Line, ...], lang: str) -> tuple[tuple[Line, ...], list[str]]:
    """The lines without the margin marks read into them: words wholly left or right of the text
    column (column_edges) at a line's ends below MARGIN_CONFIDENCE, lines lying wholly outside the
    column below it, and lines above or below the typed block that read as marks (below
    NOISE_CONFIDENCE and NOISE_SHARE of the median line score). Returns the lines kept, in their
    order, and the texts left out."""
    from .ocr import make_line

    edges = column_edges(lines)
    if edges is None:
        return lines, []
    left, right, top, bottom = edges

    def before(word) -> bool:
        return word.bbox[2] < left

    def after(word) -> bool:
        return word.bbox[0] > right

    def outside(word) -> bool:
        return before(word) or after(word)

    kept: list[Line] = []
    dropped: list[str] = []
    for line in lines:
        words = list(line.words)
        if all(outside(w) for w in words) and line.confidence < MARGIN_CONFIDENCE:
            dropped.append(line.text)
            continue
        start, end = 0, len(words)
        while start < end and before(words[start]) and words[start].confidence < MARGIN_CONFIDENCE:
            start += 1
        while end > start and after(words[end - 1]) and words[end - 1].confidence < MARGIN_CONFIDENCE:
            end -= 1
        dropped += [w.text for w in words[:start] + words[end:]]
        if start == 0 and end == len(words):
            kept.append(line)
        elif end > start:
            kept.append(make_line(words[start:end]))
    scores = [make_reading("line", 0, (ln,), lang).score for ln in kept]
    if not scores:
        return lines, []
    median = float(np.median(scores))
    out = []
    for line, score in zip(kept, scores, strict=True):
        middle = (line.bbox[1] + line.bbox[3]) / 2
        if (middle < top or middle > bottom) and line.confidence < NOISE_CONFIDENCE and score < NOISE_SHARE * median:
            dropped.append(line.text)
        else:
            out.append(line)
    return tuple(out), dropped
