"""Text forms every layer shares: one Unicode normal form, and the punctuation a token may carry at
its edges."""

from __future__ import annotations

import unicodedata

# Punctuation a token may carry at either end ("tiên," "“Khi" „Wort“): not part of the word. Used
# where a token is looked up as a word (a lexicon, a dictionary).
EDGE_PUNCTUATION = "\"'()[]{}«»“”„‘’‚.,;:!?-–—…*/"


def nfc(text: str) -> str:
    """The composed form (NFC): the form text is stored, compared and indexed in."""
    return unicodedata.normalize("NFC", text)
