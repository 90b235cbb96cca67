"""OCR benchmark in the test suite: the metrics, the page generator, and an accuracy regression
bound on a few generated pages per level read by the pipeline (no timing assertions)."""

import unicodedata
from dataclasses import replace

import numpy as np
import pytest

from bench.ocr_metrics import (
    Score,
    cer,
    diacritic_share,
    normalize,
    score,
    strip_marks,
    wer,
)
from bench.pagegen import LEVELS, MIDDLE, generate, glyph, typewriter_fonts

# --- metrics ---------------------------------------------------------------------------------


def test_cer_and_wer_on_nfc_text_with_whitespace_collapsed():
    assert cer("Bộ Chính trị", "Bộ Chính trị") == 0.0
    assert cer("Bộ  Chính\ntrị ", "Bộ Chính trị") == 0.0
    assert cer(unicodedata.normalize("NFD", "Bộ Chính trị"), "Bộ Chính trị") == 0.0
    assert cer("Bo Chinh tri", "Bộ Chính trị") == pytest.approx(3 / 12)
    assert wer("a b c", "a x c") == pytest.approx(1 / 3)
    assert wer("", "a b") == 1.0
    assert cer("anything", "") == 8.0  # nothing to read: every character read is an error
    assert normalize(" a \n\n b ") == "a b"


def test_diacritics_only_share():
    assert strip_marks("Đường Hồ Chí Minh, ưỡn") == "Duong Ho Chi Minh, uon"
    assert diacritic_share("Bo Chinh tri", "Bộ Chính trị") == 1.0  # all three errors are marks
    assert diacritic_share("Xộ Chính trị", "Bộ Chính trị") == 0.0  # a wrong letter, marks right
    assert diacritic_share("Xo Chính trị", "Bộ Chính trị") == pytest.approx(0.5)
    assert diacritic_share("Bộ Chính trị", "Bộ Chính trị") == 0.0
    assert diacritic_share("duong", "đường") == 1.0


def test_scores_pool_character_weighted():
    a, b = score("abcd", "abcx"), score("", "yyyyyyyy")
    total = a + b
    assert (total.char_errors, total.ref_chars) == (9, 12)
    assert total.cer == pytest.approx(9 / 12)
    assert Score() + a == a


# --- generator -------------------------------------------------------------------------------


def test_fonts_cover_vietnamese_and_marks_split_from_letters():
    fonts = typewriter_fonts()
    assert any("FreeMono" in f[0] for f in fonts)
    path, _w, size, stroke = fonts[0]
    letter, mark = glyph(path, size, stroke, "ộ")
    assert letter is not None and mark is not None  # ô is a key; the dot below is a dead key
    assert glyph(path, size, stroke, "ô")[1] is None


def test_generator_is_deterministic_with_line_ground_truth():
    first = next(generate(levels=LEVELS[2:3], per_level=1, seed=3, lines_per_page=5))
    again = next(generate(levels=LEVELS[2:3], per_level=1, seed=3, lines_per_page=5))
    assert first.lines == again.lines and len(first.lines) == 5
    assert all(line == unicodedata.normalize("NFC", line) and line == " ".join(line.split()) for line in first.lines)
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert first.lang == "vie" and first.level == "2-faded" and first.image.info["dpi"] == (first.dpi, first.dpi)


# --- accuracy regression ---------------------------------------------------------------------

# Pooled CER the pipeline must not cross on these pages (seed 5, two pages a level, 10 lines each;
# the two 4-hard pages are upside down). Measured 2026-11-25 with Tesseract 5.3.0: 0.00%, 0.72%,
# 0.57%, 0.43%, 3.45%; the bounds leave room for Tesseract and OpenCV version noise, and keep the
# middle levels under the 3% target.
BOUNDS = {"0-clean": 0.01, "1-light": 0.02, "2-faded": 0.02, "3-carbon": 0.02, "4-hard": 0.08}


def _read(pages):
    from ingest.pipeline import ocr_image

    return [(page, ocr_image(page.image, lang=page.lang, dpi=page.dpi)) for page in pages]


@pytest.fixture(scope="module")
def readings():
    return _read(generate(per_level=2, seed=5, lines_per_page=10))


def test_pipeline_stays_under_cer_bound_per_level(readings):
    pooled: dict[str, Score] = {}
    for page, text in readings:
        pooled[page.level] = pooled.get(page.level, Score()) + score(
            "\n".join(line.text for line in text.lines), "\n".join(page.lines))
    assert set(pooled) == {level.name for level in LEVELS}
    over = {level: round(s.cer, 4) for level, s in pooled.items() if s.cer > BOUNDS[level]}
    assert not over, f"CER above the bound: {over} (bounds {BOUNDS})"
    assert all(pooled[m].cer <= 0.03 for m in MIDDLE)


def test_pipeline_turns_pages_upright(readings):
    # the generator turns a page `turn` degrees clockwise; the pipeline reports the clockwise turn back
    wrong = [(page.level, page.turn, text.rotation) for page, text in readings if text.rotation != -page.turn % 360]
    assert not wrong, f"(level, turned, turned back): {wrong}"


def test_hard_sideways_page_is_turned_the_right_way():
    sideways = replace(LEVELS[-1], turn=(90,))
    [(page, text)] = _read(generate(levels=(sideways,), per_level=1, seed=5, lines_per_page=10))
    assert text.rotation == 270
    assert score("\n".join(line.text for line in text.lines), "\n".join(page.lines)).cer <= BOUNDS["4-hard"]


def test_sideways_page_is_not_turned_half_way_on_one_junk_word():
    # Read as it came, this 4-hard page turned 90 degrees gives no words; turned 180, one word at
    # confidence 70. That half turn was once applied (junk out, 70+ overlapping lines); it is not
    # evidence: OSD is asked and both quarter turns read.
    sideways = replace(LEVELS[-1], turn=(90,))
    [(page, text)] = _read(generate(levels=(sideways,), per_level=1, seed=6, lines_per_page=10))
    assert text.rotation == 270
    assert score("\n".join(line.text for line in text.lines), "\n".join(page.lines)).cer <= BOUNDS["4-hard"]
