"""Bilingual lexicon: Vietnamese phrases <-> English word stems, both directions.

Loads FVDP JSON dumps and Wiktionary "en<TAB>vi" pair lists from configured paths, plus the
project's own glossary. Vietnamese is matched longest phrase first (up to 4 syllables), with a
fallback on the text without diacritics for unaccented or damaged (OCR) text.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from .textprep import normalize_vi, strip_marks

GLOSSARY = Path(__file__).with_name("glossary_vi_en.tsv")
MAX_PHRASE = 4
EN_STOP = frozenset("""a an the of to in on at by for from with and or but not no nor as is are was were be been
being it its this that these those which who whom whose what when where why how there here than then so such
we our us you your he him his she her they them their i me my mine one ones all any some each every other
more most much many very can could will would shall should may might must do does did done have has had having
up down out over under into onto about after before again also only just even still yet if because while
own same both either neither per via etc""".split())
VI_FUNCTION = frozenset("""của và các những là được có đã sẽ đang này đó ấy cho với trong ở tại thì mà nhưng
hay hoặc cũng rất lại ra vào lên xuống đến tới từ về theo như để nếu khi vì do bởi nên một hai cái chiếc sự việc
thì rồi chưa không chẳng đều vẫn còn nữa""".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


def en_stem(word: str) -> str:
    """A crude, language-agnostic stem: lower case, possessive dropped, cut to 6 letters."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w[:6]


def en_tokens(text: str) -> list[str]:
    return [en_stem(w) for w in _WORD.findall(text) if w.lower() not in EN_STOP and len(w) > 1]


_VI_TOKEN = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)


@functools.lru_cache(maxsize=65536)
def _plain(syllable: str) -> str:
    return strip_marks(syllable)


def vi_syllables(text: str) -> list[str]:
    """Lower-case syllables; numbers stay as tokens so no phrase spans them."""
    return [s.lower() for s in _VI_TOKEN.findall(normalize_vi(text))]


class Lexicon:
    def __init__(self) -> None:
        self.vi_en: dict[str, set[str]] = {}
        self.plain_vi_en: dict[str, set[str]] = {}  # keys without diacritics
        self.en_vi: dict[str, set[str]] = {}
        self.longest: dict[str, int] = {}  # first syllable (without marks) -> longest phrase it starts

    def add(self, vi: str, english: str) -> None:
        key = " ".join(vi_syllables(vi))
        stems = set(en_tokens(english))
        if not key or not stems or len(key.split()) > MAX_PHRASE:
            return
        self.vi_en.setdefault(key, set()).update(stems)
        plain = strip_marks(key)
        self.plain_vi_en.setdefault(plain, set()).update(stems)
        first, size = plain.split(" ", 1)[0], key.count(" ") + 1
        if self.longest.get(first, 0) < size:
            self.longest[first] = size
        for st in stems:
            self.en_vi.setdefault(st, set()).add(key)

    def __len__(self) -> int:
        return len(self.vi_en)

    def units(self, text: str) -> list[tuple[str, frozenset[str]]]:
        """Vietnamese content units of a text, longest lexicon match first, each with the English
        stems it may translate to (empty when the lexicon does not know it)."""
        syl = vi_syllables(text)
        plain = [_plain(x) for x in syl]
        out: list[tuple[str, frozenset[str]]] = []
        i = 0
        digit = [x.isdigit() for x in syl]
        while i < len(syl):
            for n in range(min(self.longest.get(plain[i], 1), len(syl) - i), 0, -1):
                if n > 1 and any(digit[i:i + n]):
                    continue
                # every exact key also has its unmarked form, so a miss there is a miss for both
                fallback = self.plain_vi_en.get(" ".join(plain[i:i + n]))
                if fallback is None:
                    continue
                key = " ".join(syl[i:i + n])
                stems = self.vi_en.get(key) or fallback
                if stems is not None:
                    if not (n == 1 and key in VI_FUNCTION):
                        out.append((key, frozenset(stems)))
                    i += n
                    break
            else:
                if syl[i] not in VI_FUNCTION and not syl[i].isdigit():
                    out.append((syl[i], frozenset()))
                i += 1
        return out

    def vi_keys_for(self, stems: list[str]) -> set[str]:
        keys: set[str] = set()
        for st in stems:
            keys |= self.en_vi.get(st, set())
        return keys


def _load_glossary(lex: Lexicon) -> None:
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        vi, _, en = line.partition("\t")
        for gloss in en.split(";"):
            lex.add(vi, gloss)


def _load_fvdp(lex: Lexicon, path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for headword, entry in data.items():
        if headword.startswith("00-") or not isinstance(entry, dict):
            continue
        for definition in entry.get("definitions", []):
            for line in str(definition).splitlines():
                if line.startswith("- "):  # glosses; '=' lines are examples, '*' parts of speech
                    gloss = re.sub(r"\([^)]*\)", " ", line[2:])
                    for part in re.split(r"[,;]", gloss)[:6]:
                        lex.add(headword, part)


def _load_pairs(lex: Lexicon, path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        en, _, vi = line.partition("\t")
        if vi and re.search(r"[a-zA-ZđĐ]", vi) and not re.search(r"[\u2e80-\u9fff]", vi):
            lex.add(vi, en)


def load_lexicon(paths: tuple[str, ...] = ()) -> Lexicon:
    """The glossary plus each file in ``paths`` (FVDP .json or Wiktionary pairs .txt)."""
    return _load(tuple(str(p) for p in paths))


@functools.cache
def _load(paths: tuple[str, ...]) -> Lexicon:
    lex = Lexicon()
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"lexicon file not found: {path}")
        if path.suffix == ".json":
            _load_fvdp(lex, path)
        else:
            _load_pairs(lex, path)
    _load_glossary(lex)  # last, so the domain's senses are always present
    return lex
