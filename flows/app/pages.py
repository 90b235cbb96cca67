"""Reading a page and storing it with its images: on ingest from the file, on reprocessing from
the stored original image. No Prefect here; bad pages come back as an outcome."""

from __future__ import annotations

import functools
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.pipeline import PageOptions, read_page
from ingest.settings import Settings
from ingest.sources import load_page
from storage.files import FileStore

from .early import take as take_early_read
from .store import open_store


@dataclass(frozen=True)
class PageOutcome:
    document_id: int
    number: int
    ok: bool
    error: str | None = None
    text_source: str | None = None
    mean_confidence: float | None = None
    lines: int = 0
    seconds: float = 0.0
    worker: str = ""  # host:pid that read the page (threads, processes or Dask workers)


def page_options(settings: Settings, lang: str) -> PageOptions:
    return PageOptions(lang=lang, dpi=settings.dpi, ocr_timeout=settings.ocr_timeout,
                       osd_min_confidence=settings.osd_min_confidence, tessdata_dir=settings.tessdata_dir)


def ingest_page(document_id: int, path: str, media_type: str, number: int, lang: str,
                settings: Settings) -> PageOutcome:
    """Read one page and store it with its images. Bad pages come back as an outcome; transient
    failures (TransientError, database busy) raise so the caller may retry."""
    started = time.perf_counter()
    if media_type == "text/plain":
        return _ingest_text_file(document_id, path, settings, started)
    try:
        early = take_early_read(path, media_type, number, lang, settings)  # read while the server started
        if early is not None:
            source, reading = early
        else:
            source = load_page(Path(path), media_type, number, dpi=settings.dpi, max_pixels=settings.max_pixels)
            reading = read_page(source, page_options(settings, lang))
    except IngestError as exc:
        return PageOutcome(document_id, number, ok=False, error=str(exc))
    store = FileStore(settings.files_dir)
    original = _store_original(store, Path(path), media_type, source)
    preprocessed = (store.put_image(reading.preprocessed, bilevel=_two_valued(reading.preprocessed))
                    if reading.preprocessed is not None else None)
    seconds = time.perf_counter() - started
    open_store(settings).documents.save_page(document_id, reading.text, original_image=original,
                                          preprocessed_image=preprocessed, seconds=seconds)
    text = reading.text
    del source, reading  # the page images: freed before the next page is read
    _release_memory()
    return PageOutcome(document_id, number, ok=True, text_source=text.text_source,
                       mean_confidence=text.mean_confidence, lines=len(text.lines),
                       seconds=round(seconds, 3), worker=f"{socket.gethostname()}:{os.getpid()}")


@functools.cache
def _malloc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc


def _release_memory() -> None:
    """Give the page's freed image buffers back to the system. glibc keeps freed heap in per-thread
    arenas, so RSS would otherwise stay at the high-water mark of every page thread."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _store_original(store: FileStore, path: Path, media_type: str, source) -> str:
    """A one-frame image file is kept byte for byte (no re-encoding: about 1 s a page saved);
    pages of PDFs and multi-page TIFFs are stored as PNG."""
    if media_type.startswith("image/") and source.number == 1:
        from PIL import Image

        with Image.open(path) as img:
            if getattr(img, "n_frames", 1) == 1:
                return store.put_file(path)
    image = source.image
    if image.mode == "RGB" and _grey(image):
        # pdfium renders a greyscale scan as RGB: stored as L, the same pixels in a third of the
        # data and half the PNG time (0.16 s against 0.31 s of CPU for an A4 page at 300 dpi)
        image = image.convert("L")
    return store.put_image(image)


def _grey(image) -> bool:
    import numpy as np

    a = np.asarray(image)
    return bool((a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all())  # 0.01 s a page


def _ingest_text_file(document_id: int, path: str, settings: Settings, started: float) -> PageOutcome:
    from ingest.model import PageText
    from ingest.paragraphs import passages_by_blank_lines
    from ingest.sources import text_file_lines

    lines = text_file_lines(Path(path))
    page = PageText(number=1, text_source="text_file", lines=lines, passages=passages_by_blank_lines(lines),
                    width=max((l.bbox[2] for l in lines), default=0), height=max((l.bbox[3] for l in lines), default=0),
                    dpi=0, engine="text file", model="utf-8", mean_confidence=100.0)
    seconds = time.perf_counter() - started
    open_store(settings).documents.save_page(document_id, page, original_image=None, preprocessed_image=None,
                                          seconds=seconds)
    return PageOutcome(document_id, 1, ok=True, text_source="text_file", mean_confidence=100.0,
                       lines=len(lines), seconds=round(seconds, 3), worker=f"{socket.gethostname()}:{os.getpid()}")


def _two_valued(image) -> bool:
    import numpy as np

    return np.unique(image[::7, ::7]).size <= 2


def reprocess_page(document_id: int, number: int, lang: str, settings: Settings) -> PageOutcome:
    """Read a stored page again from its stored original image (the scan may have moved on)."""
    from io import BytesIO

    from PIL import Image

    from ingest.pipeline import ocr_page

    repo = open_store(settings).documents
    doc = repo.get_document(document_id)
    page = next((p for p in doc.pages if p.number == number), None) if doc else None
    if page is None or not page.original_image:
        return PageOutcome(document_id, number, ok=False, error=f"page {number}: no stored image")
    if page.text_source == "text_layer":
        return PageOutcome(document_id, number, ok=True, text_source="text_layer", mean_confidence=100.0)
    started = time.perf_counter()
    store = FileStore(settings.files_dir)
    image = Image.open(BytesIO(store.read_bytes(page.original_image)))
    reading = ocr_page(image, number=number, file_dpi=page.dpi, options=page_options(settings, lang))
    assert reading.preprocessed is not None, "an OCR'd page (not a text layer) has its preprocessed image"
    preprocessed = store.put_image(reading.preprocessed, bilevel=_two_valued(reading.preprocessed))
    seconds = time.perf_counter() - started
    repo.save_page(document_id, reading.text, original_image=page.original_image,
                   preprocessed_image=preprocessed, seconds=seconds)
    return PageOutcome(document_id, number, ok=True, text_source="ocr",
                       mean_confidence=reading.text.mean_confidence, lines=len(reading.text.lines),
                       seconds=round(seconds, 3))
