"""Vietnamese page rules (language-specific: Vietnamese): impossible syllables, known OCR
confusions, syllables or pairs of syllables no attested text has."""

from __future__ import annotations

from ingest.vn_orthography import syllable_key

from ..confusions import known_confusions
from .context import context_gain
from .likely import better_marks
from .registry import Hit, PageContext, rule


@rule("invalid_syllable", "medium", "word", languages=("vie",))
def invalid_syllable(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """Letters that make no Vietnamese syllable (acronyms, long words and foreign words read well
    aside)."""
    w = ctx.word(ln, wn)
    core = w.core
    if core and core.isalpha() and not core.isupper() and len(core) <= 7 and not w.valid and not w.foreign:
        return Hit(f"“{core}” is not a Vietnamese syllable")
    return None


@rule("known_confusion", "medium", "word", languages=("vie",))
def known_confusion(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A known Tesseract confusion (VietOCR's list) inside the word; off without the list."""
    w = ctx.word(ln, wn)
    if not ctx.confusions or not w.core or w.foreign:
        return None
    hits, fixed = known_confusions(w.core, ctx.confusions)
    # a well-formed syllable is suspect only for a whole-word entry ("cũa" -> "của")
    if hits and (not w.valid or any(h.pattern.strip() == w.core for h in hits)):
        return Hit(f"“{w.core}” has a known OCR confusion; perhaps “{fixed}”",
                   {"patterns": [h.pattern for h in hits], "suggestion": fixed})
    return None


def _named(ctx: PageContext, ln: int, wn: int) -> bool:
    """A capitalised syllable inside a sentence or beside another is a name ("Sài Gòn"): names are
    the syllables attested texts lack most, and not misreadings."""
    words = ctx.words(ln)
    following = wn + 1 < len(words) and ctx.word(ln, wn + 1).core[:1].isupper()
    return ctx.word(ln, wn).core[:1].isupper() and (not ctx.starts[ln][wn] or following)


@rule("unattested_syllable", "low", "word", languages=("vie",))
def unattested_syllable(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A well-formed syllable no attested text has (names aside); off without attested texts."""
    w = ctx.word(ln, wn)
    if ctx.known is None or not w.core or not w.valid:
        return None
    if syllable_key(w.core) not in ctx.known.syllables and not _named(ctx, ln, wn):
        return Hit(f"“{w.core}” is a possible syllable but not an attested one", {"confidence": w.conf})
    return None


@rule("diacritic_suspect", "low", "word", languages=("vie",))
def diacritic_suspect(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """An attested syllable with no attested neighbour whose form with one mark fewer has one
    ("chỉ phí" for "chi phí")."""
    w = ctx.word(ln, wn)
    if ctx.known is None or not w.core or not w.valid:
        return None
    key = syllable_key(w.core)
    if key not in ctx.known.syllables and not _named(ctx, ln, wn):
        return None  # unattested_syllable's
    better = better_marks(key, ctx.neighbours.get((ln, wn), (None, None)), ctx.known)
    if better:
        return Hit(f"“{w.core}” next to its neighbours is unattested; “{better}” is attested there",
                   {"suggestion": better, "confidence": w.conf})
    return None


# Attested pairs of the one-mark variant with the neighbours from which it is flagged (the reading
# itself having none). On the calibration pages any value from 2 to 6 gave the same out-of-fold
# decision (92.5% of erroneous lines at precision 0.75, bench/FLAGS_RESULTS.md); 4 is mid-range.
# The line-level decision weighs the gain again with the confidences (feature context_gain).
CONTEXT_PAIRS = 4


def variant_gain(ctx: PageContext, ln: int, wn: int) -> tuple[str | None, float, int]:
    """(better-fitting variant, gain) of an attested syllable that is not a name (qa.flags.context);
    (None, 0) for other words and without attested texts. Foreign-looking words count: the valid
    syllables among English words ("vi", "ban", "tin") are Vietnamese ones on a Vietnamese page."""
    if (ln, wn) not in ctx.gains:
        w = ctx.word(ln, wn)
        got: tuple[str | None, float, int] = (None, 0.0, 0)
        if ctx.known is not None and w.core and w.valid and not _named(ctx, ln, wn):
            key = syllable_key(w.core)
            if key in ctx.known.syllables:
                got = context_gain(ctx.known, key, ctx.neighbours.get((ln, wn), (None, None)))
        ctx.gains[(ln, wn)] = got
    return ctx.gains[(ln, wn)]


@rule("context_variant", "low", "word", languages=("vie",))
def context_variant(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """An attested syllable whose differently marked variant fits its neighbours far better
    ("chỉnh sách" for "chính sách")."""
    better, gain, pairs = variant_gain(ctx, ln, wn)
    if better and pairs >= CONTEXT_PAIRS:
        w = ctx.word(ln, wn)
        return Hit(f"“{w.core}” fits its neighbours less well than “{better}”",
                   {"suggestion": better, "gain": round(gain, 2), "pairs": pairs, "confidence": w.conf})
    return None
