"""Regenerate the bundled sample scans from examples/texts.py.

    python examples/make_samples.py        # needs fonts-freefont-ttf and fpdf2 (pip install -e .[samples])

Writes: cable-417-vi.tif (2 typewritten pages, 1-bit CCITT G4, page 2 skewed), cable-418-vi.jpg (a
faded carbon copy with a dark scanner border), cable-417-en.pdf (page 1 born-digital text, page 2
a scan) and manifest.csv. Fixed seed: the files are the same on every run.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).parent))
from texts import CABLE_417_EN, CABLE_417_VI, CABLE_418_VI  # noqa: E402

HERE = Path(__file__).parent
FONT = "/usr/share/fonts/truetype/freefont/FreeMono.ttf"  # Courier-like, full Vietnamese
DPI = 300
PAGE = (1748, 2480)  # A5 at 300 dpi keeps the bundled files small
MARGIN = 150
SIZE = 46  # ~11 pt typewriter at 300 dpi


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for para in text.split("\n"):
        if not para.strip():
            lines.append("")
            continue
        cur = ""
        for word in para.split():
            trial = f"{cur} {word}".strip()
            if font.getlength(trial) <= width:
                cur = trial
            else:
                lines.append(cur)
                cur = word
        lines.append(cur)
    return lines


def typewrite(text: str, rng: random.Random, ink: float = 1.0) -> Image.Image:
    """Render like a typewriter: each glyph struck on its own, slightly off line, uneven ink."""
    font = ImageFont.truetype(FONT, SIZE)
    page = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(page)
    y = MARGIN
    advance = font.getlength("M")
    for line in wrap(text, font, PAGE[0] - 2 * MARGIN):
        x = MARGIN
        for ch in line:
            if ch != " ":
                shade = int(255 * (1 - ink * rng.uniform(0.75, 1.0)))
                draw.text((x + rng.uniform(-1, 1), y + rng.uniform(-1.5, 1.5)), ch, font=font, fill=shade,
                          stroke_width=1, stroke_fill=shade)
            x += advance
        y += int(SIZE * 1.6)
    return page.filter(ImageFilter.GaussianBlur(0.7))


def age(page: Image.Image, rng: random.Random, *, skew: float = 0.0, border: bool = False,
        paper: int = 235, noise: float = 6.0) -> Image.Image:
    arr = np.asarray(page, dtype=np.float32)
    h, w = arr.shape
    yy, xx = np.mgrid[0:h, 0:w]
    shading = paper - 25 * (xx / w) * (yy / h)  # uneven light across the scanner bed
    arr = arr / 255.0 * shading
    arr += np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, noise, arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if skew:
        img = img.rotate(skew, resample=Image.BICUBIC, fillcolor=paper)
    if border:
        a = np.asarray(img).copy()
        a[:, :60] = 25
        a[:45, :] = 30
        img = Image.fromarray(a)
    return img


def to_bilevel(img: Image.Image) -> Image.Image:
    return img.point(lambda v: 255 if v > 150 else 0).convert("1", dither=Image.Dither.NONE)


def pages(text: str) -> list[str]:
    return [p.strip("\n") for p in text.split("\f")]


def main() -> None:
    rng = random.Random(1968)
    vi = [typewrite(p, rng) for p in pages(CABLE_417_VI)]
    tif = [to_bilevel(age(vi[0], rng)), to_bilevel(age(vi[1], rng, skew=1.5))]
    tif[0].save(HERE / "cable-417-vi.tif", save_all=True, append_images=tif[1:], compression="group4", dpi=(DPI, DPI))

    carbon = typewrite(CABLE_418_VI, rng, ink=0.6).filter(ImageFilter.GaussianBlur(1.0))
    age(carbon, rng, skew=-2.0, border=True, paper=225, noise=4).save(
        HERE / "cable-418-vi.jpg", quality=60, dpi=(DPI, DPI))

    from fpdf import FPDF

    en1, en2 = pages(CABLE_417_EN)
    pdf = FPDF(format="A5")
    pdf.set_auto_page_break(False)
    pdf.add_font("mono", fname=FONT)
    pdf.add_page()
    pdf.set_font("mono", size=10)
    pdf.set_xy(12, 12)
    pdf.multi_cell(124, 5.5, en1)
    scan = to_bilevel(age(typewrite(en2, rng), rng, skew=-1.0))
    buf = io.BytesIO()
    scan.save(buf, format="PNG")
    pdf.add_page()
    pdf.image(buf, x=0, y=0, w=148, h=210)
    pdf.set_creation_date(__import__("datetime").datetime(2026, 11, 1))
    pdf.output(str(HERE / "cable-417-en.pdf"))

    rows = [
        {"file": "cable-417-vi.tif", "record_id": "sample-417", "title": "Politburo Cable No. 417 to COSVN",
         "date": "1968-11-02", "source_archive": "Sample archive (generated for archive-ingest)",
         "translator": "", "rights": "CC0 (sample text written for this project)", "type": "Cable",
         "language": "Vietnamese", "subjects": "Paris peace talks;Diplomacy", "places": "Hanoi;Saigon;Paris",
         "donors": "", "translation_of": "", "lang": "vie"},
        {"file": "cable-418-vi.jpg", "record_id": "sample-418", "title": "Cable No. 418 to the Region 5 Party Committee",
         "date": "1968-11-05", "source_archive": "Sample archive (generated for archive-ingest)",
         "translator": "", "rights": "CC0 (sample text written for this project)", "type": "Cable",
         "language": "Vietnamese", "subjects": "Logistics", "places": "Hanoi", "donors": "", "translation_of": "",
         "lang": "vie"},
        {"file": "cable-417-en.pdf", "record_id": "sample-417-en", "title": "Politburo Cable No. 417 to COSVN (translation)",
         "date": "1968-11-02", "source_archive": "Sample archive (generated for archive-ingest)",
         "translator": "archive-ingest sample", "rights": "CC0 (sample text written for this project)",
         "type": "Cable", "language": "English", "subjects": "Paris peace talks;Diplomacy",
         "places": "Hanoi;Saigon;Paris", "donors": "", "translation_of": "sample-417", "lang": "eng"},
    ]
    with (HERE / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for f in sorted(HERE.glob("cable-*")):
        print(f"{f.name}: {f.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
