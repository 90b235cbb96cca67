"""Where the shared data sets are: read in place, never copied into the project."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    """$ARCHIVE_SHARED_DIR, else ../shared beside the checkout, else ../shared beside the repository
    this one was cloned from (a clean clone made in a temporary folder)."""
    if os.environ.get("ARCHIVE_SHARED_DIR"):
        return Path(os.environ["ARCHIVE_SHARED_DIR"]).resolve()
    beside = ROOT.parent / "shared"
    if beside.is_dir():
        return beside.resolve()
    try:
        origin = subprocess.run(["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        origin = ""
    if origin and "://" not in origin and Path(origin).is_dir():
        candidate = Path(origin).resolve().parent / "shared"
        if candidate.is_dir():
            return candidate
    return beside.resolve()


SHARED = _shared_dir()
