"""Known Tesseract confusions for Vietnamese: VietOCR's ambiguity list (vie.DangAmbigs.txt).

The list is read at run time from a path the caller gives (it is Apache-2.0 data kept outside
the project). Lines are ``0<TAB>wrong<TAB>right`` (plain replacement) or ``1<TAB>regex<TAB>right``
(regular expression); '#' starts a comment. A word is suspect when it contains the wrong side
of a pair; applying every matching pair gives the suggested reading.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.text import nfc


@dataclass(frozen=True)
class Confusion:
    pattern: str  # as written in the file
    replacement: str
    regex: re.Pattern


@functools.cache
def load_confusions(path: str | Path) -> tuple[Confusion, ...]:
    out = []
    for raw in Path(path).read_text(encoding="utf-8-sig").splitlines():
        raw = raw.rstrip("\r\n")
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) < 3 or parts[0] not in ("0", "1"):
            continue
        kind, wrong, right = parts[0], nfc(parts[1]), nfc(parts[2])
        if not wrong:
            continue
        try:
            pattern = re.compile(re.escape(wrong) if kind == "0" else wrong)
        except re.error:
            continue
        out.append(Confusion(wrong, right, pattern))
    return tuple(out)


def _literal(replacement: str, _match: re.Match[str]) -> str:
    """The replacement as it is: no group references or escapes expanded."""
    return replacement


def known_confusions(token: str, confusions: tuple[Confusion, ...]) -> tuple[list[Confusion], str]:
    """The pairs whose wrong side occurs in the word, and the word with all of them applied.

    The word is tested with one trailing space, since some pairs end at a word boundary
    written as a space ("xiê " -> "về ").
    """
    word = nfc(token) + " "
    hits = [c for c in confusions if c.regex.search(word)]
    fixed = word
    for c in hits:
        fixed = c.regex.sub(functools.partial(_literal, c.replacement), fixed)
    return hits, fixed[:-1] if fixed.endswith(" ") else fixed
