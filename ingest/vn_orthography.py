"""Is a token a well-formed Vietnamese syllable? A rule-based check of onset, rhyme and tone.

A syllable is (onset)(medial)nucleus(coda) + one tone. Rules checked: the onset is one of the
language's initials (with gi/qu handled), the rhyme is one the language has, and a stop coda
(c, ch, p, t) takes only the sắc or nặng tone.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ingest.align.textprep import canonical_tones, strip_marks

TONE_MARKS = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}
ONSETS = sorted("b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split(), key=len, reverse=True)
# Rhymes without tone (vowel letters keep their quality marks: â ă ê ô ơ ư).
RHYMES = set("""a ac ach ai am an ang anh ao ap at au ay ă ăc ăm ăn ăng ăp ăt â âc âm ân âng âp ât âu ây
e ec em en eng eo ep et ê êch êm ên ênh êp êt êu i ia ich iêc iêm iên iêng iêp iêt iêu im in inh ip it iu
o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oc oe oen oeo oet oi om on ong
oong op ot ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt u ua uân uâng uât uây uc uê uênh uêch uy uya uych
uyên uyêt uyn uynh uyt uyu ui um un ung uôc uôi uôm uôn uông uôt up ut ư ưa ưc ưi ưng ưt ưu ươc ươi ươm
ươn ương ươp ươt ươu uơ y yêm yên yêng yêt yêu""".split())
STOP_CODAS = ("ch", "c", "p", "t")
# Punctuation a token may carry at either end ("tiên," "“Khi"): not part of the word
PUNCTUATION = ".,;:!?\"'()[]«»“”‘’-–—…"
_LETTERS = re.compile(r"^[^\W\d_]+$")


def split_tone(syllable: str) -> tuple[str, str | None]:
    """The syllable without its tone mark (NFC), and the tone's name (None: ngang)."""
    d = unicodedata.normalize("NFD", syllable.lower())
    tones = [c for c in d if c in TONE_MARKS]
    base = unicodedata.normalize("NFC", "".join(c for c in d if c not in TONE_MARKS))
    if len(tones) > 1:
        return base, "several"
    return base, TONE_MARKS[tones[0]] if tones else None


def is_valid_syllable(token: str) -> bool:
    word = token.strip(PUNCTUATION)
    if not word or not _LETTERS.match(word):
        return False
    base, tone = split_tone(word)
    if tone == "several":
        return False
    onset = next((o for o in ONSETS if base.startswith(o)), "")
    rhyme = base[len(onset):]
    if onset == "gi" and (not rhyme or rhyme[0] not in "aăâeêoôơuưy"):
        onset, rhyme = "g", base[1:]  # "gì", "gìn": the i is the nucleus
    if onset == "qu" and not rhyme:
        return False
    if rhyme not in RHYMES:
        return False
    if onset in ("k", "gh", "ngh") and rhyme[0] not in "eêiy":
        return False
    if onset in ("c", "g", "ng") and rhyme[0] in "eêi" and onset != "g":
        return False
    if rhyme.endswith(STOP_CODAS) and tone not in ("sắc", "nặng"):
        return False
    return True


def syllable_key(token: str) -> str:
    """A syllable as looked up among attested ones: lower case, NFC, one tone-mark placement."""
    return canonical_tones(unicodedata.normalize("NFC", token.lower()))


_TOKEN = re.compile(r"[^\W\d_]+")


def _texts(path: Path):
    """The Vietnamese text of one source: IWSLT XML (seg elements), FVDP JSON (headwords and
    the Vietnamese side of example lines), or Wiktionary pairs (english<TAB>vietnamese)."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        yield from re.findall(r"<seg[^>]*>(.*?)</seg>", raw, flags=re.S)
    elif path.suffix == ".json":
        import json

        for headword, entry in json.loads(raw).items():
            if headword.startswith("00-") or not isinstance(entry, dict):
                continue
            yield headword
            for definition in entry.get("definitions", []):
                for line in str(definition).splitlines():
                    if line.startswith("="):
                        yield line[1:].split("+", 1)[0]
    else:
        for line in raw.splitlines():
            vi = line.partition("\t")[2]
            if vi and not re.search(r"[\u2e80-\u9fff]", vi):
                yield vi


_PHRASE_BREAK = re.compile(r"[^\w\s]+")


def plain(syllable: str) -> str:
    """The letters without any mark (đ -> d): what a diacritic misreading leaves unchanged."""
    return strip_marks(syllable.lower())


@dataclass(frozen=True)
class Attested:
    """Syllables and adjacent syllable pairs seen in real Vietnamese text."""

    syllables: dict  # syllable -> occurrences
    pairs: dict  # (syllable, next syllable) -> occurrences
    by_plain: dict  # plain letters -> attested syllables written with them
    capitalised: dict = field(default_factory=dict)  # syllable -> occurrences written capitalised inside a phrase

    def is_name(self, key: str) -> bool:
        """Written capitalised inside phrases often enough to be (part of) a name: "Mỹ", "Cục".
        0.3: "cục" is mostly lower case in running text but a department's name in archive
        papers; "Mỹ" is capitalised in nearly all of its IWSLT dev2010 occurrences."""
        caps = self.capitalised.get(key, 0)
        return caps >= 2 and caps >= 0.3 * self.syllables.get(key, caps)

    def support(self, key: str, around: tuple[str | None, str | None]) -> tuple[int, int]:
        """How well attested a syllable is here: (pairs with its neighbours, occurrences)."""
        before, after = around
        pairs = (self.pairs.get((before, key), 0) if before else 0) + (self.pairs.get((key, after), 0) if after else 0)
        return pairs, self.syllables.get(key, 0)

    def variants(self, key: str) -> tuple[str, ...]:
        """Other attested syllables with the same letters and different marks (chi: chỉ, chí, chì)."""
        return tuple(v for v in self.by_plain.get(plain(key), ()) if v != key)


@functools.cache
def load_attested(paths: tuple[str, ...]) -> Attested:
    """Syllables and syllable pairs attested in the given Vietnamese texts (read at run time; the
    data stays outside the project). Only well-formed syllables count, so English words in the
    texts do not; a pair is two syllables with nothing but a space between them."""
    syllables: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    capitalised: dict[str, int] = {}
    for p in paths:
        for text in _texts(Path(p)):
            for chunk in _PHRASE_BREAK.split(unicodedata.normalize("NFC", text)):
                prev = None
                for n, tok in enumerate(_TOKEN.findall(chunk)):
                    key = syllable_key(tok)
                    if key in syllables or is_valid_syllable(key):
                        syllables[key] = syllables.get(key, 0) + 1
                        if n and tok[:1].isupper() and tok[1:].islower():
                            capitalised[key] = capitalised.get(key, 0) + 1
                        if prev:
                            pairs[(prev, key)] = pairs.get((prev, key), 0) + 1
                        prev = key
                    else:
                        prev = None
    by_plain: dict[str, list[str]] = {}
    for s in sorted(syllables):
        by_plain.setdefault(plain(s), []).append(s)
    return Attested(syllables, pairs, {k: tuple(v) for k, v in by_plain.items()}, capitalised)
