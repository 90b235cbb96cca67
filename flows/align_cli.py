"""`archive-ingest align SOURCE TARGET`: align a Vietnamese text with its English translation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _error(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise _error(f"{path}: not UTF-8 text") from None


def _error(message: str) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(2)


def align_command(
    source: Path = typer.Argument(..., help="The original (Vietnamese), UTF-8 text."),
    target: Path = typer.Argument(..., help="The translation (English), UTF-8 text."),
    units: str = typer.Option("sentences", "--units", help="lines: one unit per input line; sentences: split."),
    format: str = typer.Option("json", "--format", help="json or tsv."),
) -> None:
    """Align two texts; print links in order with 0-based unit ids and a confidence score."""
    from ingest.align import align_texts
    from ingest.align.lexicon import load_lexicon
    from ingest.align.sentences import split_sentences
    from ingest.settings import load_settings

    if units not in ("lines", "sentences"):
        raise _error(f"--units {units!r}: choose lines or sentences")
    if format not in ("json", "tsv"):
        raise _error(f"--format {format!r}: choose json or tsv")
    src_text, tgt_text = _read(source), _read(target)
    if units == "lines":
        src = [l.strip() for l in src_text.splitlines() if l.strip()]
        tgt = [l.strip() for l in tgt_text.splitlines() if l.strip()]
    else:
        src = [s.text for s in split_sentences(src_text, "vi")]
        tgt = [s.text for s in split_sentences(tgt_text, "en")]
    try:
        paths = load_settings().lexicon_paths
    except ValueError as exc:
        raise _error(f"settings: {exc}") from exc
    try:
        lexicon = load_lexicon(paths)
    except (FileNotFoundError, ValueError) as exc:
        raise _error(str(exc)) from exc
    links = align_texts(src, tgt, lexicon=lexicon)
    if format == "json":
        print(json.dumps([l.to_dict() for l in links], ensure_ascii=False))
    else:
        for l in links:
            print(f"{','.join(map(str, l.source))}\t{','.join(map(str, l.target))}\t{l.score:.4f}\t"
                  f"{' '.join(src[i] for i in l.source)}\t{' '.join(tgt[j] for j in l.target)}")
