"""What `ingest` is asked to read, as jobs: the files found under the given paths and the rows of a
manifest (a file named twice is one job), an original paired with its translation, and the check
that Tesseract has every language the jobs need.
The file job itself, `FileJob`, is the one shape every way in uses (a command's paths, a manifest
row, an inbox scan with its sidecar)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.manifest import ManifestRow
from ingest.settings import Settings

from .faults import MissingDependency


@dataclass(frozen=True)
class FileJob:
    """A file with what staff said about it: its collection, language and record metadata (from
    the command line, a manifest row or a sidecar; the nightly inbox takes sidecar over manifest over
    the run's defaults). `error` says why it cannot be read (named in a manifest but not there, a
    link not followed, an unreadable sidecar or manifest): the file is then quarantined with it."""

    path: str
    collection: str | None = None
    lang: str | None = None
    metadata: dict = field(default_factory=dict)
    error: str | None = None


class JobError(ValueError):
    """A one-line reason there is nothing to ingest as asked."""


def ingest_jobs(paths: list[Path], rows: list[ManifestRow], *, manifest: Path | None, collection: str | None,
                lang: str | None, follow_symlinks: bool) -> list[FileJob]:
    """One job per file found under `paths` (with its manifest row's collection, language and
    metadata over the command's); with no paths, the manifest alone names the files."""
    from ingest.sources import find_input_files

    if not paths and not rows:
        raise JobError("nothing to ingest: give files or folders, or --manifest")
    by_file = {r.file.resolve(): r for r in rows}
    jobs: list[FileJob] = []
    seen: set[Path] = set()
    for found in find_input_files(list(paths), follow_symlinks=follow_symlinks):
        p = found.path
        if p.resolve() in seen and found.problem is None:
            continue  # the same file named twice: one job, one line
        row = by_file.get(p.resolve())
        seen.add(p.resolve())
        jobs.append(FileJob(str(p), collection=(row and row.collection) or collection,
                            lang=(row and row.lang) or lang, metadata=(row.metadata if row else {}),
                            error=found.problem))
    if not paths:
        for r in rows:
            if r.file.resolve() not in seen:
                missing = None if r.file.exists() else f"file named in manifest {manifest} not found"
                jobs.append(FileJob(str(r.file), collection=r.collection or collection, lang=r.lang or lang,
                                    metadata=r.metadata, error=missing))
    if not jobs:
        raise JobError("no PNG, JPEG, TIFF, PDF or text files found in the given folders")
    return jobs


def with_translation(jobs: list[FileJob], translation: Path) -> list[FileJob]:
    """The one original and its English translation, paired by record id (the original's, else
    its file name): ingested together, then aligned."""
    if len(jobs) != 1:
        raise JobError("--translation pairs one original with its translation: give exactly one original file")
    original = jobs[0]
    record_id = original.metadata.get("record_id") or Path(original.path).stem
    return [FileJob(original.path, collection=original.collection, lang=original.lang,
                    metadata={**original.metadata, "record_id": record_id}),
            FileJob(str(translation), collection=original.collection, lang="eng",
                    metadata={"record_id": f"{record_id}-en", "translation_of": record_id, "language": "English"},
                    error=None if translation.is_file() else "translation file not found")]


def check_job_languages(jobs: list[FileJob], settings: Settings) -> None:
    """MissingDependency unless Tesseract has every model of every job's language: nothing could be read."""
    from ingest.errors import IngestError
    from ingest.ocr import check_languages

    try:
        for code in {j.lang or settings.lang for j in jobs}:
            check_languages(code, settings.tessdata_dir)
    except IngestError as exc:
        raise MissingDependency(str(exc)) from exc
