"""After a reviewer's correction: recompute the document's flags, sentences and alignment.

The web process never starts Prefect itself (an embedded server took 98 s and slowed every page
to 3-20 s): with a Prefect server configured (PREFECT_API_URL) the `reprocess-document`
deployment is started and not waited for; without one the review page's worker thread has the
same steps run, without Prefect, in a child process. `review serve` hands the chosen callable to
the web app.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from enum import StrEnum

from ingest.settings import Settings

DEPLOYMENT = "reprocess-document/reprocess-document"


class RecomputeMode(StrEnum):
    PREFECT = "prefect"  # the deployment when a server is configured, else the steps directly
    DIRECT = "direct"  # always the steps, without Prefect
    OFF = "off"


def recompute_directly(document_id: int, settings: Settings) -> dict:
    """The steps of `reprocess_document(ocr=False)` without Prefect: flags, then alignment."""
    from flows.app.pairing import pair_and_align
    from flows.app.steps import flag_document

    return {"flags": flag_document(document_id, settings), "alignments": pair_and_align([document_id], settings)}


CHILD_NICENESS = 10  # the recompute child yields the CPU to the page's requests (see _lower_priority)

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    """The child's initializer: a recompute costs seconds of CPU against tens of ms for a page, and
    at the same priority it ran 217 recomputes in 45 s of bench.review_bench (8.1 s of CPU); at nice 10
    (Linux gives it about a tenth of a nice-0 task's share) more saves wait for, and join, one run:
    65 recomputes, 3.7 s, and the page's p95 went from 469 to 310 ms at load 11 on 2 cores. A page
    request itself costs 5-17 ms of CPU (bench.review_cpu)."""
    try:
        os.nice(CHILD_NICENESS)
    except OSError:  # not permitted here: the recompute still runs, at the normal priority
        pass


def _child_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_lower_priority)
            atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
        return _pool


class Coalescer:
    """Recompute calls for one document coalesce: while a run of it waits to start, a new call
    joins that run (the run reads the text as it is when it starts, so it covers every correction
    saved before); a run already started is followed by at most one more. N saves of a document
    during one recompute thus cost 2 recomputes, not N+1."""

    def __init__(self, run: Callable[[int], Future]):
        self._run = run  # starts the recompute of a document; its Future gives the result
        self._lock = threading.Lock()
        self._waiting: dict[int, Future] = {}  # not started yet: new calls join these
        self._running: dict[int, Future] = {}

    def __call__(self, document_id: int) -> dict:
        return self.submit(document_id).result()

    def submit(self, document_id: int) -> Future:
        with self._lock:
            waiting = self._waiting.get(document_id)
            if waiting is not None:
                return waiting
            mine: Future = Future()
            self._waiting[document_id] = mine
            before = self._running.get(document_id)
        if before is not None:  # one run at a time per document: this one starts when it ends
            before.add_done_callback(lambda _: self._start(document_id, mine))
        else:
            self._start(document_id, mine)
        return mine

    def _start(self, document_id: int, mine: Future) -> None:
        with self._lock:
            self._waiting.pop(document_id, None)
            self._running[document_id] = mine
        if not mine.set_running_or_notify_cancel():
            self._finish(document_id, mine)
            return
        try:
            inner = self._run(document_id)
        except BaseException as exc:  # noqa: BLE001 - handed to every caller of this run
            mine.set_exception(exc)
            self._finish(document_id, mine)
            return
        inner.add_done_callback(lambda f: self._settle(document_id, mine, f))

    def _settle(self, document_id: int, mine: Future, inner: Future) -> None:
        exc = inner.exception()
        if exc is not None:
            mine.set_exception(exc)
        else:
            mine.set_result(inner.result())
        self._finish(document_id, mine)

    def _finish(self, document_id: int, mine: Future) -> None:
        with self._lock:
            if self._running.get(document_id) is mine:
                del self._running[document_id]


def recompute_in_child(document_id: int, settings: Settings) -> dict:
    """The same steps in a child process (one, kept): the web process's threads then never wait
    for the recompute's Python work (the GIL), only for its database writes."""
    return _child_pool().submit(recompute_directly, document_id, settings).result()


def child_recompute(settings: Settings) -> Coalescer:
    """Recompute in the child process, calls for the same document coalesced."""
    return Coalescer(lambda document_id: _child_pool().submit(recompute_directly, document_id, settings))


def start_deployment(document_id: int) -> dict:
    """Start a `reprocess-document` run on the configured server; return at once (timeout=0)."""
    from flows.runtime import configure_prefect

    configure_prefect()
    from prefect.deployments import run_deployment

    run = run_deployment(DEPLOYMENT, parameters={"document_id": document_id, "ocr": False}, timeout=0)
    # run_deployment is typed sync-or-async (Prefect's sync_compatible); called from sync code it returns a FlowRun
    return {"flow_run": str(run.id), "flags": "pending", "alignments": []}  # type: ignore[union-attr]


def recompute_callable(settings: Settings, environ=os.environ) -> tuple[Callable[[int], dict] | None, str]:
    """The recompute the review page should use, and a one-line description of it."""
    mode = RecomputeMode(settings.review_reprocess)
    if mode is RecomputeMode.OFF:
        return None, "off"
    if mode is RecomputeMode.PREFECT and environ.get("PREFECT_API_URL"):
        return start_deployment, f"deployment {DEPLOYMENT} on {environ['PREFECT_API_URL']}"
    return child_recompute(settings), "worker thread and child process (no Prefect)"
