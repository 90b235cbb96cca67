"""Link rules: where an alignment of original and translation needs a look (low confidence,
one-sided links, numbers and dates that differ, names spelt two ways, length-ratio outliers), and
where machine and human translation disagree."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ingest.align.anchors import anchors, names
from ingest.align.textprep import is_furniture, without_insertions

from .model import LOW_LINK_SCORE, Flag

_EN_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
            "sixteen seventeen eighteen nineteen".split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_ORD = "first second third fourth fifth sixth seventh eighth ninth tenth".split()
_EN_NUMBERS = {n: {_EN_UNITS[n]} for n in range(20)}
_EN_NUMBERS |= {n: {_EN_TENS[n // 10 - 2] + ("" if n % 10 == 0 else "-" + _EN_UNITS[n % 10])} for n in range(20, 100)}
for _n, _w in enumerate(_EN_ORD, start=1):
    _EN_NUMBERS[_n] = _EN_NUMBERS[_n] | {_w}
_EN_NUMBERS[1] |= {"a", "an", "once", "single"}
_EN_NUMBERS[2] |= {"twice", "both", "pair", "couple"}
_EN_NUMBERS |= {100: {"hundred"}, 1000: {"thousand"}, 10: _EN_NUMBERS[10] | {"decade"}}
_VI_UNITS = "không một hai ba bốn năm sáu bảy tám chín".split()
_VI_NUMBERS = {n: {_VI_UNITS[n]} for n in range(10)}
_VI_NUMBERS |= {10: {"mười"}, 100: {"trăm"}, 1000: {"nghìn", "ngàn"}, 1: {"một", "nhất"}, 4: {"bốn", "tư"}}
_VI_NUMBERS |= {n: {f"mười {_VI_UNITS[n % 10]}"} for n in range(11, 20)}
_VI_NUMBERS |= {n: {f"{_VI_UNITS[n // 10]} mươi" + ("" if n % 10 == 0 else f" {_VI_UNITS[n % 10]}")}
                for n in range(20, 100)}


def _spelled(anchor: str, text: str, words: dict[int, set[str]]) -> bool:
    """Is the number anchor ("n:2") written out in words in the other side's text?"""
    kind, _, value = anchor.partition(":")
    if kind != "n" or not value.isdigit() or int(value) not in words:
        return False
    low = " " + re.sub(r"[^\w\s-]", " ", unicodedata.normalize("NFC", text).lower()) + " "
    return any(f" {w} " in low or f" {w}-" in low for w in words[int(value)])


def flag_links(links: list[tuple[list[int], list[int], float]], source: list[str], target: list[str]) -> list[Flag]:
    """links: (source ids, target ids, score) over the given source/target sentence texts."""
    flags: list[Flag] = []
    for k, (s_ids, t_ids, score) in enumerate(links):
        src = " ".join(source[i] for i in s_ids)
        tgt = " ".join(without_insertions(target[j]) for j in t_ids)
        if not s_ids or not t_ids:
            text = src or tgt
            if not is_furniture(text):
                what = "omitted in the translation" if s_ids else "added in the translation"
                flags.append(Flag("one_sided_link", "medium", "link", f"{what}: “{text[:80]}”", link=k))
            continue
        if score < LOW_LINK_SCORE:
            flags.append(Flag("low_link_confidence", "high" if score < 0.2 else "medium", "link",
                              f"link confidence {score:.2f}", link=k, details={"score": score}))
        # numbers, dates and months ("tháng 12" = "December": "mo:12" on both sides)
        a_src = {a for a in anchors(src, "vi") if a[0] in "nd" or a.startswith("mo:")}
        a_tgt = {a for a in anchors(tgt, "en") if a[0] in "nd" or a.startswith("mo:")}
        # a small number in figures on one side may be written in words on the other ("2 sợi
        # dây" / "two strings", "hai năm" / "2 years"): not a mismatch
        only_s = sorted(a for a in a_src - a_tgt if not _spelled(a, tgt, _EN_NUMBERS))
        only_t = sorted(a for a in a_tgt - a_src if not _spelled(a, src, _VI_NUMBERS))
        if only_s or only_t:
            flags.append(Flag("anchor_mismatch", "high", "link",
                              f"numbers/dates differ: original {only_s or '-'}, translation {only_t or '-'}",
                              link=k, details={"source_only": only_s, "target_only": only_t}))
        for name_s, name_t in _names_differing(src, tgt):
            flags.append(Flag("name_mismatch", "medium", "link",
                              f"names differ: original “{name_s}”, translation “{name_t}”", link=k,
                              details={"source": name_s, "target": name_t}))
        if len(src) >= 20 and len(tgt) >= 1 and not 0.5 <= len(tgt) / len(src) <= 2.0:
            flags.append(Flag("length_ratio", "low", "link", f"length ratio {len(tgt) / len(src):.2f}", link=k))
    return flags


# One name written two ways, an OCR error or a misspelling on one side ("Trần Bửu Kiếm" /
# "Tran Bun Kiem"): the names' words (marks stripped, lower case) line up, some words differ and
# each differing pair is at least this similar. Words one side adds at either end (a title such as
# "Comrade", a sentence's first word) are not differences. Names without such a twin on the other
# side are left alone: most are translated ("Bộ Chính trị" / "Politburo").
NAME_WORD_SIMILARITY = 60.0


def _misspelt(a: str, b: str) -> bool:
    ops = [op for op in Levenshtein.opcodes(a.split(), b.split()) if op.tag != "equal"]
    x, y = a.split(), b.split()
    changed = False
    for op in ops:
        if op.tag != "replace":  # added or dropped words: only at the ends
            if 0 < op.src_start < len(x) and 0 < op.dest_start < len(y):
                return False
            continue
        pairs = list(zip(x[op.src_start:op.src_end], y[op.dest_start:op.dest_end], strict=False))
        if op.src_end - op.src_start != op.dest_end - op.dest_start or \
                any(fuzz.ratio(p, q) < NAME_WORD_SIMILARITY for p, q in pairs):
            return False
        changed = True
    return changed and len(set(x) & set(y)) > 0


def _names_differing(src: str, tgt: str) -> list[tuple[str, str]]:
    names_s, names_t = names(src, "vi"), names(tgt, "en")
    out = []
    for s in sorted(names_s):
        if any(s == t or f" {s} " in f" {t} " or f" {t} " in f" {s} " for t in names_t):
            continue  # the same name, maybe inside a longer run ("Comrade Tran Buu Kiem")
        twin = next((t for t in sorted(names_t) if _misspelt(s, t)), None)
        if twin:
            out.append((names_s[s], names_t[twin]))
    return out


# Machine and human translation of a passage sharing less than this share of their content words
# (words of 4+ letters, case-folded; 0-100 of the smaller set) disagree. Provisional: no translation
# provider is reachable where this was written, so it is not calibrated on real MT output.
MT_AGREEMENT = 25.0
_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")


def _content_words(text: str) -> set[str]:
    return set(_CONTENT_WORD.findall(text.casefold()))


def flag_mt_disagreement(links: list[tuple[list[int], list[int]]], machine: list[str], human: list[str],
                         places: list[tuple[int, int]]) -> list[Flag]:
    """Passage links whose machine translation (of the original passages) and human translation
    share too little. places: (page, first line) of each original passage, for the flag's position."""
    flags: list[Flag] = []
    for s_ids, t_ids in links:
        if not s_ids or not t_ids:
            continue  # one-sided links are flagged by flag_links
        mt = " ".join(machine[i] for i in s_ids if i < len(machine) and machine[i]).casefold()
        ht = " ".join(without_insertions(human[j]) for j in t_ids).casefold()
        if len(mt) < 20 or len(ht) < 20:
            continue  # too short to judge by shared words
        a, b = _content_words(mt), _content_words(ht)
        if len(a) < 3 or len(b) < 3:
            continue
        agreement = 100.0 * len(a & b) / min(len(a), len(b))
        if agreement < MT_AGREEMENT:
            page, line = places[s_ids[0]]
            flags.append(Flag("mt_disagreement", "medium", "passage",
                              f"machine and human translation share little ({agreement:.0f}/100): "
                              f"machine “{mt[:60]}”", page, line,
                              details={"agreement": round(agreement, 1), "machine": mt[:500]}))
    return flags
