"""Several readings of one page and the one kept: Tesseract's word confidences and the share of the
words a lexicon knows. Pure functions over lines of words; the pipeline decides what to read.

Lexicons are what the project already has: pyspellchecker's bundled word lists (English, German,
French, Russian, Spanish...), Vietnamese syllable validity (ingest.vn_orthography); for a language
without either (Czech, Danish), the share of words shaped like words (letters of one case pattern,
no digits or symbols inside), which is what a collapsed reading lacks.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from .model import Line, Word
from .text import EDGE_PUNCTUATION as _EDGE

# pyspellchecker's bundled dictionaries, by Tesseract model name
SPELLCHECKER = {"eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por": "pt", "nld": "nl",
                "rus": "ru", "lav": "lv", "eus": "eu", "ara": "ar", "fas": "fa"}
_WORDLIKE = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")
_NUMBER = re.compile(r"^[\d.,:/%-]+$")


@dataclass(frozen=True)
class Reading:
    """One way of reading a page, scored."""

    name: str  # "first" (the pipeline's preprocessed page), "psm6", "raw" (Tesseract on the original)
    psm: int
    lines: tuple[Line, ...]
    confidence: float  # mean word confidence, weighted by characters (0 when nothing was read)
    known: float  # share of the words' characters in words the lexicon knows (0-1)

    score: float  # characters of known words weighted by their confidence (0-1): about the characters read right


    def summary(self) -> dict:
        words = sum(len(line.words) for line in self.lines)
        return {"name": self.name, "psm": self.psm, "confidence": round(self.confidence, 1),
                "known": round(self.known, 3), "score": self.score, "words": words}


def make_reading(name: str, psm: int, lines: tuple[Line, ...], lang: str) -> Reading:
    """Scored so that readings of one page compare: a reading that drops half the page (czech/009
    at psm 4: 248 words of about 600, confidence 77) loses to one that reads it all, and a collapsed
    reading (few known words, low confidences) loses to a sound one."""
    words = [w for line in lines for w in line.words]
    chars = sum(len(w.text) for w in words)
    checks = [_checker(part) for part in lang.split("+")]
    known = [_known(w.text, checks) for w in words]
    conf = sum(w.confidence * len(w.text) for w in words) / chars if chars else 0.0
    share = sum(len(w.text) for w, k in zip(words, known, strict=False) if k) / chars if chars else 0.0
    score = sum(len(w.text) * w.confidence / 100 for w, k in zip(words, known, strict=False) if k)
    return Reading(name, psm, lines, conf, share, round(score, 1))


def _known(token: str, checks) -> bool:
    core = token.strip(_EDGE)
    if not core:
        return True  # punctuation alone: a dash, a quote
    if _NUMBER.match(core):
        return True
    return any(check(core) for check in checks)


@functools.cache
def _checker(model: str):
    if model == "vie":
        from ingest.vn_orthography import is_valid_syllable

        return lambda core: _WORDLIKE.match(core) is not None and (
            all(is_valid_syllable(p) for p in re.split(r"[-'’]", core)) or core.isascii() and _shaped(core))
    if model in SPELLCHECKER:
        from spellchecker import SpellChecker

        words = SpellChecker(language=SPELLCHECKER[model], distance=1).word_frequency
        # names and sentence starts are capitalised: look up the lower case, accept capitalised unknowns
        return lambda core: _shaped(core) and (core.lower() in words or (core[0].isupper() and len(core) > 3))
    return _shaped


def _shaped(core: str) -> bool:
    """A word's shape: letters only (hyphen or apostrophe inside), lower, Capitalised or UPPER case."""
    if not _WORDLIKE.match(core):
        return False
    letters = core.replace("-", "").replace("'", "").replace("’", "")
    return letters.islower() or letters.isupper() or (letters[0].isupper() and letters[1:].islower())


def map_boxes(lines: tuple[Line, ...], matrix: np.ndarray, size: tuple[int, int]) -> tuple[Line, ...]:
    """Lines with every word box carried by a 2x3 affine ``matrix`` (the box of its four mapped
    corners, clipped to ``size`` = (width, height)): boxes read on another scale or skew put back
    in the coordinates of the stored image."""
    from .ocr import make_line

    w, h = size

    def carry(box):
        x0, y0, x1, y1 = box
        pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64) @ matrix.T
        nx0, ny0 = np.floor(pts.min(axis=0)).astype(int)
        nx1, ny1 = np.ceil(pts.max(axis=0)).astype(int)
        return (int(min(max(nx0, 0), w)), int(min(max(ny0, 0), h)), int(min(max(nx1, 0), w)), int(min(max(ny1, 0), h)))

    out = []
    for line in lines:
        words = [Word(text=wd.text, bbox=carry(wd.bbox), confidence=wd.confidence, alternative=wd.alternative,
                      alternative_confidence=wd.alternative_confidence) for wd in line.words]
        out.append(make_line(words))
    return tuple(out)


def ink_coverage(binary: np.ndarray, lines: tuple[Line, ...]) -> float | None:
    """Share of the page's glyph-sized ink components whose centre lies in a word box read: a
    reading that skipped part of the text (or read it as one garbled block) leaves ink uncovered.
    None on a page without glyph-sized ink."""
    import cv2

    from .preprocess import ink_components

    n, _, stats, centroids = ink_components(255 - binary)  # 16-bit labels: a third of the CPU
    if n <= 1:
        return None
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    area = stats[1:, cv2.CC_STAT_AREA]
    glyph = (area >= 12) & (h >= 8) & (h <= 120) & (w <= 4 * h) & (h <= 8 * w)
    if glyph.sum() < 50:
        return None
    mask = np.zeros(binary.shape, dtype=np.uint8)
    for line in lines:
        for word in line.words:
            x0, y0, x1, y1 = word.bbox
            mask[max(0, y0 - 4):y1 + 5, max(0, x0 - 4):x1 + 5] = 1
    cx = np.clip(centroids[1:, 0].astype(int), 0, binary.shape[1] - 1)[glyph]
    cy = np.clip(centroids[1:, 1].astype(int), 0, binary.shape[0] - 1)[glyph]
    return float(mask[cy, cx].mean())
