"""The staff inbox: files arrive by atomic rename, leave by move, and are never deleted.

Plain functions (no Prefect) used by the nightly flow and by `archive-ingest queue`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ingest.sources import SUPPORTED_SUFFIXES, sha256_file

INCOMING = ".incoming"  # files being copied in live here until renamed into place


def scan_inbox(inbox: Path, problems: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Scans waiting in the inbox (recursively), oldest first; half-copied files are not seen.
    Linked folders are not entered (a linked file is listed: its ingest refuses it unless
    follow_symlinks is set); a folder that cannot be read goes into ``problems``."""
    if not inbox.is_dir():
        return []
    found = []

    def unreadable(exc: OSError) -> None:
        if problems is not None:
            problems.append((Path(exc.filename or inbox), f"folder cannot be read: {exc.strerror or exc}"))

    for root, dirs, files in os.walk(inbox, onerror=unreadable, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            p = Path(root) / name
            if name.startswith(".") or p.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if p.is_symlink() or p.is_file():
                found.append(p)
    return sorted(found, key=lambda p: (p.lstat().st_mtime, str(p)))


def _free_name(target: Path) -> Path:
    if not target.exists():
        return target
    stem, suffix = target.stem, target.suffix
    for i in range(1, 10_000):
        candidate = target.with_name(f"{stem}.{i}{suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(target)


def _atomic_copy(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.close(fd)
    try:
        shutil.copy2(src, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def queue_file(src: Path, inbox: Path) -> Path:
    """Copy a scan into the inbox: written under .incoming, then renamed, so the nightly run
    never sees half a file. The original stays where it was."""
    staging = inbox / INCOMING
    staging.mkdir(parents=True, exist_ok=True)
    target = _free_name(inbox / src.name)
    fd, tmp = tempfile.mkstemp(dir=staging, prefix=".tmp-")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)  # its mtime is the hand-in time: the nightly run goes oldest first
        os.replace(tmp, target)  # same file system: atomic
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def settle(path: Path, inbox: Path, root: Path, reason: str | None = None) -> Path:
    """Move a processed scan out of the inbox into ``root`` (same relative path), with a
    ``.reason.txt`` beside it when it failed. If an identical copy is already there (a run
    killed mid-move), the inbox copy is dropped: the scan itself is kept."""
    rel = path.relative_to(inbox) if path.is_relative_to(inbox) else Path(path.name)
    target = root / rel
    if target.exists() and target.stat().st_size == path.stat().st_size and sha256_file(target) == sha256_file(path):
        path.unlink()
    else:
        target = _free_name(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError:  # another file system: copy, then remove the original
            _atomic_copy(path, target)
            path.unlink()
    if reason is not None:
        note = target.with_name(target.name + ".reason.txt")
        note.write_text(reason.rstrip() + "\n", encoding="utf-8")
    return target

