"""OCR accuracy metrics on NFC text: character and word error rates, and diacritics-only errors.

Both sides are NFC-normalised and their whitespace collapsed to single spaces before comparing,
so line breaks and indentation do not count as errors; everything else does (case, punctuation).
Distances are Levenshtein distances from rapidfuzz (characters for CER, whole words for WER).

"Diacritics-only" errors are the character errors that vanish when the marks are stripped from
both sides (every letter reduced to its base letter, đ/Đ to d/D): ``ộ`` read as ``ô`` or ``o`` is
one; ``b`` read as ``h`` is not. Stripping maps each NFC character to at most one character, so
it never makes the distance larger.

Scores add up: sum the ``Score`` of many pages and take the rates of the sum to get
character-weighted figures for a set of pages.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from ingest.align.textprep import strip_marks as _strip_marks


def normalize(text: str) -> str:
    """NFC with all runs of whitespace (line breaks included) collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def strip_marks(text: str) -> str:
    """Every character of NFC ``text`` reduced to its base letter (``Bộ Chính trị`` -> ``Bo Chinh tri``)."""
    return _strip_marks(unicodedata.normalize("NFC", text))


@dataclass(frozen=True)
class Score:
    """Error counts of one reading against its truth; add scores to pool pages."""

    char_errors: int = 0
    ref_chars: int = 0
    word_errors: int = 0
    ref_words: int = 0
    diacritic_errors: int = 0  # character errors that vanish when marks are stripped

    def __add__(self, other: Score) -> Score:
        return Score(*(a + b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple[int, ...]:
        return (self.char_errors, self.ref_chars, self.word_errors, self.ref_words, self.diacritic_errors)

    @property
    def cer(self) -> float:
        return self.char_errors / max(1, self.ref_chars)

    @property
    def wer(self) -> float:
        return self.word_errors / max(1, self.ref_words)

    @property
    def diacritics_only(self) -> float:
        """Share of the character errors that are diacritics only (0 when there are no errors)."""
        return self.diacritic_errors / self.char_errors if self.char_errors else 0.0

    def as_dict(self) -> dict:
        return {"cer": round(self.cer, 5), "wer": round(self.wer, 5), "diacritics_only": round(self.diacritics_only, 4),
                "char_errors": self.char_errors, "ref_chars": self.ref_chars, "word_errors": self.word_errors,
                "ref_words": self.ref_words, "diacritic_errors": self.diacritic_errors}


def score(hyp: str, ref: str) -> Score:
    h, r = normalize(hyp), normalize(ref)
    errors = Levenshtein.distance(h, r)
    plain = Levenshtein.distance(strip_marks(h), strip_marks(r)) if errors else 0
    words = r.split()
    return Score(char_errors=errors, ref_chars=len(r), word_errors=Levenshtein.distance(h.split(), words),
                 ref_words=len(words), diacritic_errors=max(0, errors - plain))


def cer(hyp: str, ref: str) -> float:
    return score(hyp, ref).cer


def wer(hyp: str, ref: str) -> float:
    return score(hyp, ref).wer


def diacritic_share(hyp: str, ref: str) -> float:
    return score(hyp, ref).diacritics_only
