"""Faults a user can act on: one line each, a distinct exit code for each kind of infrastructure
fault, and untrusted text (file names, OCR text, metadata) made safe to print on a terminal."""

from __future__ import annotations

import enum
import re
import unicodedata


class ExitCode(enum.IntEnum):
    """What `archive-ingest` exits with; schedulers branch on it (listed in `--help`)."""

    OK = 0
    INTERNAL_ERROR = 1  # a bug: please report it with the command that caused it
    FILES_FAILED = 2  # some files failed (see the FAILED lines), or bad arguments
    MISSING_DEPENDENCY = 3  # Tesseract or one of its language models is missing
    DATABASE_UNAVAILABLE = 4  # the database is unreachable, locked or read-only
    STORE_UNAVAILABLE = 5  # the image store is not writable, full, or belongs to another database
    FIXITY_FAILED = 6  # a stored original or page image is missing or changed
    WORKFLOW_ENGINE_UNAVAILABLE = 7  # the Prefect server did not start or cannot be reached


EXIT_CODES_HELP = "Exit codes: " + ", ".join(
    f"{c.value} {c.name.lower().replace('_', ' ')}" for c in ExitCode) + "."


class Fault(Exception):
    """An infrastructure fault: its message is the one line the user sees."""

    code = ExitCode.INTERNAL_ERROR


class MissingDependency(Fault):
    code = ExitCode.MISSING_DEPENDENCY


class DatabaseUnavailable(Fault):
    code = ExitCode.DATABASE_UNAVAILABLE


class StoreUnavailable(Fault):
    code = ExitCode.STORE_UNAVAILABLE


class WorkflowEngineUnavailable(Fault):
    code = ExitCode.WORKFLOW_ENGINE_UNAVAILABLE


def one_line(exc: BaseException, limit: int = 300) -> str:
    """A short, single-line reason for an exception: never a SQL statement or a traceback."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error: its message is enough
    text = str(orig if orig is not None else exc).strip()
    first = text.splitlines()[0].strip() if text else ""
    if isinstance(exc, OSError) and exc.strerror:
        first = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    name = type(orig if orig is not None else exc).__name__
    line = printable(first or name)
    return line if len(line) <= limit else line[:limit - 1] + "…"


def database_fault(exc: BaseException) -> DatabaseUnavailable | None:
    """The one-line fault for a database that cannot be used (not a bug in a query)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        detail = one_line(exc)
        return DatabaseUnavailable(f"database unavailable: {detail}")
    return None


def classify(exc: BaseException) -> Fault | None:
    """Map an exception that reached the command line to a fault, or None for a bug."""
    if isinstance(exc, Fault):
        return exc
    db = database_fault(exc)
    if db is not None:
        return db
    name = type(exc).__name__
    if name == "TesseractNotFoundError" or (isinstance(exc, FileNotFoundError) and "tesseract" in str(exc)):
        return MissingDependency("tesseract is not installed or not on PATH (apt-get install tesseract-ocr)")
    if "Prefect API" in str(exc) or type(exc).__module__.startswith("httpx"):
        return WorkflowEngineUnavailable(f"workflow engine unavailable: {one_line(exc)} (raise "
                                         "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or check PREFECT_API_URL)")
    if isinstance(exc, OSError) and exc.errno in (28, 30, 13):  # ENOSPC, EROFS, EACCES
        return StoreUnavailable(f"cannot write: {one_line(exc)}")
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object, *, keep_lines: bool = False) -> str:
    """Untrusted text as one terminal-safe line: control characters (newlines, escape codes, bidi
    overrides) shown as escapes so a file name cannot forge an output line or move the cursor.
    keep_lines: a page's text keeps its line breaks and tabs."""
    s = str(text)
    pattern = _CONTROL_BUT_LINES if keep_lines else _CONTROL
    if not pattern.search(s):
        return s
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)


def clean_metadata_value(value: str) -> str:
    """A metadata value fit for any database: NUL and other control characters (but tab and
    newline) removed; PostgreSQL refuses NUL in text."""
    return "".join(c for c in value if c in "\t\n" or unicodedata.category(c) != "Cc")
