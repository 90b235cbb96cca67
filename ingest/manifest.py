"""Read the optional CSV manifest: one row per file, with the archive metadata of its record."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .settings import is_lang_code
from .text import nfc

LIST_SEPARATOR = ";"
LIST_COLUMNS = ("subjects", "places", "donors")
CONTROL_COLUMNS = ("file", "collection", "lang")


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class ManifestRow:
    file: Path
    collection: str | None = None
    lang: str | None = None
    metadata: dict = field(default_factory=dict)


def read_manifest(path: Path, warn: Callable[[str], None] | None = None) -> list[ManifestRow]:
    """Rows with paths resolved against the manifest's folder. Raises ManifestError (one line);
    what is kept but doubtful (extra values, a repeated column, control characters) goes to warn."""
    warn = warn or (lambda message: None)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ManifestError(f"manifest {path}: file not found") from None
    except UnicodeDecodeError:
        raise ManifestError(f"manifest {path}: not UTF-8 text") from None
    # newline="": a quoted cell keeps its line breaks (a multi-line title or note)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = next(reader, None)
    names = [(c or "").strip() for c in header or []]
    if "file" not in names:
        raise ManifestError(f"manifest {path}: needs a header row with a 'file' column")
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        warn(f"manifest {path}: column {name!r} appears {names.count(name)} times; the last non-empty value is kept")
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ManifestError(f"manifest {path}, line {start}: {exc}") from exc
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            extra = [c for c in cells[len(names):] if c.strip()]
            if extra:
                warn(f"manifest {path}, line {start}: {len(extra)} value(s) beyond the header ignored")
        row: dict[str, str] = {}
        for name, value in zip(names, cells, strict=False):
            if not name:
                continue
            value = _clean(value, path, start, name, warn)
            if value or name not in row:
                row[name] = value
        rows.append(_row(path, start, row))
    return rows


def _row(path: Path, n: int, row: dict[str, str]) -> ManifestRow:
    if not row.get("file"):
        raise ManifestError(f"manifest {path}, line {n}: empty 'file'")
    lang = row.get("lang") or None
    if lang and not is_lang_code(lang):
        raise ManifestError(f"manifest {path}, line {n}: lang {lang!r} is not a Tesseract language code "
                            "or combination (e.g. vie, ces, dan+deu)")
    meta: dict = {}
    for k, v in row.items():
        if k in CONTROL_COLUMNS or v == "":
            continue
        meta[k] = [p.strip() for p in v.split(LIST_SEPARATOR) if p.strip()] if k in LIST_COLUMNS else v
    file = Path(row["file"])
    return ManifestRow(file=file if file.is_absolute() else path.parent / file,
                       collection=row.get("collection") or None, lang=lang, metadata=meta)


def _delimiter(text: str) -> str:
    """',' as written by most tools; ';' as spreadsheet software writes CSV in locales whose
    decimal mark is a comma (Vietnamese among them); tab for TSV. Judged from the header row."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _clean(value: str, path: Path, n: int, column: str, warn) -> str:
    """NFC, trimmed, line breaks normalised to \\n; NUL and other control characters removed (with
    a warning): PostgreSQL refuses NUL in text, and they print as terminal escapes."""
    value = nfc(value.strip()).replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(c for c in value if c in "\t\n" or unicodedata.category(c) != "Cc")
    if cleaned != value:
        warn(f"manifest {path}, line {n}: control characters removed from {column!r}")
    return cleaned
