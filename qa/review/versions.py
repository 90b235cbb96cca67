"""Which reviewer's version applies to which passage after a page is read again.

A version is keyed by the place (page, passage number) and the OCR text it was made on. When the
page is read anew, passages can split, merge or move; the version then goes to the passage on the
same page whose text is most like the one it was made on, if it is like enough, and is otherwise
kept but detached (shown in its history, applied nowhere) rather than misapplied.

Pure: storage hands in the passages and the latest versions, and reads or writes nothing here
(flows.app.store sets this rule in storage.versions for the whole process).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypeVar

from rapidfuzz import fuzz

# A version made on one OCR reading still applies after a re-read if the passage text is this close
# (0-100, rapidfuzz ratio); below it the version is kept but shown as detached rather than misapplied.
REATTACH_SIMILARITY = 85.0


class Version(Protocol):
    @property
    def base_text(self) -> str: ...  # the OCR text of the passage the version was made on


V = TypeVar("V", bound=Version)
PassageKey = tuple[int, int]  # (page number, passage number on the page)


def reattach(passages: Iterable[tuple[int, int, str]], latest: Mapping[PassageKey, V]) -> dict[PassageKey, V]:
    """passages: (page, number, OCR text) as read now; latest: the latest version per key it was
    made at. Returns which version applies to which current passage: same place and same OCR text,
    else the most similar passage on the same page not already taken."""
    raw = {(p, n): t for p, n, t in passages}
    out: dict[PassageKey, V] = {}
    moved = []
    for key, v in latest.items():
        if raw.get(key) == v.base_text:
            out[key] = v
        else:
            moved.append((key, v))
    for key, v in moved:
        candidates = [(fuzz.ratio(v.base_text, t), (p, n)) for (p, n), t in raw.items()
                      if p == key[0] and (p, n) not in out]
        if candidates:
            score, best = max(candidates)
            if score >= REATTACH_SIMILARITY:
                out[best] = v
    return out
