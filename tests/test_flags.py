import sys

from qa.flags import flag_links, flag_words
from qa.vn_orthography import is_valid_syllable
from tests.conftest import EXAMPLES

sys.path.insert(0, str(EXAMPLES))
from texts import CABLE_417_VI, CABLE_418_VI  # noqa: E402


def test_real_vietnamese_is_valid_and_ocr_garbage_is_not():
    words = [w.strip(".,:;()") for w in (CABLE_417_VI + CABLE_418_VI).split()]
    words = [w for w in words if w.isalpha() and not w.isupper()]
    assert all(is_valid_syllable(w) for w in words), [w for w in words if not is_valid_syllable(w)]
    for bad in ("chinhf", "tríx", "nguờiq", "ác̀", "kóc", "cé", "ngi", "thàc", "qu"):
        assert not is_valid_syllable(bad), bad


def test_word_rules_give_evidence_and_boxes():
    line = ("Bộ Chinhf trị Вộ ▓▓▓", (0, 0, 500, 40),
            [("Bộ", (0, 0, 40, 40), 96.0), ("Chinhf", (50, 0, 150, 40), 35.0), ("trị", (160, 0, 200, 40), 91.0),
             ("Вộ", (210, 0, 250, 40), 90.0), ("▓▓▓", (260, 0, 330, 40), 80.0)])
    flags = flag_words(3, [line], "vie")
    kinds = {(f.type, f.word) for f in flags}
    assert ("low_confidence", 1) in kinds and ("invalid_syllable", 1) in kinds
    assert ("mixed_script", 3) in kinds and any(f.type == "garbage" for f in flags)
    low = next(f for f in flags if f.type == "low_confidence")
    assert low.severity == "high" and low.page == 3 and low.bbox == (50, 0, 150, 40) and "35" in low.evidence
    assert not [f for f in flag_words(1, [line], "eng") if f.type == "invalid_syllable"]


def test_link_rules():
    source = ["Trước ngày 15 tháng 11 năm 1968 gửi 1.250 tấn gạo.", "TUYỆT MẬT", "Chúng tôi đồng ý.",
              "Đoàn đại biểu sẽ đến Pa-ri."]
    target = ["Before November 16, 1968 send 1,250 tons of rice.", "We agree.", "Extra sentence the translator added."]
    links = [([0], [0], 0.95), ([1], [], 0.0), ([2], [1], 0.3), ([3], [], 0.0), ([], [2], 0.0)]
    flags = flag_links(links, source, target)
    by_link = {(f.type, f.link) for f in flags}
    assert ("anchor_mismatch", 0) in by_link  # 15 vs 16 November
    assert ("low_link_confidence", 2) in by_link
    assert ("one_sided_link", 3) in by_link and ("one_sided_link", 4) in by_link
    assert ("one_sided_link", 1) not in by_link  # a classification header is expected on one side only
    mismatch = next(f for f in flags if f.type == "anchor_mismatch")
    assert mismatch.details == {"source_only": ["d:1968-11-15"], "target_only": ["d:1968-11-16"]}
