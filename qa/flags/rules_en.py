"""English page rules (language-specific: English)."""

from __future__ import annotations

from .registry import Hit, PageContext, rule


@rule("unknown_word", "low", "word", languages=("eng",))
def unknown_word(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A word not in the English dictionary (numbers, names and abbreviations skipped)."""
    if wn in ctx.unknown(ln):
        w = ctx.word(ln, wn)
        return Hit(f"“{w.core}” is not in the English dictionary", {"confidence": w.conf})
    return None
