"""What every export writer reads: a document's pages, lines and words with their boxes, the
reviewed text placed on them, its record metadata and its aligned sentence pairs.

Plain dataclasses: the writers (one module per format) take these and return bytes; only
`storage.exports.load` reads the database to build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class ExportWord:
    text: str
    bbox: BBox
    confidence: float  # 0-100; 100 for a reviewer's word and for a text layer
    alternative: str | None = None
    alternative_confidence: float = 0.0
    reviewed: bool = False  # the text is a reviewer's, not the OCR's


@dataclass(frozen=True)
class ExportLine:
    bbox: BBox
    words: tuple[ExportWord, ...]
    confidence: float
    number: int  # 0-based on the page (OCR line order)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class ExportPassage:
    number: int  # on its page
    bbox: BBox
    lines: tuple[ExportLine, ...]
    text: str  # reviewed text (or the OCR with raw=True)
    ocr_text: str
    version: int = 0  # 0: the OCR; n: the reviewer's version n applies
    placement: str = "words"  # "words": reviewed words on OCR word boxes; "lines": spread over lines

    @property
    def changed(self) -> bool:
        return self.text != self.ocr_text


@dataclass(frozen=True)
class ExportPage:
    number: int  # 1-based
    width: int
    height: int
    dpi: int
    text_source: str | None  # "ocr" | "text_layer" | "text_file"
    image_key: str | None  # file-store key of the image the boxes are in
    image_kind: str | None  # "preprocessed" | "original" | None (a text file)
    passages: tuple[ExportPassage, ...]
    mean_confidence: float | None = None
    engine: str = ""
    model: str = ""
    steps: tuple[dict, ...] = ()  # preprocessing steps as stored: {"name", "params"}
    original_key: str | None = None

    @property
    def lines(self) -> list[ExportLine]:
        return [ln for p in self.passages for ln in p.lines]

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.passages)


@dataclass(frozen=True)
class SentencePair:
    number: int  # order of the link
    source: str  # original (e.g. Vietnamese) sentences of the link, joined
    target: str  # translation sentences, joined
    score: float
    source_ids: tuple[int, ...] = ()
    target_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ExportSentence:
    number: int
    passage: int  # 0-based passage index in the document
    text: str


@dataclass(frozen=True)
class ExportDocument:
    id: int
    filename: str
    lang: str
    collection: str | None
    metadata: dict  # record fields (title, date, record_id, ...) and extra
    pages: tuple[ExportPage, ...]
    raw: bool = False  # True: the OCR as read, no reviewer's versions
    sha256: str | None = None
    media_type: str | None = None
    original_key: str | None = None  # file-store key of the deposited file's bytes


@dataclass(frozen=True)
class ExportPair:
    """An original and its translation with their sentence-level alignment (TEI, TMX, TSV)."""

    original: ExportDocument
    translation: ExportDocument
    original_sentences: tuple[ExportSentence, ...]
    translation_sentences: tuple[ExportSentence, ...]
    pairs: tuple[SentencePair, ...] = field(default_factory=tuple)
    passage_links: tuple[tuple[tuple[int, ...], tuple[int, ...], float], ...] = ()
    target_kind: str = "human"
