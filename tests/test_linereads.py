"""Re-reading doubtful lines alone (ingest.linereads), with real Tesseract on a typed page: lines are
found from the ink even when the page reading merged them, a line image holds only its own line's
ink, a garbled line is replaced by its psm 7 reading, marks are left out and recorded, and a margin
mark on a sound page never comes back as a copy of the text line beside it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ingest import ocr
from ingest.linereads import find_bands, glyphs, line_image, reread_lines, reread_weak_lines
from ingest.model import Word
from ingest.preprocess import otsu

FONT = Path("/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf")
TEXT = ["The committee met on the third of May", "and decided to send the letter at once",
        "to the embassy in the capital city", "where the minister would read it soon"]
SPACING = 52  # tight: 40 px type on lines 52 px apart, as on the dense Czech typescripts

pytestmark = pytest.mark.skipif(not FONT.exists(), reason="needs fonts-freefont-ttf")


def page() -> np.ndarray:
    im = Image.new("L", (1500, 80 + SPACING * len(TEXT) + 200), 255)
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(str(FONT), 40)
    for k, line in enumerate(TEXT):
        draw.text((60, 60 + k * SPACING), line, font=font, fill=0)
    # a stamp-like scribble under the text, the kind signatures leave
    for x in range(200, 600, 6):
        draw.line((x, 80 + SPACING * len(TEXT) + 60, x + 30, 80 + SPACING * len(TEXT) + 110), fill=0, width=3)
    return np.asarray(im).copy()


def read(image: np.ndarray):
    return ocr.read_words(image, lang="eng", psm=4, timeout=120)


def test_bands_split_lines_the_page_reading_merged():
    image = page()
    lines = read(image)
    merged = ocr.make_line([w for line in lines[:2] for w in line.words])  # two text lines as one
    found = [b for b in find_bands(otsu(image), (merged, *lines[2:])) if b.words]
    texts = [" ".join(w.text for w in b.words) for b in found]
    assert texts[0] == lines[0].text and texts[1] == lines[1].text, texts
    assert all(abs(b.centre - (60 + k * SPACING + 20)) < 20 for k, b in enumerate(found[:4]))


def test_line_image_holds_only_its_line():
    image = page()
    binary = otsu(image)
    lines = read(image)
    band = find_bands(binary, lines)[1]
    labels, cy, _, _ = glyphs(binary)
    crop, (dx, dy) = line_image(image, labels, cy, band)
    alone = ocr.read_words(crop, lang="eng", psm=7, timeout=60)
    assert " ".join(line.text for line in alone) == TEXT[1]
    assert dy > 60 + SPACING - 30 and crop.shape[0] < SPACING + 60  # no neighbour's ascenders or descenders


def test_garbled_line_is_replaced_and_marks_left_out():
    image = page()
    lines = list(read(image))
    # the page reading got the second line wrong, with low confidence
    garbled = [Word("Xnd dqcidxd tz", lines[1].words[0].bbox, 30.0), *(
        Word("qq" + w.text[2:], w.bbox, 35.0) for w in lines[1].words[1:])]
    lines[1] = ocr.make_line(garbled)
    out, step = reread_lines(image, tuple(lines), lang="eng", timeout=60)
    texts = [line.text for line in out]
    assert TEXT[1] in texts and step["replaced"] >= 1
    assert all(t in texts for t in (TEXT[0], TEXT[2], TEXT[3]))
    # whatever the scribble read as is not in the text, and is recorded
    assert len(out) == 4 or not step["left_out"]
    assert sum(len(t) for t in step["left_out"]) + sum(len(t) for t in texts) >= sum(len(t) for t in TEXT)


def test_margin_mark_on_a_sound_page_is_not_replaced_by_the_line_beside_it():
    image = page()
    lines = read(image)
    x0, y0, x1, y1 = lines[0].words[0].bbox
    mark = ocr.make_line([Word("Fm", (5, y0, 40, y1), 5.0)])  # a mark in the margin beside line 1
    out, step = reread_weak_lines(image, (mark, *lines), lang="eng", timeout=60)
    assert out[0].text == "Fm" and len(out) == len(lines) + 1
    assert [line.text for line in out[1:5]] == TEXT  # (the scribble below, if read, may be re-read)


def test_sound_page_with_a_weak_line_rereads_it():
    image = page()
    lines = list(read(image))
    lines[2] = ocr.make_line([Word("tQ", lines[2].words[0].bbox, 20.0), *(
        Word(w.text.upper() + "#", w.bbox, 40.0) for w in lines[2].words[1:])])
    out, step = reread_weak_lines(image, tuple(lines), lang="eng", timeout=60)
    assert step["replaced"] >= 1  # (and the scribble below, read as a weak line)
    assert out[2].text == TEXT[2] and len(out) == len(lines)
    assert cv2.countNonZero(255 - otsu(image)) > 0
