"""What every `archive-ingest` command shares: the two consoles, the settings read once, and the
one-line error that ends a command with exit code 2."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from ingest.settings import Settings, load_settings

from .app.faults import printable

# No emoji codes (":x:") and no markup in what files, OCR and metadata say: untrusted text.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def read_settings() -> Settings:
    try:
        return load_settings()
    except (ValueError, OSError) as exc:
        err.print(f"error: settings: {exc}", markup=False)
        raise typer.Exit(2) from exc


def fail(message: str) -> NoReturn:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(2)


def say(lines) -> None:
    """Print a use case's report lines (flows.app.reports.Said) on stdout or stderr."""
    for line in lines:
        (err if line.error else out).print(line.text, markup=False)


def check_lang(lang: str, settings: Settings) -> None:
    """Exit 2 with one line naming the installed models unless Tesseract has every model of ``lang``."""
    from ingest.errors import IngestError
    from ingest.ocr import check_languages

    try:
        check_languages(lang, settings.tessdata_dir)
    except IngestError as exc:
        fail(f"--lang {lang}: {exc}")


def quiet_task_errors() -> None:
    """A failed page is reported by the CLI as one FAILED line with its reason; Prefect would also
    log it with a traceback on stderr (its loggers are set up when prefect is imported)."""
    import logging

    for name in ("prefect.task_runs", "prefect.flow_runs"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


__all__ = ["check_lang", "err", "fail", "out", "printable", "quiet_task_errors", "read_settings", "say"]
