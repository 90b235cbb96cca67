"""Pairing originals with translations: text preparation, sentences, lexicon, anchors, aligner."""

from .aligner import METHOD, VERSION, DocumentAlignment, Link, align_documents, align_texts

__all__ = ["METHOD", "VERSION", "DocumentAlignment", "Link", "align_documents", "align_texts"]
