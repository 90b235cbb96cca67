"""Is another reading plausible, and at least as likely as the one read? Helpers of the
close_alternative and diacritic_suspect rules (attested Vietnamese pairs, English word frequency)."""

from __future__ import annotations

import unicodedata

from ingest.vn_orthography import PUNCTUATION as _EDGE
from ingest.vn_orthography import is_valid_syllable, syllable_key

from ..spelling import unknown_words


def _usual_case(word: str) -> bool:
    return word.islower() or word.isupper() or (word[:1].isupper() and word[1:].islower()) or not word.isalpha()


def plausible(alternative: str | None, vie: bool, eng: bool, read: str | None = None) -> bool:
    """Could the other reading be the true text? A Vietnamese syllable on Vietnamese pages, a
    dictionary word on English ones, or a change of punctuation or digits; not a look-alike
    letter of another alphabet ("Ðôi" with an Icelandic eth). Unknown (None): yes."""
    if alternative is None:
        return True
    core = unicodedata.normalize("NFC", alternative).strip(_EDGE)
    if read is not None and alternative.lower() == read.lower() and _usual_case(read.strip(_EDGE)):
        return False  # "Về" or "VỀ": only a mixed case ("iS") is worth a second look
    if not core or not core.isalpha():
        return True
    if vie:
        return is_valid_syllable(core)
    if eng:
        return not unknown_words([(core, False)])
    return True


def as_likely(alternative: str | None, read: str, vie: bool, eng: bool, known, around,
               alt_conf: float = 0.0, conf: float = 100.0) -> bool:
    """Is the second choice at least as likely as what was read? Vietnamese (with attested text):
    its pairs with the neighbours when either reading has one; else, for an attested reading,
    Tesseract's own confidences (a commoner syllable is no reason: "chết" is 14 times as common
    as "chốt" in the attested texts, yet "điểm chốt" is right). English: pyspellchecker's word
    frequency. Unknown either way (no data, or the reading is not a word at all): yes."""
    if alternative is None:
        return True
    alt, core = unicodedata.normalize("NFC", alternative).strip(_EDGE), read.strip(_EDGE)
    if not alt.isalpha() or not core.isalpha() or alt.lower() == core.lower():
        return True  # punctuation, digits, case: frequency says nothing
    if vie and known is not None:
        a, r = syllable_key(alt), syllable_key(core)
        sa, sr = known.support(a, around), known.support(r, around)
        if sa[0] or sr[0]:
            return sa[0] >= sr[0]
        return sa[1] > 0 and alt_conf >= conf
    if eng:
        from ..spelling import word_frequency

        fr = word_frequency(core)
        return not fr or word_frequency(alt) >= fr
    return True


def neighbours(lines) -> dict[tuple[int, int], tuple[str | None, str | None]]:
    """(line, word) -> (previous, next) syllable keys within the same phrase (no punctuation
    between them), across line ends."""
    seq = [(ln, wn, unicodedata.normalize("NFC", w)) for ln, (_, _, words) in enumerate(lines)
           for wn, (w, _, _) in enumerate(words)]
    out = {}
    for k, (ln, wn, w) in enumerate(seq):
        prev = seq[k - 1][2] if k else ""
        nxt = seq[k + 1][2] if k + 1 < len(seq) else ""
        core = w.strip(_EDGE)
        p = prev.strip(_EDGE) if prev and prev == prev.rstrip(_EDGE) and w == w.lstrip(_EDGE) else None
        n = nxt.strip(_EDGE) if nxt and w == w.rstrip(_EDGE) and nxt == nxt.lstrip(_EDGE) else None
        if core:
            out[(ln, wn)] = (syllable_key(p) if p and p.isalpha() else None,
                             syllable_key(n) if n and n.isalpha() else None)
    return out


def better_marks(key: str, around: tuple[str | None, str | None], known) -> str | None:
    """A differently marked syllable that its neighbours attest, when the syllable as read has
    no attested neighbour: the trace of a misread diacritic ("chỉ phí" for "chi phí")."""
    prev, nxt = around
    if prev is None and nxt is None:
        return None
    if (prev and (prev, key) in known.pairs) or (nxt and (key, nxt) in known.pairs):
        return None
    scored = [(known.pairs.get((prev, v), 0) + known.pairs.get((v, nxt), 0), v) for v in known.variants(key)
              if _one_spurious_mark(key, v)]
    scored = [(s, v) for s, v in scored if s]
    return max(scored)[1] if scored else None


# The marks Tesseract adds where there are none, read from the calibration pages: a hook above
# ("chỉ" for "chi", "tỉnh" for "tinh") and a circumflex or breve ("hổi" for "hỏi", "phẳng" for
# "phảng"). Other substitutions (sắc for nặng, ...) were mostly true text there, so they are not
# suggested: with the attested pairs of ~60,000 only, they flagged 8 correct words for each error.
_SPURIOUS = {"\u0309", "\u0302", "\u0306"}


def _one_spurious_mark(read: str, variant: str) -> bool:
    """Is `variant` the syllable as read with one hook above, circumflex or breve taken away?"""
    r, v = unicodedata.normalize("NFD", read), unicodedata.normalize("NFD", variant)
    return len(r) == len(v) + 1 and any(r[k] in _SPURIOUS and r[:k] + r[k + 1:] == v for k in range(len(r)))
