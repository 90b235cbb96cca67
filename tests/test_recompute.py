"""How the review page recomputes a corrected document: chosen by `review serve`, never by starting
Prefect inside the web process (flows.app.recompute)."""

from __future__ import annotations

import threading

from flows.app.recompute import recompute_callable, start_deployment
from ingest.settings import Settings
from flows.web.reprocess import Reprocessor
from storage.review import ReviewRepository


def test_the_recompute_follows_the_settings_and_the_prefect_server(tmp_path):
    settings = Settings(db_url=f"sqlite:///{tmp_path}/a.db", files_dir=str(tmp_path / "files"))
    call, how = recompute_callable(settings, environ={"PREFECT_API_URL": "http://127.0.0.1:4200/api"})
    assert call is start_deployment and "reprocess-document/reprocess-document" in how
    call, how = recompute_callable(settings, environ={})
    assert call is not None and "child process" in how
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
