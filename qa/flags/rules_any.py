"""Language-neutral page rules: confidences, Tesseract's second choices, garbage, mixed scripts,
digits inside words, characters words do not have. They run on pages of every language."""

from __future__ import annotations

import re

from .likely import as_likely, plausible
from .registry import Hit, PageContext, rule

_SCRIPTS = (("LATIN", re.compile(r"[A-Za-zÀ-ỹĐđ]")), ("CYRILLIC", re.compile(r"[\u0400-\u04ff]")),
            ("GREEK", re.compile(r"[\u0370-\u03ff]")))
_SYMBOL_RUN = re.compile(r"[^\w\s.,;:!?\"'()\-–—…/%]{3,}")
_DIGIT_IN_WORD = re.compile(r"\d[^\W\d_]|[^\W\d_]\d")
# years and counts with a suffix (1960s, 3rd, 10km), chemical formulas and codes (CO2, B-52)
_DIGIT_OK = re.compile(r"^(?:\d+(?:s|st|nd|rd|th|km|kg|cm|mm|m|g|h|am|pm|tr|k)|[A-Z][A-Z0-9-]*\d[A-Z0-9]*|\d+[A-Z]+)$")
_ODD_CHAR = re.compile(r"[^\w\-'’/.,%&:+]")


def _scripts(token: str) -> set[str]:
    return {name for name, pat in _SCRIPTS if pat.search(token)}


def line_mean(words) -> float | None:
    """A line's mean word confidence, weighted by characters (None: no characters)."""
    chars = sum(len(w[0]) for w in words)
    return sum(w[2] * len(w[0]) for w in words) / chars if chars else None


@rule("garbage", "medium", "line")
def garbage(ctx: PageContext, ln: int) -> Hit | None:
    """A run of three or more symbols no text has (a stain, a border, a stamp read as text)."""
    text = ctx.lines[ln][0]
    return Hit(f"symbol run in “{text[:60]}”") if _SYMBOL_RUN.search(text) else None


@rule("low_line_confidence", "medium", "line")
def low_line_confidence(ctx: PageContext, ln: int) -> Hit | None:
    """A line whose mean word confidence is below the line threshold."""
    text, _, words = ctx.lines[ln]
    mean = line_mean(words)
    if mean is not None and mean < ctx.thresholds.line_low:
        return Hit(f"line read with mean confidence {mean:.0f}: “{text[:60]}”", {"confidence": round(mean, 1)})
    return None


@rule("low_confidence", "medium", "word")
def low_confidence(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A word read below the word threshold ('high' below the very-low one)."""
    w = ctx.word(ln, wn)
    if w.conf < ctx.thresholds.low:
        return Hit(f"“{w.token}” read with confidence {w.conf:.0f}", {"confidence": w.conf},
                   "high" if w.conf < ctx.thresholds.very_low else "medium")
    return None


@rule("close_alternative", "low", "word")
def close_alternative(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A word read well whose strongest other character makes a plausible reading at least as
    likely as the one read ("thi" / "thí"); words under the word threshold are low_confidence."""
    w = ctx.word(ln, wn)
    alt = ctx.alternatives.get((ln, wn))
    if (w.conf < ctx.thresholds.low or not alt or alt[1] < ctx.thresholds.alternative
            or not plausible(alt[0], ctx.vie, ctx.eng, w.token)
            or not as_likely(alt[0], w.token, ctx.vie, ctx.eng, ctx.known,
                             ctx.neighbours.get((ln, wn), (None, None)), alt[1], w.conf)):
        return None
    other = f"“{alt[0]}”" if alt[0] else "another character"
    return Hit(f"“{w.token}” could also read {other} (Tesseract's second choice, confidence {alt[1]:.0f})",
               {"suggestion": alt[0], "alternative_confidence": alt[1], "confidence": w.conf})


@rule("mixed_script", "high", "word")
def mixed_script(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """Letters of two alphabets in one word ("Вộ" with a Cyrillic В)."""
    scripts = _scripts(ctx.word(ln, wn).token)
    if len(scripts) > 1:
        return Hit(f"“{ctx.word(ln, wn).token}” mixes {', '.join(sorted(scripts))}")
    return None


@rule("digit_in_word", "medium", "word")
def digit_in_word(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """Digits inside letters ("1í do"), not a year, count, unit or code (1960s, CO2)."""
    w = ctx.word(ln, wn)
    if _DIGIT_IN_WORD.search(w.core) and not _DIGIT_OK.match(w.core):
        return Hit(f"“{w.core}” mixes digits into letters", {"confidence": w.conf})
    return None


@rule("odd_character", "medium", "word")
def odd_character(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A character words do not have (unless the word is already a digit_in_word)."""
    w = ctx.word(ln, wn)
    if _ODD_CHAR.search(w.core) and not (_DIGIT_IN_WORD.search(w.core) and not _DIGIT_OK.match(w.core)):
        return Hit(f"“{w.core}” has a character words do not have", {"confidence": w.conf})
    return None


# A lower-case letter straight before a capital inside a word ("tO", "reMinds", "cOnstraints"): a
# misread case (on the calibration pages every such word was wrong). Names that do it (McNamara,
# MacArthur, DeGaulle) start with a capital and a known prefix.
_NAME_PREFIX = ("Mc", "Mac", "De", "Di", "Da", "La", "Le")


@rule("mixed_case", "medium", "word")
def mixed_case(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A capital after a lower-case letter inside a word ("tO", "reMinds"), not a name like McNamara."""
    core = ctx.word(ln, wn).core
    mixed = any(a.islower() and b.isupper() for a, b in zip(core, core[1:], strict=False))
    if core.isalpha() and mixed and not (core[:1].isupper() and core.startswith(_NAME_PREFIX)):
        return Hit(f"“{core}” mixes lower case and capitals", {"confidence": ctx.word(ln, wn).conf})
    return None


@rule("lowercase_sentence", "low", "word")
def lowercase_sentence(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A sentence starting in lower case after a word ending in a full stop, ! or ? ("climate.
    well, it"), not after an abbreviation or initial (a stop after at most two letters)."""
    w = ctx.word(ln, wn)
    if not w.core[:1].islower() or not w.core.isalpha():
        return None
    before = ctx.prev_word(ln, wn).rstrip("\"')]}»”’")
    if not before.endswith((".", "!", "?")) or before.endswith("..") or len(before.strip(".!?")) <= 2:
        return None
    if not before.strip(".!?").isalpha() or before.strip(".!?").isupper():
        return None
    return Hit(f"“{w.core}” starts a sentence in lower case", {"confidence": w.conf})
