"""Flags: where a reviewer should look, with the evidence and the page box.

Page rules (one function per rule, registered in `registry` with name, severity, level and
languages) read the stored OCR lines: low confidence, impossible Vietnamese syllables, garbage and
mixed scripts...; link rules read an alignment (low confidence, one-sided links, numbers and dates
that differ, length-ratio outliers). Pure functions: storage and flows call them.
"""

from .links import flag_links, flag_mt_disagreement
from .model import (
    ALTERNATIVE_CONFIDENCE,
    DOUBTFUL_LINE_CONFIDENCE,
    LOW_CONFIDENCE,
    LOW_LINE_CONFIDENCE,
    LOW_LINK_SCORE,
    SEVERITY_RANK,
    UNREADABLE_MIN_LINES,
    UNREADABLE_SHARE,
    VERY_LOW_CONFIDENCE,
    Flag,
)
from .page import flag_lines, flag_page, flag_words, page_context, page_unreadable, rule_flags
from .registry import Hit, PageContext, Rule, rule, rules

__all__ = ["ALTERNATIVE_CONFIDENCE", "DOUBTFUL_LINE_CONFIDENCE", "LOW_CONFIDENCE", "LOW_LINE_CONFIDENCE",
           "LOW_LINK_SCORE", "SEVERITY_RANK", "UNREADABLE_MIN_LINES", "UNREADABLE_SHARE", "VERY_LOW_CONFIDENCE",
           "Flag", "Hit", "PageContext", "Rule", "flag_links", "flag_lines", "flag_mt_disagreement", "flag_page",
           "flag_words", "page_context", "page_unreadable", "rule", "rule_flags", "rules"]
