"""Put a reviewer's passage text on the OCR's word boxes.

The OCR's words keep their boxes; a reviewed word takes the box of the OCR word it replaces. Where
one OCR word became several (or several became one) the reviewed words share the OCR words' union
box in proportion to their lengths. When too little of the passage still lines up word for word,
the reviewed words are spread over the passage's lines instead ("lines" placement): a search hit
or a PDF selection then lands on the right line, if not on the exact word.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from ingest.align.textprep import strip_marks

from .model import BBox, ExportLine, ExportWord

# Share of OCR words that must be kept or replaced one for one for word placement; below it the
# alignment is guesswork and line placement is the honest fallback.
MIN_WORD_MATCH = 0.5


def _split_box(box: BBox, texts: list[str]) -> list[BBox]:
    """Divide a box horizontally among words in proportion to their lengths (plus a space)."""
    x0, y0, x1, y1 = box
    weights = [len(t) + 1 for t in texts]
    total = sum(weights) or 1
    out, x = [], float(x0)
    for w in weights:
        nx = x + (x1 - x0) * w / total
        out.append((int(round(x)), y0, max(int(round(nx)) - 1, int(round(x)) + 1), y1))
        x = nx
    return out


def _union(boxes: list[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def place_on_words(lines: list[ExportLine], text: str) -> tuple[list[ExportLine], str]:
    """The passage's lines carrying the reviewed text, and the placement used ("words"|"lines")."""
    ocr = [(i, w) for i, ln in enumerate(lines) for w in ln.words]
    new = text.split()
    if not ocr:
        return lines, "words"
    # aligned on the letters without marks: "hop" -> "họp" is the same word corrected, not a new one
    ops = Levenshtein.opcodes([strip_marks(w.text).lower() for _, w in ocr], [strip_marks(t).lower() for t in new])
    kept = 0  # OCR words that are still there, or replaced one for one by a similar word
    for o in ops:
        if o.tag == "equal":
            kept += o.src_end - o.src_start
        elif o.tag == "replace" and o.src_end - o.src_start == o.dest_end - o.dest_start:
            kept += sum(Levenshtein.normalized_similarity(w.text.lower(), t.lower()) >= 0.5
                        for (_, w), t in zip(ocr[o.src_start:o.src_end], new[o.dest_start:o.dest_end], strict=False))
    if kept < MIN_WORD_MATCH * len(ocr):
        return place_on_lines(lines, text), "lines"
    placed: list[list[ExportWord]] = [[] for _ in lines]
    pending: list[str] = []  # inserted words waiting for a box (inserted before any OCR word)
    for o in ops:
        src, dst = ocr[o.src_start:o.src_end], new[o.dest_start:o.dest_end]
        if o.tag == "equal":
            for (i, w), t in zip(src, dst, strict=False):
                placed[i].append(w if w.text == t else ExportWord(t, w.bbox, 100.0, reviewed=True))
        elif o.tag == "delete":
            continue
        elif o.tag == "insert":
            # share the box of the word before (or after, at the start) with the inserted words
            host = next((ws for ws in reversed(placed) if ws), None)
            if host is None:
                pending += dst
                continue
            last = host.pop()
            texts = [last.text] + dst
            boxes = _split_box(last.bbox, texts)
            host.append(ExportWord(last.text, boxes[0], last.confidence, last.alternative,
                                   last.alternative_confidence, last.reviewed))
            host += [ExportWord(t, b, 100.0, reviewed=True) for t, b in zip(dst, boxes[1:], strict=False)]
        elif len(src) == len(dst):
            for (i, w), t in zip(src, dst, strict=False):
                placed[i].append(ExportWord(t, w.bbox, 100.0, reviewed=True))
        else:
            # n OCR words became m reviewed words: per OCR line, share its part of the span
            by_line: dict[int, list[ExportWord]] = {}
            for i, w in src:
                by_line.setdefault(i, []).append(w)
            groups = list(by_line.items())
            total = sum(len(ws) for _, ws in groups)
            start = 0
            for k, (i, ws) in enumerate(groups):
                n = len(dst) - start if k == len(groups) - 1 else round(len(dst) * len(ws) / total)
                chunk = dst[start:start + n]
                start += len(chunk)
                if chunk:
                    placed[i] += [ExportWord(t, b, 100.0, reviewed=True)
                                  for t, b in zip(chunk, _split_box(_union([w.bbox for w in ws]), chunk), strict=False)]
    if pending:
        first = next(i for i, ws in enumerate(placed) if ws) if any(placed) else 0
        if placed[first]:
            head = placed[first][0]
            boxes = _split_box(head.bbox, pending + [head.text])
            placed[first] = ([ExportWord(t, b, 100.0, reviewed=True) for t, b in zip(pending, boxes, strict=False)]
                             + [ExportWord(head.text, boxes[-1], head.confidence, head.alternative,
                                           head.alternative_confidence, head.reviewed)] + placed[first][1:])
        else:
            return place_on_lines(lines, text), "lines"
    return [ExportLine(ln.bbox, tuple(ws), ln.confidence, ln.number)
            for ln, ws in zip(lines, placed, strict=False)], "words"


def place_on_lines(lines: list[ExportLine], text: str) -> list[ExportLine]:
    """Spread the reviewed words over the lines in proportion to each line's OCR length."""
    new = text.split()
    if not lines:
        return []
    sizes = [max(len(ln.text), 1) for ln in lines]
    total = sum(sizes)
    chars = sum(len(t) + 1 for t in new) or 1
    out, k = [], 0
    budget = 0.0
    for j, ln in enumerate(lines):
        budget += chars * sizes[j] / total
        chunk = []
        used = sum(len(t) + 1 for t in new[:k])
        while k < len(new) and (j == len(lines) - 1 or used + len(new[k]) / 2 < budget):
            chunk.append(new[k])
            used += len(new[k]) + 1
            k += 1
        words = tuple(ExportWord(t, b, 100.0, reviewed=True)
                      for t, b in zip(chunk, _split_box(ln.bbox, chunk), strict=False))
        out.append(ExportLine(ln.bbox, words, 100.0 if words else ln.confidence, ln.number))
    return out
