"""The line-level decision (qa.flags.decision): a line's flags are kept only when the rules'
evidence on it, combined by the fitted model, passes the threshold; reviewers still get the word
flags with their reasons, and the line's score."""

from __future__ import annotations

import pytest

from bench.flags_bench import AMBIGS, SYLLABLE_SOURCES
from qa.flags import flag_lines, flag_page, flag_words
from qa.flags.decision import COEFFICIENTS, LEXICON_FEATURES, NEUTRAL_FEATURES, THRESHOLD, line_score

needs_shared = pytest.mark.skipif(not AMBIGS.exists(), reason="shared data not present")


def _line(text: str, y: int, confs: dict[str, float] | None = None, default: float = 96.0):
    words = [(w, (k * 60, y, k * 60 + 50, y + 40), (confs or {}).get(w, default)) for k, w in enumerate(text.split())]
    return (text, (0, y, 60 * len(words), y + 40), words)


def test_the_models_use_the_features_they_were_fitted_on():
    assert set(COEFFICIENTS["lexicon"]) == set(LEXICON_FEATURES)
    assert set(COEFFICIENTS["neutral"]) == set(NEUTRAL_FEATURES)
    assert all(0 < t < 1 for t in THRESHOLD.values())
    quiet = dict.fromkeys(LEXICON_FEATURES, 0.0)
    loud = quiet | {"strong": 1.0, "unsupported_gap": 0.6, "unsupported_low": 1.0, "mean_gap": 0.2}
    assert line_score(quiet, "lexicon") < THRESHOLD["lexicon"] < line_score(loud, "lexicon")


@needs_shared
def test_a_doubt_the_lexicon_backs_is_dropped_and_a_misreading_kept():
    page = [_line("chúng ta đang sống trong một thế giới rất khác", 0, {"giới": 88.0}),
            _line("những người dân ở đây đã làm việc rất chăm chỉ", 50),
            _line("và chúng tôi đã nghiên cứu vấn đề này rất lâu", 100),
            _line("họ nói rằng cuộc sông ở thành phố rất khó khăn", 150, {"sông": 52.0, "khó": 70.0})]
    options = {"ambiguities": AMBIGS, "attested": SYLLABLE_SOURCES}
    every = flag_words(1, page, "vie", **options)
    kept = flag_lines(1, page, "vie", **options)
    assert {(f.line_number, f.word) for f in every if f.type == "low_confidence"} == {(0, 7), (3, 4), (3, 9)}
    assert {f.line_number for f in kept} == {3}  # "giới" at 88 in an attested phrase: not worth a look
    assert {(f.type, f.word) for f in kept} >= {("low_confidence", 4)}
    assert all(f.details["line_score"] >= THRESHOLD["lexicon"] for f in kept)
    assert {(f.type, f.line_number, f.word) for f in kept} <= {(f.type, f.line_number, f.word) for f in every}
    assert flag_page(1, page, "vie", **options) == kept


def test_the_page_unreadable_flag_stands_in_for_the_decision():
    bad = [_line(f"slovo{k} slovo{k + 1} slovo{k + 2}", 50 * k, default=30.0) for k in range(6)]
    flags = flag_page(2, bad, "ces")
    assert [(f.type, f.severity, f.level) for f in flags] == [("page_unreadable", "critical", "page")]


def test_the_fit_recovers_a_known_logistic_model_and_picks_the_threshold_for_the_aim():
    import numpy as np

    from bench.flags_fit import fit, score, threshold

    rng = np.random.default_rng(5)
    x = rng.normal(size=(4000, 2)) * [1.0, 3.0]
    y = (rng.random(4000) < 1 / (1 + np.exp(-(1.5 * x[:, 0] - 0.5 * x[:, 1] + 0.3)))).astype(float)
    coef, b = fit(x, y, l2=0.0)
    assert np.allclose(coef, [1.5, -0.5], atol=0.15) and abs(b - 0.3) < 0.15
    s = score(x, coef, b)
    t = threshold(s, y, np.ones(len(y), bool), aim=0.9)
    assert ((s >= t) & (y == 1)).sum() >= 0.9 * y.sum() > ((s > t) & (y == 1)).sum() - 1


@needs_shared
def test_a_syllable_in_capitals_amid_lower_case_keeps_its_line_on_a_clean_page():
    options = {"ambiguities": AMBIGS, "attested": SYLLABLE_SOURCES}
    page = [_line("chúng ta đang sống trong một thế giới rất khác", 0),
            _line("Thường trực BỘ Chính trị", 50),
            _line("và chúng tôi đã nghiên cứu vấn đề này rất lâu", 100)]
    kept = flag_lines(1, page, "vie", **options)
    assert [(f.type, f.line_number, f.word) for f in kept] == [("unexpected_capital", 1, 2)]
    assert kept[0].details["capitals_amid_lower_case"]
    right = [page[0], _line("Thường trực Bộ Chính trị", 50), page[2]]
    assert not flag_lines(1, right, "vie", **options)
