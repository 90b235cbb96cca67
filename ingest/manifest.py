"""Read the optional CSV manifest: one row per file, with the archive metadata of its record."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .settings import is_lang_code
from .sources import nfc

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


def read_manifest(path: Path) -> list[ManifestRow]:
    """Rows with paths resolved against the manifest's folder. Raises ManifestError (one line)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ManifestError(f"manifest {path}: file not found")
    except UnicodeDecodeError:
        raise ManifestError(f"manifest {path}: not UTF-8 text")
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "file" not in [c.strip() for c in reader.fieldnames]:
        raise ManifestError(f"manifest {path}: needs a header row with a 'file' column")
    rows = []
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): nfc((v or "").strip()) for k, v in raw.items() if k}
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
        rows.append(ManifestRow(file=file if file.is_absolute() else path.parent / file,
                                collection=row.get("collection") or None, lang=lang, metadata=meta))
    return rows
