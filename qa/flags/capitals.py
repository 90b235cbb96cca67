"""Capitals where a sentence does not start: names and months are not misreadings, a common word
or a Vietnamese syllable in capitals amid lower case is (rule unexpected_capital)."""

from __future__ import annotations

from ingest.vn_orthography import PUNCTUATION as _EDGE
from ingest.vn_orthography import is_valid_syllable, syllable_key

from ..spelling import unknown_words
from .registry import Hit, PageContext, rule

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


def name_like(core: str, vie: bool, known) -> bool:
    """A capitalised word that is a name, not a misreading: an English month or weekday; a
    Vietnamese syllable the attested texts write capitalised inside phrases ("Mỹ", "Cục")."""
    if core.lower() in _EN_ALWAYS_CAPITAL and not vie:
        return True
    if vie and core.isupper():
        return False  # in capitals amid lower case: see _shouting
    if vie and syllable_key(core) in _VI_BODIES:
        return True
    return bool(vie and known is not None and known.is_name(syllable_key(core)))




def unexpected_capital(token: str, wn: int, words, before_word: str, verse: bool, vie: bool) -> bool:
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
    from ..spelling import word_frequency

    return not unknown_words([(core.lower(), False)]) and word_frequency(core) >= 1_000_000


@rule("unexpected_capital", "low", "word")
def unexpected_capital_rule(ctx: PageContext, ln: int, wn: int) -> Hit | None:
    """A capital where a sentence does not start and no name or month explains it (Vietnamese
    syllables and names, English words and months)."""
    w = ctx.word(ln, wn)
    if (unexpected_capital(w.token, wn, ctx.words(ln), ctx.prev_word(ln, wn), ctx.verse, ctx.vie)
            and not name_like(w.core, ctx.vie, ctx.known)):
        details: dict = {"confidence": w.conf}
        if ctx.vie and _shouting(w.core, wn, ctx.words(ln)):
            details["capitals_amid_lower_case"] = True  # the line decision keeps these (qa.flags.decision)
        return Hit(f"“{w.core}” is capitalised inside a sentence", details)
    return None
