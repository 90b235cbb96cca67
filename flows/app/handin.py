"""Handing files in for the nightly run (`queue`): the record metadata staff give, which of the
files can be queued, and starting an `ingest-files` run on the Prefect server at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.settings import Settings
from ingest.sources import InputFile

from .jobs import JobError

RECORD_OPTIONS = ("title", "date", "record_id", "translation_of", "source_archive", "translator", "rights",
                  "summary", "citation")


@dataclass(frozen=True)
class HandIn:
    files: list[InputFile]  # to copy into the inbox
    missing: list[InputFile]  # not there, or not to be read (a link not followed)


def record_metadata(**given: str | None) -> dict:
    """The record fields given (NFC, as all stored text); empty ones left out."""
    from ingest.text import nfc

    return {k: nfc(v) for k, v in given.items() if k in RECORD_OPTIONS and v}


def plan_hand_in(paths: list[Path], *, record_id: str | None, follow_symlinks: bool) -> HandIn:
    from ingest.sources import find_input_files

    found = find_input_files(list(paths), follow_symlinks=follow_symlinks)
    missing = [f for f in found if f.problem or not f.path.is_file()]
    if record_id and len(found) - len(missing) > 1:
        raise JobError("--record-id names one record: queue one file with it")
    return HandIn([f for f in found if f not in missing], missing)


def start_ingest_now(settings: Settings, queued: list[Path], collection: str | None, lang: str | None) -> str:
    """Start the `ingest-files` deployment on these inbox files; its flow run as "name (id)".
    Raises JobError when the server or the deployment is not there (the files stay queued)."""
    from flows.runtime import configure_prefect

    configure_prefect(settings.prefect_start_timeout)
    try:
        from prefect.deployments import run_deployment

        run = run_deployment("ingest-files/ingest-files", timeout=0,
                             parameters={"paths": [str(q.resolve()) for q in queued],
                                         "collection": collection, "lang": lang})
    except Exception as exc:  # no server, or the deployment is not there
        raise JobError(f"could not start ingest-files on the Prefect server ({str(exc).splitlines()[0]}); "
                       "the files are queued for the nightly run") from exc
    # run_deployment is typed sync-or-async (Prefect's sync_compatible); called from sync code it returns a FlowRun
    return f"{run.name} ({run.id})"  # type: ignore[union-attr]
