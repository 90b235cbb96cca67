"""Flags: where a reviewer should look, with the evidence and the page box.

Page rules read the stored OCR lines (low confidence, impossible Vietnamese syllables, garbage
and mixed scripts); link rules read an alignment (low confidence, one-sided links, numbers and
dates that differ, length-ratio outliers). Pure functions: storage and flows call them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ingest.align.anchors import anchors
from ingest.align.textprep import is_furniture, without_insertions

from .vn_orthography import is_valid_syllable

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
# Word confidence thresholds (Tesseract 0-100). Provisional: issue 5 asks for thresholds calibrated
# on ground truth; see the closing note of the session that wrote this.
LOW_CONFIDENCE = 70.0
VERY_LOW_CONFIDENCE = 40.0
LOW_LINK_SCORE = 0.5
_SCRIPTS = (("LATIN", re.compile(r"[A-Za-zÀ-ỹĐđ]")), ("CYRILLIC", re.compile(r"[\u0400-\u04ff]")),
            ("GREEK", re.compile(r"[\u0370-\u03ff]")))
_SYMBOL_RUN = re.compile(r"[^\w\s.,;:!?\"'()\-–—…/%]{3,}")


@dataclass(frozen=True)
class Flag:
    type: str
    severity: str  # low | medium | high
    level: str  # word | line | passage | link
    evidence: str
    page: int | None = None
    line: int | None = None
    word: int | None = None
    link: int | None = None
    bbox: tuple[int, int, int, int] | None = None
    details: dict = field(default_factory=dict)


def _scripts(token: str) -> set[str]:
    return {name for name, pat in _SCRIPTS if pat.search(token)}


def flag_words(page: int, lines: list[tuple[str, tuple, list[tuple[str, tuple, float]]]], lang: str) -> list[Flag]:
    """lines: (line text, line box, [(word, box, confidence)]). Vietnamese rules on 'vie' pages."""
    flags: list[Flag] = []
    for ln, (text, lbox, words) in enumerate(lines):
        if _SYMBOL_RUN.search(text):
            flags.append(Flag("garbage", "medium", "line", f"symbol run in “{text[:60]}”", page, ln, bbox=tuple(lbox)))
        for wn, (word, box, conf) in enumerate(words):
            token = unicodedata.normalize("NFC", word)
            if conf < LOW_CONFIDENCE:
                sev = "high" if conf < VERY_LOW_CONFIDENCE else "medium"
                flags.append(Flag("low_confidence", sev, "word", f"“{token}” read with confidence {conf:.0f}",
                                  page, ln, wn, bbox=tuple(box), details={"confidence": conf}))
            if len(_scripts(token)) > 1:
                flags.append(Flag("mixed_script", "high", "word", f"“{token}” mixes {', '.join(sorted(_scripts(token)))}",
                                  page, ln, wn, bbox=tuple(box)))
            core = token.strip(".,;:!?\"'()[]«»“”‘’-–—…")
            if lang.startswith("vie") and core and core.isalpha() and not core.isupper() and len(core) <= 7 \
                    and not is_valid_syllable(core):
                flags.append(Flag("invalid_syllable", "medium", "word", f"“{core}” is not a Vietnamese syllable",
                                  page, ln, wn, bbox=tuple(box)))
    return flags


def flag_links(links: list[tuple[list[int], list[int], float]], source: list[str], target: list[str]) -> list[Flag]:
    """links: (source ids, target ids, score) over the given source/target sentence texts."""
    flags: list[Flag] = []
    for k, (s_ids, t_ids, score) in enumerate(links):
        src = " ".join(source[i] for i in s_ids)
        tgt = " ".join(without_insertions(target[j]) for j in t_ids)
        if not s_ids or not t_ids:
            text = src or tgt
            if not is_furniture(text):
                what = "omitted in the translation" if s_ids else "added in the translation"
                flags.append(Flag("one_sided_link", "medium", "link", f"{what}: “{text[:80]}”", link=k))
            continue
        if score < LOW_LINK_SCORE:
            flags.append(Flag("low_link_confidence", "high" if score < 0.2 else "medium", "link",
                              f"link confidence {score:.2f}", link=k, details={"score": score}))
        a_src = {a for a in anchors(src, "vi") if a[0] in "nd"}
        a_tgt = {a for a in anchors(tgt, "en") if a[0] in "nd"}
        if a_src != a_tgt and (a_src or a_tgt):
            only_s, only_t = sorted(a_src - a_tgt), sorted(a_tgt - a_src)
            flags.append(Flag("anchor_mismatch", "high", "link",
                              f"numbers/dates differ: original {only_s or '-'}, translation {only_t or '-'}",
                              link=k, details={"source_only": only_s, "target_only": only_t}))
        if len(src) >= 20 and len(tgt) >= 1 and not 0.5 <= len(tgt) / len(src) <= 2.0:
            flags.append(Flag("length_ratio", "low", "link", f"length ratio {len(tgt) / len(src):.2f}", link=k))
    return flags
