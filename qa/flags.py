"""Flags: where a reviewer should look, with the evidence and the page box.

Page rules read the stored OCR lines (low confidence, impossible Vietnamese syllables, garbage
and mixed scripts); link rules read an alignment (low confidence, one-sided links, numbers and
dates that differ, length-ratio outliers). Pure functions: storage and flows call them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ingest.align.anchors import anchors, names
from ingest.align.textprep import is_furniture, without_insertions
from ingest.vn_orthography import PUNCTUATION as _EDGE
from ingest.vn_orthography import is_valid_syllable, load_attested, syllable_key

from .confusions import known_confusions, load_confusions
from .spelling import SENTENCE_END, unknown_words

# "critical" is for one flag only, page_unreadable: above every word, line and link flag in the queue.
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
# Word, line and alternative-character thresholds (Tesseract 0-100), chosen by
# bench.flags_bench.calibrate on its calibration pages (20 pagegen pages, seed 7, four per level;
# 159 erroneous lines), disjoint from the evaluation pages: the fewest flagged lines among the
# settings that flag >= 95% of the erroneous lines (aiming above the issue's 90%), with issue 14's
# rules 95.6% with 1.68 flagged lines per erroneous one. (A 92% aim, 65/92/10, flagged 1.41 per
# erroneous line but only 84.9% of the held-out erroneous lines.) Below 40 at least 60% of the
# (>= 5) words were wrong: "high". Rerun `python -m bench.flags_bench` and revisit when pages
# with ground truth from the archive itself exist.
LOW_CONFIDENCE = 90.0
VERY_LOW_CONFIDENCE = 40.0
LOW_LINE_CONFIDENCE = 94.0
# A word whose strongest other character (Tesseract's per-character choices) reached this
# confidence, when the other reading is itself plausible (a Vietnamese syllable, an English word,
# or a change of punctuation or digit) and at least as likely as the reading: "thi" with "thí".
# Calibrated with those above.
ALTERNATIVE_CONFIDENCE = 20.0
LOW_LINK_SCORE = 0.5
# A page too bad to correct word by word: most of its lines (of at least UNREADABLE_MIN_LINES) read
# below DOUBTFUL_LINE_CONFIDENCE. Not yet calibrated line by line: 70 is the pipeline's doubtful page
# confidence (ingest.pipeline.DOUBTFUL_CONFIDENCE; on the real typewritten pages of bench.real_bench,
# first readings that collapsed had mean confidence 65-69, sound ones 74 and up).
DOUBTFUL_LINE_CONFIDENCE = 70.0
UNREADABLE_SHARE = 0.5
UNREADABLE_MIN_LINES = 5
_SCRIPTS = (("LATIN", re.compile(r"[A-Za-zÀ-ỹĐđ]")), ("CYRILLIC", re.compile(r"[\u0400-\u04ff]")),
            ("GREEK", re.compile(r"[\u0370-\u03ff]")))
_SYMBOL_RUN = re.compile(r"[^\w\s.,;:!?\"'()\-–—…/%]{3,}")


@dataclass(frozen=True)
class Flag:
    type: str
    severity: str  # low | medium | high
    level: str  # word | line | passage | link
    evidence: str
    page: int | None = None
    line: int | None = None
    word: int | None = None
    link: int | None = None
    bbox: tuple[int, int, int, int] | None = None
    details: dict = field(default_factory=dict)


def _scripts(token: str) -> set[str]:
    return {name for name, pat in _SCRIPTS if pat.search(token)}


def _sentence_starts(lines) -> list[list[bool]]:
    """Does each word start a sentence? (first word of the page, or after . ! ? :)"""
    out, start = [], True
    for _, _, words in lines:
        row = []
        for word, _, _ in words:
            row.append(start)
            start = word.rstrip("\"')]}»”’").endswith(SENTENCE_END)
        out.append(row)
    return out


def page_unreadable(page: int, lines: list[tuple[str, tuple, list[tuple]]]) -> Flag | None:
    """One page-level flag when most lines are doubtful (lines as for flag_words), else None."""
    means = []
    for _, _, words in lines:
        chars = sum(len(w[0]) for w in words)
        if chars:
            means.append((sum(w[2] * len(w[0]) for w in words) / chars, chars))
    if len(means) < UNREADABLE_MIN_LINES:
        return None
    doubtful = sum(1 for m, _ in means if m < DOUBTFUL_LINE_CONFIDENCE)
    if doubtful <= UNREADABLE_SHARE * len(means):
        return None
    mean = sum(m * c for m, c in means) / sum(c for _, c in means)
    return Flag("page_unreadable", "critical", "page",
                f"page unreadable: re-scan or transcribe (mean confidence {mean:.0f}, {doubtful} of {len(means)} "
                "lines doubtful)", page, details={"confidence": round(mean, 1), "doubtful_lines": doubtful,
                                                  "lines": len(means)})


def flag_page(page: int, lines: list[tuple[str, tuple, list[tuple]]], lang: str, **options) -> list[Flag]:
    """The flags of one page: a single page_unreadable flag instead of its word and line flags when
    most of its lines are doubtful (hundreds of word flags on such a page help nobody), else flag_words."""
    unreadable = page_unreadable(page, lines)
    return [unreadable] if unreadable else flag_words(page, lines, lang, **options)


def flag_words(page: int, lines: list[tuple[str, tuple, list[tuple]]], lang: str, *,
               ambiguities: str | Path | None = None, attested: tuple[str | Path, ...] | None = None,
               low_confidence: float | None = None, very_low_confidence: float | None = None,
               low_line_confidence: float | None = None, alternative_confidence: float | None = None) -> list[Flag]:
    """lines: (line text, line box, [(word, box, confidence[, alternative, alternative
    confidence])]). Vietnamese rules on 'vie' pages, English spelling on 'eng' pages.

    ambiguities: path of a Tesseract confusion list (VietOCR's vie.DangAmbigs.txt format); None
    leaves the known-confusion rule off. attested: paths of Vietnamese texts (IWSLT XML, FVDP
    JSON, Wiktionary pairs) whose syllables count as attested; None leaves that rule off. The
    thresholds default to the calibrated module constants.
    """
    low = LOW_CONFIDENCE if low_confidence is None else low_confidence
    very_low = VERY_LOW_CONFIDENCE if very_low_confidence is None else very_low_confidence
    line_low = LOW_LINE_CONFIDENCE if low_line_confidence is None else low_line_confidence
    alt_low = ALTERNATIVE_CONFIDENCE if alternative_confidence is None else alternative_confidence
    alternatives = {(ln, wn): (w[3], w[4] or 0.0) for ln, (_, _, words) in enumerate(lines)
                    for wn, w in enumerate(words) if len(w) >= 5}
    lines = [(t, b, [tuple(w[:3]) for w in words]) for t, b, words in lines]
    vie, eng = lang.startswith("vie"), lang.startswith("eng")
    confusions = load_confusions(str(ambiguities)) if ambiguities and vie else ()
    known = load_attested(tuple(str(p) for p in attested)) if attested and vie else None
    starts = _sentence_starts(lines)
    context = _neighbours(lines) if known is not None else {}
    firsts = [words[0][0].strip(_EDGE)[:1] for _, _, words in lines if words and words[0][0].strip(_EDGE)]
    verse = sum(f.isupper() for f in firsts) * 2 > len(firsts)  # verse, lists: every line starts capitalised
    flat = [w for _, _, words in lines for w, _, _ in words]
    offsets = [0]
    for _, _, words in lines:
        offsets.append(offsets[-1] + len(words))

    def prev_word(ln: int, wn: int) -> str:
        k = offsets[ln] + wn
        return unicodedata.normalize("NFC", flat[k - 1]) if k else ""
    flags: list[Flag] = []
    for ln, (text, lbox, words) in enumerate(lines):
        if _SYMBOL_RUN.search(text):
            flags.append(Flag("garbage", "medium", "line", f"symbol run in “{text[:60]}”", page, ln, bbox=tuple(lbox)))
        chars = sum(len(w) for w, _, _ in words)
        mean = sum(c * len(w) for w, _, c in words) / chars if chars else None
        if mean is not None and mean < line_low:
            flags.append(Flag("low_line_confidence", "medium", "line",
                              f"line read with mean confidence {mean:.0f}: “{text[:60]}”", page, ln,
                              bbox=tuple(lbox), details={"confidence": round(mean, 1)}))
        unknown = unknown_words([(w, starts[ln][k]) for k, (w, _, _) in enumerate(words)]) if eng else set()
        for wn, (word, box, conf) in enumerate(words):
            token = unicodedata.normalize("NFC", word)
            if conf < low:
                sev = "high" if conf < very_low else "medium"
                flags.append(Flag("low_confidence", sev, "word", f"“{token}” read with confidence {conf:.0f}",
                                  page, ln, wn, bbox=tuple(box), details={"confidence": conf}))
            elif ((alt := alternatives.get((ln, wn))) and alt[1] >= alt_low and _plausible(alt[0], vie, eng, token)
                  and _as_likely(alt[0], token, vie, eng, known, context.get((ln, wn), (None, None)), alt[1], conf)):
                other = f"“{alt[0]}”" if alt[0] else "another character"
                flags.append(Flag("close_alternative", "low", "word",
                                  f"“{token}” could also read {other} (Tesseract's second choice, "
                                  f"confidence {alt[1]:.0f})", page, ln, wn, bbox=tuple(box),
                                  details={"suggestion": alt[0], "alternative_confidence": alt[1],
                                           "confidence": conf}))
            if len(_scripts(token)) > 1:
                flags.append(Flag("mixed_script", "high", "word",
                                  f"“{token}” mixes {', '.join(sorted(_scripts(token)))}",
                                  page, ln, wn, bbox=tuple(box)))
            core = token.strip(_EDGE)
            if wn in unknown:
                flags.append(Flag("unknown_word", "low", "word", f"“{core}” is not in the English dictionary",
                                  page, ln, wn, bbox=tuple(box), details={"confidence": conf}))
            if _DIGIT_IN_WORD.search(core) and not _DIGIT_OK.match(core):
                flags.append(Flag("digit_in_word", "medium", "word", f"“{core}” mixes digits into letters",
                                  page, ln, wn, bbox=tuple(box), details={"confidence": conf}))
            elif _ODD_CHAR.search(core):
                flags.append(Flag("odd_character", "medium", "word", f"“{core}” has a character words do not have",
                                  page, ln, wn, bbox=tuple(box), details={"confidence": conf}))
            if (_unexpected_capital(token, wn, words, prev_word(ln, wn), verse, vie)
                    and not _name_like(core, vie, known)):
                flags.append(Flag("unexpected_capital", "low", "word", f"“{core}” is capitalised inside a sentence",
                                  page, ln, wn, bbox=tuple(box), details={"confidence": conf}))
            if not vie or not core:
                continue
            valid = core.isalpha() and is_valid_syllable(core)
            # foreign words read well are expected in Vietnamese text (names, "online", "game")
            foreign = core.isascii() and conf >= low and (core[0].isupper() or not unknown_words([(core, False)]))
            if core.isalpha() and not core.isupper() and len(core) <= 7 and not valid and not foreign:
                flags.append(Flag("invalid_syllable", "medium", "word", f"“{core}” is not a Vietnamese syllable",
                                  page, ln, wn, bbox=tuple(box)))
            if confusions and not foreign:
                hits, fixed = known_confusions(core, confusions)
                # a well-formed syllable is suspect only for a whole-word entry ("cũa" -> "của")
                if hits and (not valid or any(h.pattern.strip() == core for h in hits)):
                    flags.append(Flag("known_confusion", "medium", "word",
                                      f"“{core}” has a known OCR confusion; perhaps “{fixed}”", page, ln, wn,
                                      bbox=tuple(box), details={"patterns": [h.pattern for h in hits],
                                                                "suggestion": fixed}))
            if known is not None and valid:
                key = syllable_key(core)
                # a capitalised syllable inside a sentence or beside another is a name ("Sài Gòn"):
                # names are the syllables attested texts lack most, and not misreadings
                named = core[:1].isupper() and (not starts[ln][wn] or _next_capitalised(words, wn))
                if key not in known.syllables and not named:
                    flags.append(Flag("unattested_syllable", "low", "word",
                                      f"“{core}” is a possible syllable but not an attested one", page, ln, wn,
                                      bbox=tuple(box), details={"confidence": conf}))
                elif (better := _better_marks(key, context.get((ln, wn), (None, None)), known)):
                    flags.append(Flag("diacritic_suspect", "low", "word",
                                      f"“{core}” next to its neighbours is unattested; “{better}” is attested there",
                                      page, ln, wn, bbox=tuple(box),
                                      details={"suggestion": better, "confidence": conf}))
    return flags


def _next_capitalised(words, wn: int) -> bool:
    return wn + 1 < len(words) and words[wn + 1][0].strip(_EDGE)[:1].isupper()


def _usual_case(word: str) -> bool:
    return word.islower() or word.isupper() or (word[:1].isupper() and word[1:].islower()) or not word.isalpha()


def _plausible(alternative: str | None, vie: bool, eng: bool, read: str | None = None) -> bool:
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


def _as_likely(alternative: str | None, read: str, vie: bool, eng: bool, known, around,
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
        from .spelling import word_frequency

        fr = word_frequency(core)
        return not fr or word_frequency(alt) >= fr
    return True


# English month and weekday names are capitalised wherever they stand (language-specific: English)
_EN_ALWAYS_CAPITAL = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
                      "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
                      "saturday", "sunday"}
# Vietnamese words after which a capitalised syllable is a name (language-specific: Vietnamese):
# titles and kinship terms, countries and places, bodies of the state ("nước Mỹ", "tỉnh Quảng",
# "ông Kiếm", "Bộ Ngoại giao").
_VI_NAME_BEFORE = {"ông", "bà", "anh", "chị", "cô", "chú", "bác", "em", "cụ", "đồng", "chí", "nước", "người",
                   "tỉnh", "huyện", "xã", "thôn", "làng", "sông", "núi", "phố", "đường", "quận", "phường", "miền",
                   "khu", "đảo", "vùng", "thành", "thủ", "đô", "bộ", "cục", "sở", "ban", "vụ", "đảng", "quân",
                   "tướng", "đại", "tá", "trung", "thiếu", "thượng", "tổng", "thống", "chủ", "tịch", "hội", "viện",
                   "trường", "báo", "hãng", "tập", "đoàn", "sư", "tiểu", "mặt", "trận", "chiến", "dịch"}


# Bodies of the Vietnamese state and party, capitalised as names in administrative papers ("gửi Cục
# Tình báo", "Bộ Chính trị"), even where the attested texts write them in lower case (Vietnamese)
_VI_BODIES = {"cục", "bộ", "sở", "ban", "vụ", "viện", "đảng", "khu", "quân", "ủy", "uỷ", "trung", "thường",
              "chính", "tổng", "hội", "mặt", "nhà", "quốc", "tỉnh", "thành"}


def _shouting(core: str, wn: int, words) -> bool:
    """A Vietnamese syllable in capitals amid lower-case words ("Thường trực BỘ Chính trị"): a
    misread case, not an acronym (those are not syllables and carry no marks: "UBND")."""
    if len(core) < 2 or not core.isalpha() or not core.isupper() or not is_valid_syllable(core.lower()):
        return False
    if core.isascii():
        return False  # "MY", "TO": could be an acronym or an English word
    near = [words[k][0].strip(_EDGE) for k in (wn - 1, wn + 1) if 0 <= k < len(words)]
    return bool(near) and all(n and not n.isupper() for n in near)


def _name_like(core: str, vie: bool, known) -> bool:
    """A capitalised word that is a name, not a misreading: an English month or weekday; a
    Vietnamese syllable the attested texts write capitalised inside phrases ("Mỹ", "Cục")."""
    if core.lower() in _EN_ALWAYS_CAPITAL and not vie:
        return True
    if vie and core.isupper():
        return False  # in capitals amid lower case: see _shouting
    if vie and syllable_key(core) in _VI_BODIES:
        return True
    return bool(vie and known is not None and known.is_name(syllable_key(core)))


_DIGIT_IN_WORD = re.compile(r"\d[^\W\d_]|[^\W\d_]\d")
# years and counts with a suffix (1960s, 3rd, 10km), chemical formulas and codes (CO2, B-52)
_DIGIT_OK = re.compile(r"^(?:\d+(?:s|st|nd|rd|th|km|kg|cm|mm|m|g|h|am|pm|tr|k)|[A-Z][A-Z0-9-]*\d[A-Z0-9]*|\d+[A-Z]+)$")
_ODD_CHAR = re.compile(r"[^\w\-'’/.,%&:+]")


def _unexpected_capital(token: str, wn: int, words, before_word: str, verse: bool, vie: bool) -> bool:
    """A capitalised word where a sentence does not start and no name is likely: alone between
    lower-case words ("ký Ức là") or opening a line of prose straight after a word with no
    punctuation at all."""
    core = token.strip(_EDGE)
    if vie and _shouting(core, wn, words):
        return True
    if len(core) < 2 or not core[0].isupper() or not core[1:].islower() or core != token or not core.isalpha():
        return False
    if not before_word or not before_word[-1].isalpha():
        return False
    if wn == 0 and verse:
        return False
    after = words[wn + 1][0].strip(_EDGE) if wn + 1 < len(words) else ""
    before = words[wn - 1][0].strip(_EDGE) if wn else ""
    if (after[:1].isupper()) or (before[:1].isupper()):
        return False  # part of a name of several words (Sơn Tây, New York)
    if vie:  # Vietnamese prose lines may open a sentence left without a full stop: mid-line only
        return wn > 0 and is_valid_syllable(core) and before.lower() not in _VI_NAME_BEFORE
    # English capitalises names anywhere: only a common word capitalised mid-sentence ("the Team
    # is", "of The") is a misreading, not a name ("the Politburo"); >= 1e6 in pyspellchecker's
    # list is the function and everyday words (English only)
    from .spelling import word_frequency

    return not unknown_words([(core.lower(), False)]) and word_frequency(core) >= 1_000_000


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


def _neighbours(lines) -> dict[tuple[int, int], tuple[str | None, str | None]]:
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


def _better_marks(key: str, around: tuple[str | None, str | None], known) -> str | None:
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
