"""After a correction: recompute the document's flags, sentences and alignment in the background,
so the reviewer moves on at once. One at a time, in order; a document corrected again while it
waits is recomputed once."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from ingest.settings import Settings
from storage.review import ReviewRepository

log = logging.getLogger(__name__)


class Reprocessor:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.mode = settings.review_reprocess
        if self.mode not in ("prefect", "direct", "off"):
            raise ValueError(f"review_reprocess must be prefect, direct or off, not {self.mode!r}")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reprocess")
        self._queued: set[int] = set()
        self._lock = threading.Lock()

    def submit(self, document_id: int) -> Future | None:
        if self.mode == "off":
            return None
        with self._lock:
            if document_id in self._queued:
                return None  # the waiting run will read the newest text
            self._queued.add(document_id)
        return self._pool.submit(self._run, document_id)

    def _run(self, document_id: int) -> dict:
        with self._lock:
            self._queued.discard(document_id)  # corrections from now on need another run
        repo = ReviewRepository(self.settings.db_url)
        try:
            if self.mode == "prefect":
                from flows.ingest import reprocess_document

                # flow parameters are kept in Prefect's database: the session key stays out of them
                result = reprocess_document(document_id, ocr=False,
                                            settings=replace(self.settings, review_secret=None))
            else:
                from flows.steps import flag_document, pair_and_align

                result = {"flags": flag_document(document_id, self.settings),
                          "alignments": pair_and_align([document_id], self.settings)}
        except Exception as exc:  # noqa: BLE001 - reported in the audit, the web page goes on
            log.exception("recomputing document %s failed", document_id)
            repo.audit("system", "recompute_failed", document_id=document_id,
                       note=(str(exc).splitlines() or [type(exc).__name__])[0])
            raise
        repo.audit("system", "recomputed", document_id=document_id,
                   note=f"{result.get('flags', 0)} open flags; {len(result.get('alignments') or [])} alignment(s)")
        return result

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
