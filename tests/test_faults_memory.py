"""Case 7 of issue 13 for a genuine page: a very large scan just under `max_pixels` took about 2 GB
(bench.page_memory: 1.4 GB grey, 1.8 GB colour, Tesseract 0.5 GB more). A page over 40 MP whose file
states more than 400 dpi is now decoded to grey and brought down to 400 dpi before preprocessing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ingest.preprocess import LARGE_PAGE_DPI, preprocess
from ingest.sources import load_page

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def big_page(size=(6000, 7000)) -> Image.Image:
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 90)  # about 1,000 dpi type
    for y in range(300, size[1] - 300, 160):
        draw.text((300, y), "Điện số 417 gửi Khu ủy Khu 5, Bộ Chính trị", fill=0, font=font)
    return page


def test_a_large_page_stated_at_high_dpi_is_read_at_400_dpi(tmp_path):
    page = big_page()  # 42 MP
    prep = preprocess(page, file_dpi=1000)
    [step] = [s for s in prep.steps if s.name == "downscale"]
    assert prep.dpi == LARGE_PAGE_DPI and step.params["factor"] == 0.4
    assert prep.image.shape == (2800, 2400)
    assert not any(s.name == "upscale" for s in prep.steps)  # not brought back up
    unknown = preprocess(page, file_dpi=None)  # no stated resolution: read as it is
    assert unknown.image.shape == (7000, 6000) and not any(s.name == "downscale" for s in unknown.steps)
    small = preprocess(page.crop((0, 0, 2480, 3508)), file_dpi=1000)  # an ordinary page: untouched
    assert small.image.shape == (3508, 2480) and not any(s.name == "downscale" for s in small.steps)


def test_a_large_colour_jpeg_is_decoded_to_grey_without_a_copy(tmp_path):
    path: Path = tmp_path / "big.jpg"
    Image.merge("RGB", [big_page()] * 3).save(path, quality=80, dpi=(1000, 1000))
    source = load_page(path, "image/jpeg", 1, dpi=300, max_pixels=150_000_000)
    assert source.image.mode == "L" and source.image.size == (6000, 7000) and source.dpi == 1000
    assert np.asarray(source.image)[400:500, 300:3000].min() < 64  # the type is there
    Image.new("RGB", (2480, 3508), (250, 240, 230)).save(tmp_path / "a4.jpg", dpi=(300, 300))
    assert load_page(tmp_path / "a4.jpg", "image/jpeg", 1, dpi=300, max_pixels=150_000_000).image.mode == "RGB"
