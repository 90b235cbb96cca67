"""What the passage page draws: each OCR line's strip of scan at a legible scale, with the flagged
words outlined on it, and the words flags suggest. Pure functions of a PassageView."""

from __future__ import annotations

import statistics

from ingest.vn_orthography import PUNCTUATION as _EDGE
from storage.models import FlagStatus

# Letters with nothing above the x-height nor below the baseline: a word made only of them is
# exactly x-height tall on the scan, so its box measures the x-height of the line's type.
_X_LETTERS = set("acemnorsuvwxz")
# Without such a word: the x-height is about 0.45 of a line box (ascender to descender; Vietnamese
# marks stacked above make it taller) - measured on the bundled cable scans: 0.43-0.48.
X_HEIGHT_SHARE = 0.45
MIN_X_HEIGHT_PX = 24  # CSS px: below this đ and d, ơ and o cannot be told apart at a glance


def x_height(view) -> float:
    """The passage's x-height in page pixels: the median height of its x-height-only words."""
    heights = [w.box[3] - w.box[1] for ln in view.lines for w in ln["words"]
               if len(w.text) >= 2 and set(w.text) <= _X_LETTERS and w.box[3] > w.box[1]]
    if len(heights) >= 3:
        return float(statistics.median(heights))
    lines = [ln["bbox"][3] - ln["bbox"][1] for ln in view.lines if ln["bbox"][3] > ln["bbox"][1]]
    return X_HEIGHT_SHARE * statistics.median(lines) if lines else 20.0


def line_strips(view, min_x_height: float = MIN_X_HEIGHT_PX) -> dict:
    """scale: CSS px per page px at zoom 1 (so the x-height is `min_x_height` CSS px); lines: for
    each OCR line its crop of the page, its current text, and its open flags' boxes in percent
    of the crop (drawn as outlines, so the word stays readable)."""
    scale = min_x_height / max(1.0, x_height(view))
    w, h = view.page_size
    out = []
    for k, ln in enumerate(view.lines):
        x0, y0, x1, y1 = ln["bbox"]
        lh = max(1, y1 - y0)
        box = (max(0, x0 - lh // 2), max(0, y0 - int(lh * .35)), min(w or x1 + lh, x1 + lh // 2),
               min(h or y1 + lh, y1 + int(lh * .35)))
        bw, bh = max(1, box[2] - box[0]), max(1, box[3] - box[1])
        flags = [f for f in view.flags
                 if f.status == FlagStatus.OPEN and f.level != "link" and f.line_number == ln["number"]]
        marks = []
        for f in flags:
            if f.bbox and f.level == "word":
                fx0, fy0, fx1, fy1 = f.bbox
                marks.append({"box": f"{100 * (fx0 - box[0]) / bw:.2f},{100 * (fy0 - box[1]) / bh:.2f},"
                                     f"{100 * (fx1 - fx0) / bw:.2f},{100 * (fy1 - fy0) / bh:.2f}",
                              "severity": f.severity, "title": f.evidence, "flag": f.id})
        out.append({"index": k, "number": ln["number"], "crop": ",".join(str(int(v)) for v in box),
                    "width": bw, "height": bh, "text": view.line_texts[k] if k < len(view.line_texts) else "",
                    "ocr": ln["text"], "marks": marks, "flags": flags,
                    "flagged": bool(flags), "line_flag": any(f.level != "word" for f in flags)})
    return {"scale": round(scale, 4), "lines": out, "x_height": round(x_height(view), 1)}


def suggestions(view) -> dict[int, dict]:
    """flag id -> the replacement a flag suggests for its word ("thi" -> "thí"): the line field
    (index), the text to find in it, what to put there, and which occurrence (0-based) it is."""
    out = {}
    index = {ln["number"]: k for k, ln in enumerate(view.lines)}
    for f in view.flags:
        suggestion = (f.details or {}).get("suggestion")
        if f.status != FlagStatus.OPEN or f.level != "word" or not suggestion or f.word_number is None:
            continue
        k = index.get(f.line_number)
        if k is None:
            continue
        words = [(w.number, w.text) for w in view.lines[k]["words"]]
        at = next((i for i, (wn, _) in enumerate(words) if wn == f.word_number), None)
        if at is None:
            continue
        token = words[at][1]
        core, new = token.strip(_EDGE), suggestion.strip(_EDGE)
        if core.lower() == new.lower() and token != suggestion:
            find, put = token, suggestion  # only the punctuation differs ("tiên," / "tiên.")
        else:
            find, put = core, (new[:1].upper() + new[1:]) if core[:1].isupper() else new
        if not find or find == put:
            continue
        nth = sum(1 for _, w in words[:at] if find in (w, w.strip(_EDGE)))
        out[f.id] = {"line": k, "find": find, "put": put, "nth": nth}
    return out
