"""Typed values that move between pipeline stages.

Data moves one way: file -> pages -> lines/words -> passages -> (alignments -> flags) -> records.
Boxes are pixel coordinates ``(x0, y0, x1, y1)`` on the page image the text was read from
(for text-layer pages: the page rendered at the recorded dpi). All text is NFC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BBox = tuple[int, int, int, int]
TextSource = Literal["ocr", "text_layer", "text_file"]


@dataclass(frozen=True)
class Word:
    text: str
    bbox: BBox
    confidence: float  # 0-100; 100.0 for a text layer
    # Tesseract's strongest runner-up for one character of the word: the word as it would read
    # with that character (None when the characters cannot be lined up) and that character's
    # confidence (0-100; 0.0 when Tesseract considered nothing else, and for a text layer)
    alternative: str | None = None
    alternative_confidence: float = 0.0


@dataclass(frozen=True)
class Line:
    text: str
    bbox: BBox
    confidence: float  # mean of the words' confidences, weighted by characters
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A paragraph rebuilt from consecutive lines of one page."""

    text: str
    bbox: BBox
    first_line: int  # 0-based index into the page's lines, inclusive
    last_line: int  # inclusive


@dataclass(frozen=True)
class Step:
    """One preprocessing step as applied, with the parameters it used."""

    name: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PageText:
    """What the pipeline read from one page."""

    number: int  # 1-based
    text_source: TextSource
    lines: tuple[Line, ...]
    passages: tuple[Passage, ...]
    width: int
    height: int
    dpi: int
    rotation: int = 0  # degrees clockwise applied to make the page upright (0/90/180/270)
    skew: float = 0.0  # degrees of skew measured and removed
    steps: tuple[Step, ...] = ()
    engine: str = ""  # e.g. "tesseract 5.3.0" or "pdfplumber 0.11"
    model: str = ""  # e.g. "vie" / "vie+eng"
    params: dict = field(default_factory=dict)
    mean_confidence: float | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.passages)
