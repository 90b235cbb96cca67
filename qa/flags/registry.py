"""The page-rule registry: one function per rule, with its name, severity, level and languages.

A rule is registered with the `rule` decorator. A word rule reads `(PageContext, line, word)`, a
line rule `(PageContext, line)`; each returns a `Hit` (the evidence) or None, and the page loop
(qa.flags.page) turns hits into flags with the rule's name, level and severity.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ingest.vn_orthography import PUNCTUATION as EDGE
from ingest.vn_orthography import is_valid_syllable

from ..spelling import SENTENCE_END, unknown_words

# The order rules run in, so the order in which a word's flags are listed: each registered rule
# must be named here (a misspelt name fails at import).
ORDER = ("garbage", "low_line_confidence",
         "low_confidence", "close_alternative", "mixed_script", "unknown_word", "digit_in_word",
         "odd_character", "mixed_case", "lowercase_sentence", "unexpected_capital", "invalid_syllable",
         "known_confusion", "unattested_syllable", "diacritic_suspect", "context_variant")


@dataclass(frozen=True)
class Hit:
    """What a rule found: the evidence a reviewer reads, its details, and a severity when it is not
    the rule's own (low_confidence is 'high' below the very-low threshold)."""
    evidence: str
    details: dict = field(default_factory=dict)
    severity: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str  # low | medium | high: the severity of its flags unless a Hit says otherwise
    level: str  # word | line
    languages: tuple[str, ...] | None  # ISO 639-2 prefixes ("vie", "eng"); None: every language
    check: Callable[..., Hit | None]
    doc: str = ""

    def applies(self, lang: str) -> bool:
        return self.languages is None or any(lang.startswith(p) for p in self.languages)


_RULES: dict[str, Rule] = {}


def rule(name: str, severity: str, level: str, languages: tuple[str, ...] | None = None):
    """Register the decorated function as the rule `name`."""
    if name not in ORDER:
        raise ValueError(f"rule {name!r} is not in qa.flags.registry.ORDER")
    if level not in ("word", "line"):
        raise ValueError(f"rule {name!r}: level must be word or line, not {level!r}")

    def register(fn: Callable[..., Hit | None]) -> Callable[..., Hit | None]:
        if name in _RULES:
            raise ValueError(f"rule {name!r} registered twice")
        _RULES[name] = Rule(name, severity, level, languages, fn, (fn.__doc__ or "").strip().split("\n")[0])
        return fn
    return register


def rules(lang: str | None = None, level: str | None = None) -> list[Rule]:
    """The registered rules in ORDER, those for `lang` and `level` when given."""
    out = sorted(_RULES.values(), key=lambda r: ORDER.index(r.name))
    return [r for r in out if (lang is None or r.applies(lang)) and (level is None or r.level == level)]


@dataclass
class Thresholds:
    low: float
    very_low: float
    line_low: float
    alternative: float


class WordView:
    """One word as the rules read it: text NFC, its core (edge punctuation off), box, confidence."""

    def __init__(self, word: tuple, ctx: PageContext) -> None:
        self.token = unicodedata.normalize("NFC", word[0])
        self.core = self.token.strip(EDGE)
        self.box = tuple(word[1])
        self.conf = float(word[2])
        self._ctx = ctx

    @cached_property
    def valid(self) -> bool:
        """A well-formed Vietnamese syllable."""
        return self.core.isalpha() and is_valid_syllable(self.core)

    @cached_property
    def foreign(self) -> bool:
        """A foreign word read well, expected in Vietnamese text (names, "online", "game")."""
        core = self.core
        return (core.isascii() and self.conf >= self._ctx.thresholds.low
                and (core[:1].isupper() or not unknown_words([(core, False)])))


@dataclass
class PageContext:
    """What the rules of one page share: its lines, language, resources and derived facts."""
    page: int
    lang: str
    lines: list[tuple[str, tuple, list[tuple]]]  # words as (text, box, confidence)
    thresholds: Thresholds
    alternatives: dict[tuple[int, int], tuple[str | None, float]]
    confusions: tuple = ()
    known: Any = None  # ingest.vn_orthography.Attested, or None
    views: list[list[WordView]] = field(default_factory=list)
    gains: dict[tuple[int, int], tuple[str | None, float, int]] = field(default_factory=dict)  # qa.flags.context

    def __post_init__(self) -> None:
        self.vie, self.eng = self.lang.startswith("vie"), self.lang.startswith("eng")
        self.views = [[WordView(w, self) for w in words] for _, _, words in self.lines]
        self.starts = _sentence_starts(self.lines)
        firsts = [words[0][0].strip(EDGE)[:1] for _, _, words in self.lines if words and words[0][0].strip(EDGE)]
        self.verse = sum(f.isupper() for f in firsts) * 2 > len(firsts)  # verse, lists: lines start capitalised
        self._flat = [w[0] for _, _, words in self.lines for w in words]
        self._offsets = [0]
        for _, _, words in self.lines:
            self._offsets.append(self._offsets[-1] + len(words))
        self._unknown: dict[int, set[int]] = {}

    def word(self, ln: int, wn: int) -> WordView:
        return self.views[ln][wn]

    def words(self, ln: int) -> list[tuple]:
        return self.lines[ln][2]

    def prev_word(self, ln: int, wn: int) -> str:
        """The word before (across line ends), NFC; "" at the start of the page."""
        k = self._offsets[ln] + wn
        return unicodedata.normalize("NFC", self._flat[k - 1]) if k else ""

    def unknown(self, ln: int) -> set[int]:
        """Word numbers of line ln not in the English dictionary (sentence starts known)."""
        if ln not in self._unknown:
            self._unknown[ln] = unknown_words([(w[0], self.starts[ln][k]) for k, w in enumerate(self.lines[ln][2])])
        return self._unknown[ln]

    @cached_property
    def neighbours(self) -> dict[tuple[int, int], tuple[str | None, str | None]]:
        from .likely import neighbours

        return neighbours(self.lines) if self.known is not None else {}


def _sentence_starts(lines) -> list[list[bool]]:
    """Does each word start a sentence? (first word of the page, or after . ! ? :)"""
    out, start = [], True
    for _, _, words in lines:
        row = []
        for w in words:
            row.append(start)
            start = w[0].rstrip("\"')]}»”’").endswith(SENTENCE_END)
        out.append(row)
    return out
