"""The ingest runs: started, finished, and those whose process died on this host (interrupted).

Each write is its own short transaction, so a crash between two leaves the database whole.
"""

from __future__ import annotations

import os
import socket

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.processes import pid_alive

from . import db
from .models import IngestRun, RunStatus, utcnow


class RunRepository:
    def __init__(self, url: str):
        self.url = url
        self.sessions: sessionmaker[Session] = db.sessions(url)

    def start_run(self, *, trigger: str = "cli", collection: str | None = None, files: int = 0) -> int:
        with self.sessions.begin() as s:
            # Runs this host started whose process is gone were killed: say so.
            for old in s.scalars(select(IngestRun).where(IngestRun.status == RunStatus.RUNNING)):
                owner = old.report or {}
                if owner.get("host") == socket.gethostname() and not pid_alive(owner.get("pid")):
                    old.status, old.finished_at = RunStatus.INTERRUPTED, utcnow()
            run = IngestRun(trigger=trigger, collection=collection, files=files, errors=[],
                            report={"host": socket.gethostname(), "pid": os.getpid()})
            s.add(run)
            s.flush()
            return run.id

    def other_active_runs(self, run_id: int) -> int:
        """Runs still going besides this one (killed runs on this host do not count)."""
        with self.sessions() as s:
            n = 0
            others = select(IngestRun).where(IngestRun.status == RunStatus.RUNNING, IngestRun.id != run_id)
            for run in s.scalars(others):
                owner = run.report or {}
                if owner.get("host") == socket.gethostname() and not pid_alive(owner.get("pid")):
                    continue
                n += 1
            return n

    def finish_run(self, run_id: int, *, stored: int, duplicates: int, quarantined: int, pages: int,
                   errors: list[dict], report: dict | None = None) -> None:
        with self.sessions.begin() as s:
            run = s.get_one(IngestRun, run_id)
            run.finished_at = utcnow()
            run.status = RunStatus.PARTIAL if quarantined else RunStatus.COMPLETED
            run.stored, run.duplicates, run.quarantined, run.pages = stored, duplicates, quarantined, pages
            run.errors = errors
            run.report = report or {}

    def recent_runs(self, limit: int = 10) -> list[IngestRun]:
        with self.sessions() as s:
            return list(s.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)))


def run_active(s: Session, run_id: int) -> bool:
    """A run still going: running, and (when this host started it) its process alive."""
    run = s.get(IngestRun, run_id)
    if run is None or run.status != RunStatus.RUNNING:
        return False
    owner = run.report or {}
    if owner.get("host") == socket.gethostname():
        return pid_alive(owner.get("pid"))
    return True
