"""Ingest the bundled examples with the stage functions (no Prefect: 15-25 s saved per test module)."""

from __future__ import annotations

import csv

from flows.app.jobs import FileJob
from flows.app.pages import ingest_page
from flows.app.pairing import pair_and_align
from flows.app.steps import finish_document, prepare_document
from ingest.settings import Settings
from tests.helpers import EXAMPLES


def manifest_jobs(collection: str = "samples") -> list[FileJob]:
    with (EXAMPLES / "manifest.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    jobs = []
    for r in rows:
        meta = {k: v for k, v in r.items() if k not in ("file", "lang") and v}
        for k in ("subjects", "places", "donors"):
            if k in meta:
                meta[k] = meta[k].split(";")
        jobs.append(FileJob(str(EXAMPLES / r["file"]), collection=collection, lang=r["lang"], metadata=meta))
    return jobs


def ingest_examples(settings: Settings) -> dict[str, int]:
    """Document id per example file name, all stored, the original aligned with its translation."""
    ids = {}
    for job in manifest_jobs():
        plan = prepare_document(job, settings, None)
        outcomes = [ingest_page(plan.document_id, plan.path, plan.media_type, n, job.lang, settings)
                    for n in plan.pages_todo]
        assert finish_document(plan, outcomes, settings) is None, outcomes
        ids[job.path.rsplit("/", 1)[1]] = plan.document_id
    pair_and_align(list(ids.values()), settings)
    return ids
