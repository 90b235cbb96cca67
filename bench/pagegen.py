"""Typewritten archive pages with line-level ground truth, from real text, at graded difficulty.

Fixed seed. Vietnamese text comes from the IWSLT15 TED talks (read at run time from ../shared),
English from their translations. Pages are struck character by character in FreeMono (a Courier
face with full Vietnamese coverage), then degraded with OpenCV/numpy: uneven ink and ribbon
fading, carbon-copy blur, stains, uneven lighting, dark scanner borders, skew, quarter turns,
resolution and JPEG loss.

augraphy was evaluated first: its current release (8.2.6, 2023) requires opencv-python (which
collides with the opencv-python-headless this project uses: both install cv2), numba,
scikit-image, scikit-learn, scipy and matplotlib, so the few degradations needed are written here.
"""

from __future__ import annotations

import io
import os
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from lxml import etree
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARCHIVE_SHARED_DIR", ROOT.parent / "shared")).resolve()
FONT = "/usr/share/fonts/truetype/freefont/FreeMono.ttf"


@dataclass(frozen=True)
class Level:
    name: str
    ink: tuple[float, float]  # darkness of a strike, min..max
    blur: float  # carbon-copy blur (Gaussian sigma, px at 300 dpi)
    noise: float
    stains: int
    shading: float  # uneven lighting, grey levels across the page
    border: bool
    skew: float  # max |degrees|
    dpi: int
    jpeg: int | None  # quality, None = lossless
    turn: tuple[int, ...]  # quarter turns to pick from (clockwise degrees)


LEVELS = (
    Level("0-clean", (1.0, 1.0), 0.0, 0.0, 0, 0, False, 0.0, 300, None, (0,)),
    Level("1-light", (0.8, 1.0), 0.6, 4.0, 0, 15, False, 1.0, 300, 90, (0,)),
    Level("2-faded", (0.55, 0.95), 0.9, 6.0, 2, 25, False, 2.5, 250, 75, (0,)),
    Level("3-carbon", (0.5, 0.9), 1.3, 8.0, 3, 35, True, 4.0, 200, 60, (0, 180)),
    Level("4-hard", (0.4, 0.85), 1.7, 12.0, 4, 45, True, 4.0, 200, 45, (90, 180, 270)),
)
MIDDLE = ("2-faded", "3-carbon")


@dataclass
class GeneratedPage:
    image: Image.Image
    lines: list[str]  # ground truth, one entry per typed line
    lang: str  # "vie" or "eng"
    level: str
    dpi: int
    turn: int
    skew: float


def corpus(lang: str) -> list[str]:
    side = "vi" if lang == "vie" else "en"
    tree = etree.parse(str(SHARED / "data" / "iwslt15-en-vi" / f"IWSLT15.TED.tst2010.en-vi.{side}.xml"))
    out = []
    for seg in tree.iter("seg"):
        text = " ".join((seg.text or "").split())
        if 20 <= len(text) <= 300:
            out.append(text.replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&"))
    return out


def _wrap(words: list[str], font, width: int, max_lines: int) -> list[str]:
    lines, cur = [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        if font.getlength(trial) <= width:
            cur = trial
        else:
            lines.append(cur)
            cur = w
            if len(lines) >= max_lines:
                break
    if cur and len(lines) < max_lines:
        lines.append(cur)
    return lines


def render(lines: list[str], level: Level, rng: random.Random, size=(2480, 3508)) -> Image.Image:
    """Strike the lines at 300 dpi (A4), one glyph at a time."""
    font = ImageFont.truetype(FONT, 46)
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    advance = font.getlength("M")
    y = 220
    for line in lines:
        x = 220.0
        for ch in line:
            if ch != " ":
                shade = int(255 * (1 - rng.uniform(*level.ink)))
                draw.text((x + rng.uniform(-1.2, 1.2), y + rng.uniform(-1.5, 1.5)), ch, font=font, fill=shade,
                          stroke_width=1, stroke_fill=shade)
            x += advance
        y += 78
    return page


def degrade(page: Image.Image, level: Level, rng: random.Random) -> tuple[Image.Image, int, float]:
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    arr = np.asarray(page, dtype=np.float32)
    h, w = arr.shape
    if level.blur:
        arr = cv2.GaussianBlur(arr, (0, 0), level.blur)
    paper = 236.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = paper - level.shading * (0.5 * xx / w + 0.5 * yy / h)
    arr = arr / 255.0 * light
    for _ in range(level.stains):  # tea and water stains: soft dark blots (drawn at 1/8 scale)
        cx, cy, r = nrng.integers(0, w), nrng.integers(0, h), nrng.integers(80, 260)
        small = np.zeros((h // 8 + 1, w // 8 + 1), np.float32)
        cv2.circle(small, (int(cx) // 8, int(cy) // 8), int(r) // 8, 1.0, thickness=-1)
        small = cv2.GaussianBlur(small, (0, 0), r / 24)
        mask = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        arr = arr * (1 - 0.18 * mask)
    arr += nrng.normal(0, level.noise, arr.shape) if level.noise else 0
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    skew = rng.uniform(-level.skew, level.skew) if level.skew else 0.0
    if skew:
        img = img.rotate(skew, resample=Image.BICUBIC, fillcolor=int(paper - level.shading / 2))
    if level.border:
        a = np.asarray(img).copy()
        a[:, : rng.randint(40, 120)] = rng.randint(15, 45)
        a[: rng.randint(30, 90), :] = rng.randint(15, 45)
        img = Image.fromarray(a)
    turn = rng.choice(level.turn)
    if turn:
        img = img.rotate(-turn, expand=True)  # clockwise
    if level.dpi != 300:
        img = img.resize((round(img.width * level.dpi / 300), round(img.height * level.dpi / 300)), Image.LANCZOS)
    if level.jpeg:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=level.jpeg)
        img = Image.open(io.BytesIO(buf.getvalue()))
        img.load()
    img.info["dpi"] = (level.dpi, level.dpi)
    return img, turn, skew


def generate(levels=LEVELS, per_level: int = 4, seed: int = 1968, lines_per_page: int = 24):
    """Pages alternate Vietnamese and English; each level gets `per_level` pages."""
    rng = random.Random(seed)
    texts = {"vie": corpus("vie"), "eng": corpus("eng")}
    font = ImageFont.truetype(FONT, 46)
    for level in levels:
        for k in range(per_level):
            lang = "vie" if k % 2 == 0 else "eng"
            start = rng.randrange(len(texts[lang]) - 60)
            words = " ".join(texts[lang][start:start + 60]).split()
            lines = _wrap(words, font, 2480 - 440, lines_per_page)
            img, turn, skew = degrade(render(lines, level, rng), level, rng)
            yield GeneratedPage(img, lines, lang, level.name, level.dpi, turn, skew)
