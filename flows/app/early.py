"""The first page read while the local Prefect server starts: a first command otherwise waits for
the server to answer before its flow even opens the page.

Measured on a fresh HOME (load 3): the job was forked 4.9 s after the command started, the server
answered at 8.5 s, and Tesseract started only at 11.4 s (the flow run, the planning task, loading
and preprocessing the page came after the wait). Reading needs no API: decoding, preprocessing and
Tesseract (about 1.3 s on an idle core) happen here, in a thread, while the server boots on the
other core; the page task then takes the reading instead of doing it again.

Only the first page of the first file, only while the server is starting (a second command has
nothing to wait for), and only if the file is still the same one when the task asks (size, mtime
and inode, which the task's own reading would also see). The ingest-file task still decides whether
the page is read at all (a duplicate's early reading is dropped unused: one page of wasted work
on a first command). Any error here is left to the task, which reads the page again and reports it.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from pathlib import Path

from ingest.settings import Settings

from .jobs import FileJob

_lock = threading.Lock()
_reads: dict[tuple, Future] = {}


def _identity(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def _key(path: str, media_type: str, number: int, lang: str, settings: Settings) -> tuple:
    from .pages import page_options

    return (os.path.abspath(path), media_type, number, page_options(settings, lang), settings.max_pixels)


def start(jobs: list[FileJob], settings: Settings) -> None:
    """Read page 1 of the first readable file in a background thread."""
    job = next((j for j in jobs if not j.error), None)
    if job is None:
        return
    path = Path(job.path)
    if (path.is_symlink() and not settings.follow_symlinks) or not path.is_file():
        return
    threading.Thread(target=_read, args=(job, settings), name="early-read", daemon=True).start()


def _read(job: FileJob, settings: Settings) -> None:
    from ingest.pipeline import read_page
    from ingest.sources import inspect_document, load_page

    from .pages import page_options
    from .steps import page_limits

    future: Future = Future()
    try:
        path = Path(job.path)
        before = _identity(path)
        # the same checks the ingest-file task makes before any page is decoded (sizes, page counts)
        info = inspect_document(path, settings.max_pixels, limits=page_limits(settings))
        if info.media_type == "text/plain":
            return
        lang = job.lang or settings.lang
        key = _key(job.path, info.media_type, 1, lang, settings)
        with _lock:
            _reads[key] = future
        future.set_running_or_notify_cancel()
        source = load_page(path, info.media_type, 1, dpi=settings.dpi, max_pixels=settings.max_pixels)
        reading = read_page(source, page_options(settings, lang))
        future.set_result((before, source, reading))
    except BaseException:  # noqa: BLE001 - the page task reads again and reports any error itself
        future.set_result(None)


def take(path: str, media_type: str, number: int, lang: str, settings: Settings):
    """(source, reading) of this page if it was read early and the file is unchanged, else None.
    Waits for a reading still under way (reading it again would only compete for the core)."""
    if not _reads:
        return None
    with _lock:
        future = _reads.pop(_key(path, media_type, number, lang, settings), None)
    if future is None:
        return None
    result = future.result()
    if result is None:
        return None
    before, source, reading = result
    try:
        if _identity(Path(path)) != before:
            return None
    except OSError:
        return None
    return source, reading
