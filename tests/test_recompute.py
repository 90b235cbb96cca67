"""How the review page recomputes a corrected document: chosen by `review serve`, never by starting
Prefect inside the web process (flows.app.recompute)."""

from __future__ import annotations

import threading

from flows.app.recompute import recompute_callable, start_deployment
from flows.web.reprocess import Reprocessor
from ingest.settings import Settings
from storage.review import ReviewRepository


def test_the_recompute_follows_the_settings_and_the_prefect_server(tmp_path):
    settings = Settings(db_url=f"sqlite:///{tmp_path}/a.db", files_dir=str(tmp_path / "files"))
    call, how = recompute_callable(settings, environ={"PREFECT_API_URL": "http://127.0.0.1:4200/api"})
    assert call is start_deployment and "reprocess-document/reprocess-document" in how
    call, how = recompute_callable(settings, environ={})
    assert call is not None and "child process" in how
    from flows.app.recompute import Coalescer

    assert isinstance(call, Coalescer)  # saves of one document while it recomputes coalesce
    from dataclasses import replace

    assert recompute_callable(replace(settings, review_reprocess="off"), environ={})[0] is None
    direct, how = recompute_callable(replace(settings, review_reprocess="direct"),
                                     environ={"PREFECT_API_URL": "http://127.0.0.1:4200/api"})
    assert direct is not start_deployment and "no Prefect" in how


def test_the_worker_thread_runs_each_document_once_and_audits(tmp_path):
    """Corrections made while a recompute waits are covered by it; its outcome is audited."""
    repo = ReviewRepository(f"sqlite:///{tmp_path}/a.db")
    gate, seen = threading.Event(), []

    def recompute(document_id: int) -> dict:
        gate.wait(10)
        seen.append(document_id)
        if document_id == 3:
            raise RuntimeError("database is locked\nmore")
        return {"flags": 2, "alignments": [{}]}

    worker = Reprocessor(repo, recompute)
    first = worker.submit(1)
    waiting = worker.submit(2)
    assert worker.submit(2) is None  # already waiting: one run reads the newest text
    failing = worker.submit(3)
    gate.set()
    first.result(10), waiting.result(10)
    try:
        failing.result(10)
    except RuntimeError:
        pass
    worker.shutdown()
    assert seen == [1, 2, 3]
    notes = {(e.document_id, e.action, e.note) for e in repo.audit_events()}
    assert (1, "recomputed", "2 open flags; 1 alignment(s)") in notes
    assert (3, "recompute_failed", "database is locked") in notes
    assert Reprocessor(repo, None).submit(1) is None


def test_saves_of_one_document_during_a_recompute_cost_at_most_one_more():
    """Coalescing (flows.app.recompute.Coalescer): 20 saves of one document while its recompute
    runs give 2 recomputes, and the second one reads the last saved text."""
    from concurrent.futures import ThreadPoolExecutor

    from flows.app.recompute import Coalescer

    text = {"doc": "v0"}
    started, gate, runs = threading.Event(), threading.Event(), []
    outer = ThreadPoolExecutor(max_workers=1)

    def run_once(document_id: int) -> dict:
        read = text["doc"]  # a recompute reads the stored text when it starts
        runs.append(read)
        started.set()
        gate.wait(10)
        return {"flags": len(runs), "read": read}

    coalesce = Coalescer(lambda document_id: outer.submit(run_once, document_id))
    first = coalesce.submit(7)
    assert started.wait(10)
    later = []
    for k in range(1, 21):  # saves while the first recompute runs
        text["doc"] = f"v{k}"
        later.append(coalesce.submit(7))
    assert all(f is later[0] for f in later)  # all joined one waiting run
    other = coalesce.submit(8)  # another document is not coalesced with it
    gate.set()
    assert first.result(10)["flags"] == 1
    assert later[0].result(10)["read"] == "v20"  # the final state covers the last save
    other.result(10)
    outer.shutdown()
    assert sorted(runs) == ["v0", "v20", "v20"]  # doc 7 twice, doc 8 once


def test_a_failed_recompute_reaches_every_caller_and_the_next_one_runs(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from flows.app.recompute import Coalescer

    outer = ThreadPoolExecutor(max_workers=1)
    calls = []

    def run_once(document_id: int) -> dict:
        calls.append(document_id)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return {"flags": 0}

    coalesce = Coalescer(lambda document_id: outer.submit(run_once, document_id))
    try:
        coalesce(5)
        raise AssertionError("the failure must reach the caller")
    except RuntimeError as exc:
        assert "locked" in str(exc)
    assert coalesce(5) == {"flags": 0} and calls == [5, 5]
    outer.shutdown()


def test_the_child_process_runs_at_a_lower_cpu_priority():
    """Page requests win the CPU over a recompute: the child lowers its own priority."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from flows.app.recompute import CHILD_NICENESS, _lower_priority

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_lower_priority) as pool:
        child = pool.submit(os.nice, 0).result(60)
    assert child == os.nice(0) + CHILD_NICENESS or child == 19
