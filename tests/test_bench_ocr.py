"""Accuracy regression on generated archive pages: a bound the pipeline must not cross."""

from bench.ocr_bench import cer, diacritic_share, wer
from bench.pagegen import LEVELS, generate
from ingest.pipeline import ocr_image


def test_metrics():
    assert cer("Bộ Chính trị", "Bộ Chính trị") == 0.0
    assert round(cer("Bo Chinh tri", "Bộ Chính trị"), 3) == round(3 / 12, 3)
    assert diacritic_share("Bo Chinh tri", "Bộ Chính trị") == 1.0
    assert diacritic_share("Xộ Chính trị", "Bộ Chính trị") == 0.0
    assert wer("a b c", "a x c") == 1 / 3


def test_middle_levels_stay_under_three_percent_cer():
    middle = [l for l in LEVELS if l.name in ("2-faded", "3-carbon")]
    pages = list(generate(levels=middle, per_level=1, seed=5, lines_per_page=10))
    assert {p.level for p in pages} == {"2-faded", "3-carbon"}
    for page in pages:
        text = ocr_image(page.image, lang=page.lang, dpi=page.dpi)
        assert text.rotation == page.turn
        assert cer("\n".join(l.text for l in text.lines), "\n".join(page.lines)) <= 0.03, page.level
