"""The page rules over one page: every registered rule for the page's language, word by word and
line by line, and the page_unreadable flag that replaces them on a page too bad to correct."""

from __future__ import annotations

from pathlib import Path

from ingest.vn_orthography import load_attested

from ..confusions import load_confusions
from . import capitals, rules_any, rules_en, rules_vi  # noqa: F401  (registers the rules)
from .decision import decide
from .model import (
    ALTERNATIVE_CONFIDENCE,
    DOUBTFUL_LINE_CONFIDENCE,
    LOW_CONFIDENCE,
    LOW_LINE_CONFIDENCE,
    UNREADABLE_MIN_LINES,
    UNREADABLE_SHARE,
    VERY_LOW_CONFIDENCE,
    Flag,
)
from .registry import PageContext, Thresholds, rules

Lines = list[tuple[str, tuple, list[tuple]]]


def page_unreadable(page: int, lines: Lines) -> Flag | None:
    """One page-level flag when most lines are doubtful (lines as for flag_words), else None."""
    means = []
    for _, _, words in lines:
        chars = sum(len(w[0]) for w in words)
        if chars:
            means.append((sum(w[2] * len(w[0]) for w in words) / chars, chars))
    if len(means) < UNREADABLE_MIN_LINES:
        return None
    doubtful = sum(1 for m, _ in means if m < DOUBTFUL_LINE_CONFIDENCE)
    if doubtful <= UNREADABLE_SHARE * len(means):
        return None
    mean = sum(m * c for m, c in means) / sum(c for _, c in means)
    return Flag("page_unreadable", "critical", "page",
                f"page unreadable: re-scan or transcribe (mean confidence {mean:.0f}, {doubtful} of {len(means)} "
                "lines doubtful)", page, details={"confidence": round(mean, 1), "doubtful_lines": doubtful,
                                                  "lines": len(means)})


def flag_page(page: int, lines: Lines, lang: str, **options) -> list[Flag]:
    """The flags of one page: a single page_unreadable flag instead of its word and line flags when
    most of its lines are doubtful (hundreds of word flags on such a page help nobody), else flag_lines."""
    unreadable = page_unreadable(page, lines)
    return [unreadable] if unreadable else flag_lines(page, lines, lang, **options)


def flag_lines(page: int, lines: Lines, lang: str, **options) -> list[Flag]:
    """The rules' flags (flag_words) kept only on the lines whose combined evidence passes the
    fitted line-level decision (qa.flags.decision): what reviewers see."""
    ctx = page_context(page, lines, lang, **options)
    return decide(ctx, rule_flags(ctx))


def page_context(page: int, lines: Lines, lang: str, *,
                 ambiguities: str | Path | None = None, attested: tuple[str | Path, ...] | None = None,
                 low_confidence: float | None = None, very_low_confidence: float | None = None,
                 low_line_confidence: float | None = None, alternative_confidence: float | None = None) -> PageContext:
    """What the rules of one page read (see flag_words for the arguments)."""
    thresholds = Thresholds(
        LOW_CONFIDENCE if low_confidence is None else low_confidence,
        VERY_LOW_CONFIDENCE if very_low_confidence is None else very_low_confidence,
        LOW_LINE_CONFIDENCE if low_line_confidence is None else low_line_confidence,
        ALTERNATIVE_CONFIDENCE if alternative_confidence is None else alternative_confidence)
    alternatives = {(ln, wn): (w[3], w[4] or 0.0) for ln, (_, _, words) in enumerate(lines)
                    for wn, w in enumerate(words) if len(w) >= 5}
    plain = [(t, b, [tuple(w[:3]) for w in words]) for t, b, words in lines]
    vie = lang.startswith("vie")
    confusions = load_confusions(str(ambiguities)) if ambiguities and vie else ()
    known = load_attested(tuple(str(p) for p in attested)) if attested and vie else None
    return PageContext(page, lang, plain, thresholds, alternatives, confusions, known)


def rule_flags(ctx: PageContext) -> list[Flag]:
    """Every flag the registered rules for the page's language raise, line by line (line rules,
    then each word's rules in registry order)."""
    line_rules, word_rules = rules(ctx.lang, "line"), rules(ctx.lang, "word")
    flags: list[Flag] = []
    for ln, (_, lbox, words) in enumerate(ctx.lines):
        for r in line_rules:
            if hit := r.check(ctx, ln):
                flags.append(Flag(r.name, hit.severity or r.severity, "line", hit.evidence, ctx.page, ln,
                                  bbox=tuple(lbox), details=hit.details))
        for wn, w in enumerate(words):
            for r in word_rules:
                if hit := r.check(ctx, ln, wn):
                    flags.append(Flag(r.name, hit.severity or r.severity, "word", hit.evidence, ctx.page, ln, wn,
                                      bbox=tuple(w[1]), details=hit.details))
    return flags


def flag_words(page: int, lines: Lines, lang: str, **options) -> list[Flag]:
    """lines: (line text, line box, [(word, box, confidence[, alternative, alternative
    confidence])]). Every registered rule whose languages include `lang` (Vietnamese rules on
    'vie' pages, English ones on 'eng' pages, the language-neutral ones everywhere).

    ambiguities: path of a Tesseract confusion list (VietOCR's vie.DangAmbigs.txt format); None
    leaves the known-confusion rule off. attested: paths of Vietnamese texts (IWSLT XML, FVDP
    JSON, Wiktionary pairs) whose syllables count as attested; None leaves that rule off. The
    thresholds (low_confidence, very_low_confidence, low_line_confidence,
    alternative_confidence) default to the calibrated module constants.
    """
    return rule_flags(page_context(page, lines, lang, **options))
