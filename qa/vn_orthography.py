"""Is a token a well-formed Vietnamese syllable? A rule-based check of onset, rhyme and tone.

A syllable is (onset)(medial)nucleus(coda) + one tone. Rules checked: the onset is one of the
language's initials (with gi/qu handled), the rhyme is one the language has, and a stop coda
(c, ch, p, t) takes only the sắc or nặng tone.
"""

from __future__ import annotations

import re
import unicodedata

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
    word = token.strip(".,;:!?\"'()[]«»“”‘’-–—…")
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
