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
from concurrent.futures import ProcessPoolExecutor
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


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def recompute_in_child(document_id: int, settings: Settings) -> dict:
    """The same steps in a child process (one, kept): the web process's threads then never wait
    for the recompute's Python work (the GIL), only for its database writes."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool.submit(recompute_directly, document_id, settings).result()


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
    return ((lambda document_id: recompute_in_child(document_id, settings)),
            "worker thread and child process (no Prefect)")
