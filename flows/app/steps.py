"""The units of work that tasks wrap, tying ingest stages to storage. No Prefect here.

They take and return small values (ids, paths, numbers), never page images, so a task can run
in a thread, a process or on a Dask worker alike.
"""

from __future__ import annotations

import functools
import os
import socket
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.errors import IngestError
from ingest.pipeline import PageOptions, read_page
from ingest.settings import Settings, secret
from ingest.sources import SYMLINK_REASON, PageLimits, inspect_document, load_page, sha256_file
from storage.files import FileStore

from .store import open_store


@dataclass(frozen=True)
class FileJob:
    """One file to ingest, with what the command line or manifest says about it."""

    path: str
    collection: str | None = None
    lang: str | None = None
    metadata: dict = field(default_factory=dict)
    missing_reason: str | None = None  # set when the manifest names a file that is not there


@dataclass(frozen=True)
class DocumentPlan:
    path: str
    document_id: int | None
    state: str  # "new" | "resume" | "duplicate" | "quarantined" | "busy" | "twin"
    media_type: str | None = None
    page_count: int = 0
    pages_todo: tuple[int, ...] = ()
    error: str | None = None


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


def page_limits(settings: Settings) -> PageLimits:
    return PageLimits(max_pixels=settings.max_pixels, max_pages=settings.max_pages,
                      max_stream_bytes=settings.max_stream_bytes, min_render_dpi=settings.min_render_dpi,
                      dpi=settings.dpi, max_pixels_per_byte=settings.max_pixels_per_byte)


def prepare_document(job: FileJob, settings: Settings, run_id: int | None) -> DocumentPlan:
    """Register a file by content and plan its pages; bad input is quarantined here."""
    repo = open_store(settings).documents
    path = Path(job.path)
    lang = job.lang or settings.lang
    if not settings.follow_symlinks and path.is_symlink() and not job.missing_reason:
        job = replace(job, missing_reason=SYMLINK_REASON)
    if job.missing_reason or not path.is_file():
        reason = job.missing_reason or ("is a directory, not a file" if path.is_dir() else "file not found")
        doc_id = repo.quarantine_unread(source_path=str(path), filename=path.name, reason=reason,
                                        collection=job.collection, lang=lang, run_id=run_id)
        return DocumentPlan(job.path, doc_id, "quarantined", error=reason)
    try:
        digest = sha256_file(path)
    except OSError as exc:
        reason = f"cannot read file: {exc.strerror or exc}"
        doc_id = repo.quarantine_unread(source_path=str(path), filename=path.name, reason=reason,
                                        collection=job.collection, lang=lang, run_id=run_id)
        return DocumentPlan(job.path, doc_id, "quarantined", error=reason)
    claim = repo.claim(sha256=digest, source_path=str(path.resolve()), filename=path.name,
                       size_bytes=path.stat().st_size, collection=job.collection, lang=lang, run_id=run_id)
    if claim.state == "duplicate":
        return DocumentPlan(job.path, claim.document_id, "duplicate")
    if claim.state == "same-run":  # another file of this batch has the same bytes: read once
        return DocumentPlan(job.path, claim.document_id, "twin")
    if claim.state == "busy":  # the same bytes are being read by another run right now
        return DocumentPlan(job.path, claim.document_id, "busy", error="being ingested by another run right now")
    try:
        from .originals import keep_original

        keep_original(open_store(settings), claim.document_id, path, digest)  # the deposit, byte for byte
        repo.set_record(claim.document_id, job.metadata)
        info = inspect_document(path, settings.max_pixels, limits=page_limits(settings))
    except IngestError as exc:
        repo.quarantine(claim.document_id, str(exc))
        return DocumentPlan(job.path, claim.document_id, "quarantined", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. the database refused a metadata value
        from .batch import quarantine_after_fault

        reason = quarantine_after_fault(claim.document_id, exc, settings)
        return DocumentPlan(job.path, claim.document_id, "quarantined", error=reason)
    done = repo.plan(claim.document_id, media_type=info.media_type, page_count=info.page_count)
    todo = tuple(n for n in range(1, info.page_count + 1) if n not in done)
    return DocumentPlan(job.path, claim.document_id, claim.state, info.media_type, info.page_count, todo)


def ingest_page(document_id: int, path: str, media_type: str, number: int, lang: str,
                settings: Settings) -> PageOutcome:
    """Read one page and store it with its images. Bad pages come back as an outcome; transient
    failures (TransientError, database busy) raise so the caller may retry."""
    started = time.perf_counter()
    if media_type == "text/plain":
        return _ingest_text_file(document_id, path, settings, started)
    try:
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


def finish_document(plan: DocumentPlan, outcomes: list[PageOutcome], settings: Settings) -> str | None:
    """Stored when every page is; otherwise quarantined with the first page's reason."""
    assert plan.document_id is not None, "only a plan with a document is finished"
    repo = open_store(settings).documents
    failed = sorted((o for o in outcomes if not o.ok), key=lambda o: o.number)
    if failed:
        first = failed[0].error or "page failed"
        reason = first if first.startswith("page ") else f"page {failed[0].number}: {first}"
        if len(failed) > 1:
            reason += f" (and {len(failed) - 1} more page(s))"
        repo.quarantine(plan.document_id, reason)
        return reason
    repo.mark_stored(plan.document_id)
    flag_document(plan.document_id, settings)
    return None


def flag_document(document_id: int, settings: Settings) -> int:
    """Run the page rules over a stored document's words and store the flags."""
    from qa.flags import flag_page
    from storage.review import reviewed_lines

    repo = open_store(settings).documents
    doc = repo.get_document(document_id)
    with repo.sessions() as s:
        reviewed = reviewed_lines(s, document_id)  # a reviewer's text replaces the OCR there
    flags = []
    for number, source, lines in repo.iter_page_words(document_id):
        if source != "ocr":
            continue
        skip = reviewed.get(number, [])
        found = flag_page(number, lines, (doc.lang if doc is not None else None) or settings.lang,
                          ambiguities=settings.confusions_path,
                          attested=settings.attested_paths or None)
        flags += [f for f in found if not any(a <= (f.line_number or 0) <= b for a, b in skip)]
    return open_store(settings).flags.replace(document_id, flags, scope="page")


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


def align_pair(original_id: int, translation_id: int, settings: Settings, *, translator=None) -> dict:
    """Align a stored original with its stored translation, passages then sentences, and store
    sentences (with offsets into their passages) and links for both levels. translator: the run's
    (its character budget and back-off span the run); by default one for this pair."""
    from ingest.align import METHOD, VERSION, align_documents
    from ingest.align.lexicon import load_lexicon

    repo = open_store(settings).alignments
    src, tgt = repo.passages(original_id), repo.passages(translation_id)
    lexicon = load_lexicon(settings.lexicon_paths)
    mt = None
    translator = translator or _translator(settings, repo)
    if translator is not None:  # MT as an alignment signal when a provider is configured
        outcome = translator.translate([text for _, _, text in src])
        if outcome.status == "done":
            mt = [t or "" for t in outcome.texts]
    doc = align_documents([t for _, _, t in src], [t for _, _, t in tgt], lexicon=lexicon, mt_passages=mt)
    for document_id, passages, sentences in ((original_id, src, doc.source_sentences),
                                             (translation_id, tgt, doc.target_sentences)):
        repo.save_sentences(document_id, [
            {"number": k, "passage": p, "page_number": passages[p][0], "passage_number": passages[p][1],
             "start": sent.start, "end": sent.end, "text": sent.text} for k, (p, sent) in enumerate(sentences)])
    repo.save_alignment(original_id, translation_id, {"passage": doc.passages, "sentence": doc.sentences},
                        method=METHOD + ("+mt" if mt else ""), version=VERSION)
    from qa.flags import flag_links

    link_flags = flag_links([(list(l.source), list(l.target), l.score) for l in doc.sentences],
                            [sent.text for _, sent in doc.source_sentences],
                            [sent.text for _, sent in doc.target_sentences])
    if mt:  # a provider is configured: where machine and human translation disagree, a reviewer looks
        from qa.flags import flag_mt_disagreement

        places = repo.passage_places(original_id)
        link_flags += flag_mt_disagreement([(list(l.source), list(l.target)) for l in doc.passages], mt,
                                           [t for _, _, t in tgt], places)
    open_store(settings).flags.replace(original_id, link_flags, scope="link", target_document_id=translation_id)
    return {"original": original_id, "translation": translation_id, "passage_links": len(doc.passages),
            "sentence_links": len(doc.sentences)}


def _translator(settings: Settings, cache):
    if settings.translation_provider == "none":
        return None
    from ingest.translate import TranslationConfig, Translator

    return Translator(TranslationConfig(provider=settings.translation_provider, url=settings.translation_url,
                                        api_key=secret(settings.translation_api_key),
                                        char_budget=settings.translation_char_budget), cache)


def pair_and_align(document_ids: list[int], settings: Settings) -> list[dict]:
    """After a batch: align every original-translation pair a new document completes; an original
    with no human translation gets a machine draft if a provider is configured, else waits as
    'translation pending'."""

    repo = open_store(settings).alignments
    translator = _translator(settings, repo)  # one for the run: its budget is the run's
    done: set[tuple[int, int]] = set()
    results = []
    for doc_id in document_ids:
        pairs = repo.pairs_for(doc_id)
        for pair in pairs:
            if pair not in done:
                done.add(pair)
                results.append(align_pair(*pair, settings, translator=translator))
        if not pairs and not repo.is_translation(doc_id):
            results.append(machine_draft(doc_id, settings, translator=translator))
    return results


def machine_draft(document_id: int, settings: Settings, *, translator=None) -> dict:
    """An MT draft of an original that has no human translation (stored in the MT cache, marked
    machine-made); with no provider, or the provider down, the document is 'translation pending'."""

    repo = open_store(settings).alignments
    translator = translator or _translator(settings, repo)
    if translator is None:
        repo.set_translation_status(document_id, "pending")
        return {"original": document_id, "translation": None, "status": "pending"}
    outcome = translator.translate([text for _, _, text in repo.passages(document_id)])
    status = "machine" if outcome.status == "done" else "pending"
    repo.set_translation_status(document_id, status)
    return {"original": document_id, "translation": None, "status": status, "error": outcome.error}
