"""A file to ingest with what staff said about it, whichever way it came in (a command's paths,
a manifest row, an inbox scan with its sidecar)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
