"""Does a differently marked syllable fit the neighbours much better than the one read? A smoothed
bigram model of the attested Vietnamese texts (IWSLT dev2010, FVDP, Wiktionary), for the misreadings
no other rule sees: a diacritic read as another one, making another real syllable, at high
confidence ("chỉnh" for "chính", "vi" for "vì", "khói" for "khỏi").

The score of a syllable v between neighbours p and n is log P(v | p) + log P(n | v) - log P(n),
each bigram probability interpolated with the unigram one (P(b | a) = (c(a, b) + BETA P(b)) /
(c(a) + BETA), P(b) add-half smoothed). The gain of a word with no attested pair beside it is the
best score among its one-mark variants (attested syllables with the same letters, the tone or one
letter's mark changed: mark_changes) minus its own. On the calibration pages, variants of any number
of marks mostly flagged correct common words ("tới" for "tôi", "mỗi" for "mọi").
"""

from __future__ import annotations

import math
import unicodedata

from ingest.vn_orthography import split_tone

# Weight of the unigram prior in each bigram estimate. On the calibration pages (pagegen seed 7) the
# refitted decision's out-of-fold precision at 92.5% recall was 0.75 for 0.5, 1 and 2, 0.74 for 4 and 8.
BETA = 2.0
_LEFT: dict[int, tuple[dict[str, int], int, int]] = {}


def _left(known) -> tuple[dict[str, int], int, int]:
    """(occurrences of each syllable as the first of a pair, all occurrences, distinct syllables),
    once per Attested object (load_attested caches those)."""
    got = _LEFT.get(id(known))
    if got is None or got[2] != len(known.syllables):
        left: dict[str, int] = {}
        for (a, _), n in known.pairs.items():
            left[a] = left.get(a, 0) + n
        got = (left, sum(known.syllables.values()), len(known.syllables))
        _LEFT[id(known)] = got
    return got


def _logp(known, a: str | None, b: str) -> float:
    left, total, distinct = _left(known)
    unigram = (known.syllables.get(b, 0) + 0.5) / (total + 0.5 * distinct)
    if a is None:
        return math.log(unigram)
    return math.log((known.pairs.get((a, b), 0) + BETA * unigram) / (left.get(a, 0) + BETA))


def fit_score(known, key: str, around: tuple[str | None, str | None]) -> float:
    """log-probability of the syllable `key` between its neighbours (None: none in the phrase),
    relative to the right neighbour alone."""
    before, after = around
    s = _logp(known, before, key)
    if after:
        s += _logp(known, key, after) - _logp(known, None, after)
    return s


def context_gain(known, key: str, around: tuple[str | None, str | None]) -> tuple[str | None, float, int]:
    """(the variant that fits the neighbours best, how much better than `key` in natural log
    units, its attested pairs with the neighbours), counted only when `key` itself has no attested
    pair with either neighbour; (None, 0, 0) otherwise, or when no variant fits better or the word
    has no neighbour in its phrase."""
    if around == (None, None) or known.support(key, around)[0]:
        return None, 0.0, 0
    base = fit_score(known, key, around)
    best, gain = None, 0.0
    for v in known.variants(key):
        if mark_changes(key, v) != 1:
            continue
        d = fit_score(known, v, around) - base
        if d > gain:
            best, gain = v, d
    return best, gain, known.support(best, around)[0] if best else 0


def _letters(base: str) -> list[str]:
    """Each letter of a toneless syllable with its own marks (â, ơ, đ), as NFD clusters."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", base):
        if out and unicodedata.combining(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def mark_changes(a: str, b: str) -> int:
    """How many marks differ between two syllables with the same letters: the tone counts one,
    each letter whose own mark differs (a/â/ă, o/ô/ơ, u/ư, e/ê, d/đ) one. Tesseract's misreadings
    on the calibration pages changed one mark ("vi" for "vì", "khói" for "khỏi", "dề" for "đề");
    correct words whose two-mark variant fitted better were common words ("tới"/"tôi", "cửa"/"của")."""
    (ba, ta), (bb, tb) = split_tone(a), split_tone(b)
    la, lb = _letters(ba), _letters(bb)
    if len(la) != len(lb):
        return len(la) + len(lb)
    return int(ta != tb) + sum(x != y for x, y in zip(la, lb, strict=True))
