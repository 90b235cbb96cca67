"""After a correction: recompute the document in the background, so the reviewer moves on at
once. One at a time, in order; a document corrected again while it waits is recomputed once.

What "recompute" does is handed in by the command that starts the web app (flows.app.recompute):
this package does not import the orchestration layer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from storage.review import ReviewRepository

log = logging.getLogger(__name__)


class Reprocessor:
    def __init__(self, repo: ReviewRepository, recompute: Callable[[int], dict] | None):
        self.repo = repo
        self.recompute = recompute
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reprocess")
        self._queued: set[int] = set()
        self._lock = threading.Lock()

    def submit(self, document_id: int) -> Future | None:
        if self.recompute is None:
            return None
        with self._lock:
            if document_id in self._queued:
                return None  # the waiting run will read the newest text
            self._queued.add(document_id)
        return self._pool.submit(self._run, document_id)

    def _run(self, document_id: int) -> dict:
        assert self.recompute is not None, "only submitted when there is a recompute (see submit)"
        with self._lock:
            self._queued.discard(document_id)  # corrections from now on need another run
        try:
            result = self.recompute(document_id) or {}
        except Exception as exc:  # noqa: BLE001 - reported in the audit, the web page goes on
            log.exception("recomputing document %s failed", document_id)
            self.repo.audit("system", "recompute_failed", document_id=document_id,
                            note=(str(exc).splitlines() or [type(exc).__name__])[0])
            raise
        if "flow_run" in result:
            note = f"started flow run {result['flow_run']}"
        else:
            note = f"{result.get('flags', 0)} open flags; {len(result.get('alignments') or [])} alignment(s)"
        self.repo.audit("system", "recomputed", document_id=document_id, note=note)
        return result

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
