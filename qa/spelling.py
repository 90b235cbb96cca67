"""English words a dictionary does not know (pyspellchecker's bundled English word list).

Not looked up: numbers and anything with a digit, all-caps abbreviations (USA, TED), and
capitalised words inside a sentence (names: Hanoi, Kissinger). A capitalised word starting a
sentence is looked up in lower case.
"""

from __future__ import annotations

import functools
import re

from ingest.text import EDGE_PUNCTUATION as _EDGE

_WORD = re.compile(r"^[A-Za-z]+(?:['’][A-Za-z]+)?$")
SENTENCE_END = (".", "!", "?", ":", "…", '."', '?"', '!"', ".”", "?”", "!”")


@functools.cache
def _checker():
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def candidate(token: str, sentence_start: bool) -> str | None:
    """The form to look up, or None when the word is not for a dictionary."""
    core = token.strip(_EDGE)
    if not core or any(ch.isdigit() for ch in core):
        return None
    if core.isupper() and len(core) > 1:
        return None
    if core[0].isupper() and not sentence_start:
        return None
    core = re.sub(r"['’]s$", "", core)
    return core.lower()


def unknown_words(tokens: list[tuple[str, bool]]) -> set[int]:
    """Indexes of the tokens (word, starts a sentence?) the English dictionary does not know."""
    checker = _checker()
    out = set()
    for k, (token, start) in enumerate(tokens):
        core = candidate(token, start)
        if core is None:
            continue
        parts = [p for p in re.split(r"[-–—/]", core) if p]  # "well-known", "and/or": each part
        if not parts:
            continue
        if any(not _WORD.match(p) or p.replace("’", "'") not in checker for p in parts):
            out.add(k)
    return out


def suggestion(token: str) -> str | None:
    core = token.strip(_EDGE).lower()
    try:
        return _checker().correction(core)
    except Exception:  # pyspellchecker raises on odd input in some versions
        return None


def word_frequency(word: str) -> int:
    """How often pyspellchecker's English list (shipped with it) saw the word; 0: not at all."""
    try:
        return int(_checker().word_frequency[word.lower()] or 0)
    except (KeyError, TypeError):
        return 0
