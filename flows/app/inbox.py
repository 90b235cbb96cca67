"""The staff inbox: files arrive by atomic rename, leave by move, and are never deleted.

Plain functions (no Prefect) used by the nightly flow and by `archive-ingest queue`; a scan is
handed on as a `FileJob`, the same shape a command's files and manifest rows take.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ingest.manifest import ManifestError, read_manifest
from ingest.settings import is_lang_code
from ingest.sources import SUPPORTED_SUFFIXES, sha256_file
from ingest.text import nfc

from .jobs import FileJob

INCOMING = ".incoming"  # files being copied in live here until renamed into place
SIDECAR = ".meta.json"  # beside a scan: what staff said about it (collection, lang, record metadata)
MANIFEST = "manifest.csv"  # in an inbox folder: the same, one row per file of that folder and below


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR)


def write_sidecar(target: Path, *, collection: str | None = None, lang: str | None = None,
                  metadata: dict | None = None) -> Path | None:
    """Write `target`'s sidecar atomically (temp file, then rename); None when there is nothing to say."""
    body = {k: v for k, v in {"collection": collection, "lang": lang,
                              "metadata": {k: v for k, v in (metadata or {}).items()
                                           if v not in (None, "", [])}}.items()
            if v}
    if not body:
        return None
    side = sidecar_of(target)
    staging = target.parent / INCOMING if target.parent.name != INCOMING else target.parent
    staging.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=staging, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, side)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return side


def read_sidecar(path: Path) -> dict:
    """The sidecar beside `path` ({} if none). Raises ValueError (one line) when it is unreadable."""
    side = sidecar_of(path)
    if not side.is_file():
        return {}
    try:
        body = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"sidecar {side.name} is not valid JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(body, dict) or not isinstance(body.get("metadata", {}), dict):
        raise ValueError(f"sidecar {side.name} must hold an object with an optional 'metadata' object")
    if body.get("lang") and not is_lang_code(str(body["lang"])):
        raise ValueError(f"sidecar {side.name}: lang {body['lang']!r} is not a Tesseract language code "
                         "or combination (e.g. vie, ces, dan+deu)")
    return body


def inbox_entries(inbox: Path, files: list[Path], collection: str | None = None,
                  lang: str | None = None) -> list[FileJob]:
    """Each scan as a job with what staff said about it: its sidecar, else its row in the nearest
    manifest.csv of its folder or a folder above it in the inbox, else the run's collection and
    language; a sidecar or manifest that cannot be read is the job's error (it is quarantined)."""
    manifests: dict[Path, dict[Path, object] | str] = {}

    def rows_of(folder: Path):
        if folder not in manifests:
            m = folder / MANIFEST
            try:
                manifests[folder] = {r.file.resolve(): r for r in read_manifest(m)} if m.is_file() else {}
            except ManifestError as exc:
                manifests[folder] = str(exc)
        return manifests[folder]

    out = []
    for path in files:
        row, error = None, None
        folder = path.parent
        while True:
            rows = rows_of(folder)
            if isinstance(rows, str):
                error = error or rows
            elif path.resolve() in rows:
                row = rows[path.resolve()]
                break
            if folder == inbox or inbox not in folder.parents:
                break
            folder = folder.parent
        try:
            side = read_sidecar(path)
        except ValueError as exc:
            out.append(FileJob(str(path), collection, lang, error=str(exc)))
            continue
        meta = {**(row.metadata if row else {}), **{k: nfc(v) if isinstance(v, str) else v
                                                     for k, v in side.get("metadata", {}).items()}}
        out.append(FileJob(str(path), side.get("collection") or (row.collection if row else None) or collection,
                           side.get("lang") or (row.lang if row else None) or lang, meta,
                           error=None if (row or side) else error))
    return out


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


def queue_file(src: Path, inbox: Path, *, collection: str | None = None, lang: str | None = None,
               metadata: dict | None = None) -> Path:
    """Copy a scan into the inbox: written under .incoming, then renamed, so the nightly run
    never sees half a file; what staff said about it goes into its sidecar first, so the nightly
    run never sees the scan without it. The original stays where it was."""
    staging = inbox / INCOMING
    staging.mkdir(parents=True, exist_ok=True)
    target = _free_name(inbox / src.name)
    fd, tmp = tempfile.mkstemp(dir=staging, prefix=".tmp-")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)  # its mtime is the hand-in time: the nightly run goes oldest first
        write_sidecar(target, collection=collection, lang=lang, metadata=metadata)
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
    side = sidecar_of(path)
    if side.is_file():  # what staff said stays beside the scan
        if sidecar_of(target).exists():
            side.unlink()
        else:
            os.replace(side, sidecar_of(target))
    if reason is not None:
        note = target.with_name(target.name + ".reason.txt")
        note.write_text(reason.rstrip() + "\n", encoding="utf-8")
    return target



def settle_manifests(inbox: Path, root: Path) -> list[Path]:
    """Move each manifest.csv none of whose scans is left in the inbox to the archive folder."""
    moved = []
    for m in sorted(inbox.rglob(MANIFEST)) if inbox.is_dir() else []:
        if any(part.startswith(".") for part in m.relative_to(inbox).parts):
            continue
        try:
            rows = read_manifest(m)
        except ManifestError:
            rows = []
        if rows and any(r.file.exists() for r in rows):
            continue
        target = _free_name(root / m.relative_to(inbox))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(m, target)
        except OSError:
            _atomic_copy(m, target)
            m.unlink()
        moved.append(target)
    return moved
