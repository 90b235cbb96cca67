"""Typewritten archive pages with line-level ground truth, from real text, at graded difficulty.

Fixed seed. Vietnamese text comes from the IWSLT15 TED talks (read at run time from the shared
data dir, ``$ARCHIVE_SHARED_DIR`` or ``../shared``), English from their translations. A page is
struck key by key in a monospace face with full Vietnamese coverage (FreeMono, the Courier clone
of fonts-freefont-ttf, mostly; FreeMono Bold and Noto Sans Mono from fonts-noto-mono for
variety; coverage is checked (fontTools, else Pillow) when the fonts are loaded), then aged:

- per key: jitter of position, strike pressure, a few keys that sit high or low on every line,
  and tone marks struck a little off their letter (as with the dead keys of Vietnamese typewriters);
- the ribbon: grain that breaks strokes, fading toward the top of the glyphs and along the page;
- carbon copies: blur, a ghost second strike, lower contrast; show-through from the back side;
- the paper and the scanner: tinted paper, uneven light, stains, noise, dark scanner borders,
  skew up to +/-4 degrees, quarter turns, 200-400 dpi, JPEG loss.

Levels go from ``0-clean`` to ``4-hard``; ``MIDDLE`` names the two the targets speak of.

augraphy (8.2.6) was evaluated before writing this: it works offline, but it needs opencv-python
(which installs over the opencv-python-headless this project uses: both provide ``cv2``), numba,
scikit-image, scikit-learn, scipy and matplotlib, and its ink augmentations cost seconds per
A4 page at 300 dpi; the dozen degradations needed here are a few lines of numpy/OpenCV each.
See bench/RESULTS.md for the measurements.
"""

from __future__ import annotations

import functools
import io
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from lxml import etree
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
from bench.shared import SHARED  # noqa: E402

# (path, Debian package, weight in the draw, size in px at 300 dpi, stroke px)
FONTS = (
    ("/usr/share/fonts/truetype/freefont/FreeMono.ttf", "fonts-freefont-ttf", 5, 46, 1),
    ("/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf", "fonts-freefont-ttf", 2, 46, 0),
    ("/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf", "fonts-noto-mono", 2, 40, 0),
)
VIETNAMESE = ("aăâbcdđeêghiklmnoôơpqrstuưvxy" "AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
              + "".join(chr(c) for c in range(0x1EA0, 0x1EFA)) + "àáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝĩũĨŨ")
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng: dead keys


@dataclass(frozen=True)
class Level:
    name: str
    ink: tuple[float, float]  # strike pressure, min..max (1 = full black)
    grain: float  # ribbon grain: 0 none .. 1 strokes broken everywhere
    fade: float  # ribbon fading toward glyph tops and along the page, 0..1
    marks: float  # max offset (px at 300 dpi) of tone marks from their letter
    blur: float  # carbon-copy blur (Gaussian sigma, px at 300 dpi)
    ghost: int  # offset (px) of a carbon's faint second strike, 0 = none
    bleed: float  # show-through of the back side, 0..1
    noise: float  # sensor noise (grey levels, sigma)
    stains: int
    shading: float  # uneven lighting, grey levels across the page
    border: bool  # dark scanner lid / gutter along two edges
    skew: float  # max |degrees|
    dpi: tuple[int, ...]  # scan resolutions to pick from
    jpeg: int | None  # quality, None = lossless
    turn: tuple[int, ...]  # quarter turns to pick from (clockwise degrees)
    colour: bool  # RGB scan of tinted paper instead of grey


LEVELS = (
    Level("0-clean", (0.95, 1.0), 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0.0, 0, 0, False, 0.0, (300,), None, (0,), False),
    Level("1-light", (0.8, 1.0), 0.15, 0.1, 1.0, 0.5, 0, 0.0, 3.0, 0, 12, False, 1.0, (300, 400), 90, (0,), False),
    Level("2-faded", (0.55, 0.95), 0.3, 0.3, 1.5, 0.8, 0, 0.0, 5.0, 1, 25, False, 2.5, (300, 400), 80, (0,), True),
    Level("3-carbon", (0.5, 0.9), 0.35, 0.3, 2.0, 1.3, 1, 0.06, 7.0, 2, 35, True, 4.0, (200, 300), 70, (0, 180), True),
    Level("4-hard", (0.4, 0.85), 0.45, 0.4, 2.5, 1.7, 2, 0.1, 10.0, 4, 45, True, 4.0, (200, 250), 50,
          (90, 180, 270), True),
)
MIDDLE = ("2-faded", "3-carbon")
A4_300 = (2480, 3508)
MARGIN = 220


@dataclass
class GeneratedPage:
    image: Image.Image
    lines: list[str]  # ground truth, one entry per typed line, top to bottom
    lang: str  # "vie" or "eng"
    level: str
    dpi: int
    turn: int  # clockwise degrees the page was turned (turning it back: -turn % 360 clockwise)
    skew: float
    font: str = ""


def corpus(lang: str) -> list[str]:
    side = "vi" if lang == "vie" else "en"
    tree = etree.parse(str(SHARED / "data" / "iwslt15-en-vi" / f"IWSLT15.TED.tst2010.en-vi.{side}.xml"))
    out = []
    for seg in tree.iter("seg"):
        text = " ".join(unicodedata.normalize("NFC", seg.text or "").split())
        if 20 <= len(text) <= 300:
            out.append(text.replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&"))
    return out


def _covers(path: str, text: str) -> bool:
    """Whether the font has a glyph for every character: fontTools' cmap when installed, else Pillow
    (a missing glyph renders as the .notdef box, the same as a private-use code point)."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        font = ImageFont.truetype(path, 40)

        def bitmap(c: str) -> bytes:
            img = Image.new("L", (80, 80), 0)
            ImageDraw.Draw(img).text((10, 10), c, font=font, fill=255)
            return img.tobytes()

        notdef = bitmap("\ue000")
        return all(bitmap(c) != notdef for c in text)
    cmap = TTFont(path, lazy=True).getBestCmap()
    return all(ord(c) in cmap for c in text)


@functools.cache
def typewriter_fonts() -> tuple[tuple[str, int, int, int], ...]:
    """The fonts of FONTS that are installed and cover every Vietnamese letter: (path, weight, size, stroke)."""
    usable = tuple((path, weight, size, stroke) for path, _package, weight, size, stroke in FONTS
                   if Path(path).exists() and _covers(path, VIETNAMESE))
    if not usable:
        raise RuntimeError("no monospace font with Vietnamese coverage: apt-get install fonts-freefont-ttf")
    return usable


def _pick_font(rng: random.Random) -> tuple[str, int, int, int]:
    """A font drawn from all of FONTS (the same draws whatever is installed), the first usable one
    standing in for a missing one: a machine without fonts-noto-mono gets the same pages in FreeMono."""
    usable = typewriter_fonts()
    path = rng.choices([f[0] for f in FONTS], weights=[f[2] for f in FONTS])[0]
    return next((f for f in usable if f[0] == path), usable[0])


@functools.cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.cache
def _canvas(path: str, size: int, stroke: int, text: str) -> np.ndarray:
    """Coverage (0..1) of `text` drawn at (pad, pad) on a canvas of fixed size for the font."""
    font = _font(path, size)
    pad = size
    img = Image.new("L", (int(font.getlength("M")) + 2 * pad, 3 * size), 0)
    ImageDraw.Draw(img).text((pad, pad), text, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
    return np.asarray(img, dtype=np.float32) / 255.0


def _crop(arr: np.ndarray, pad: int) -> tuple[np.ndarray, int, int] | None:
    ys, xs = np.nonzero(arr > 0.02)
    if ys.size == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return np.ascontiguousarray(arr[y0:y1, x0:x1]), int(x0) - pad, int(y0) - pad


@functools.cache
def glyph(path: str, size: int, stroke: int, ch: str):
    """(letter, tone mark) as cropped coverage arrays with offsets from the pen position.

    The letter keeps its breve, circumflex and horn (own keys on Vietnamese typewriters); the
    tone mark (a dead key) is what the composed glyph has beyond the letter, or None.
    """
    letter = unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", ch) if c not in TONE_MARKS))
    full = _canvas(path, size, stroke, ch)
    if letter == ch:
        return _crop(full, size), None
    base = _canvas(path, size, stroke, letter)
    return _crop(base, size), _crop(np.clip(full - base, 0.0, 1.0), size)


def _stamp(ink: np.ndarray, piece, x: float, y: float, pressure: float) -> None:
    if piece is None:
        return
    arr, dx, dy = piece
    x0, y0 = round(x) + dx, round(y) + dy
    h, w = arr.shape
    if x0 < 0 or y0 < 0 or y0 + h > ink.shape[0] or x0 + w > ink.shape[1]:
        return
    region = ink[y0:y0 + h, x0:x0 + w]
    np.maximum(region, arr * pressure, out=region)


def layout(words: list[str], columns: int, max_lines: int, rng: random.Random) -> list[str]:
    """Typed lines of at most `columns` characters; paragraphs indented five spaces."""
    lines, cur, left = [], "     ", rng.randint(25, 45)
    for w in words:
        trial = f"{cur} {w}" if cur.strip() else cur + w
        if len(trial) <= columns:
            cur = trial
            left -= 1
            if left <= 0 and w.endswith((".", "?", "!")):  # end of paragraph
                lines.append(cur)
                cur, left = "     ", rng.randint(25, 45)
                if len(lines) >= max_lines:
                    break
            continue
        lines.append(cur)
        cur = w
        if len(lines) >= max_lines:
            break
    if cur.strip() and len(lines) < max_lines:
        lines.append(cur)
    return lines


def render(typed: list[str], level: Level, rng: random.Random, font: tuple[str, int, int, int],
           size=A4_300) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Strike the typed lines at 300 dpi (A4) key by key: ink coverage 0..1, and each line's (top, bottom)."""
    path, _w, px, stroke = font
    ink = np.zeros((size[1], size[0]), np.float32)
    advance = _font(path, px).getlength("M")
    pitch = rng.uniform(1.55, 1.85) * px
    # a typewriter's worn type bars: some keys always sit a little high or low
    bent = {c: rng.choice((-2, -1, 1, 2)) for c in rng.sample("aeinostrhmuydgc", 4)} if level.grain else {}
    mark_bias = (rng.uniform(-1, 1) * level.marks, rng.uniform(-1, 1) * level.marks * 0.6)
    spans, y = [], float(MARGIN)
    for line in typed:
        x = float(MARGIN)
        for ch in line:
            if ch != " ":
                pressure = rng.uniform(*level.ink)
                jx, jy = rng.uniform(-1.2, 1.2), rng.uniform(-1.5, 1.5) + bent.get(ch.lower(), 0)
                letter, mark = glyph(path, px, stroke, ch)
                _stamp(ink, letter, x + jx, y + jy, pressure)
                if mark is not None:
                    mx = mark_bias[0] + rng.uniform(-0.5, 0.5) * level.marks
                    my = mark_bias[1] + rng.uniform(-0.5, 0.5) * level.marks
                    _stamp(ink, mark, x + jx + mx, y + jy + my, pressure * rng.uniform(0.8, 1.0))
            x += advance
        spans.append((int(y), int(y + px)))
        y += pitch
    return ink, spans


def age_ink(ink: np.ndarray, spans: list[tuple[int, int]], level: Level, nrng: np.random.Generator) -> np.ndarray:
    """Ribbon grain and fading, carbon blur and ghost strike."""
    h, w = ink.shape
    if level.fade:
        rows = np.ones(h, np.float32)
        for top, bottom in spans:  # worn upper half of the ribbon: glyph tops lighter, some lines more
            rel = np.linspace(0.0, 1.0, bottom - top, dtype=np.float32)
            rows[top:bottom] = 1 - level.fade * nrng.uniform(0.3, 1.0) * np.clip(1 - 1.6 * rel, 0, 1)
        phase, period = nrng.uniform(0, 2 * np.pi), nrng.uniform(0.6, 1.4) * w
        cols = 1 - 0.5 * level.fade * (0.5 + 0.5 * np.sin(np.arange(w, dtype=np.float32) * 2 * np.pi / period + phase))
        ink = ink * rows[:, None] * cols[None, :]
    if level.grain:
        field = cv2.GaussianBlur(nrng.standard_normal((h, w), dtype=np.float32), (0, 0), 1.3)
        field /= field.std() + 1e-6
        ink = ink * np.clip(1.0 - level.grain * np.clip(field + 0.3, 0, None), 0.0, 1.0)
    if level.blur:
        ink = cv2.GaussianBlur(ink, (0, 0), level.blur)
        ink = np.clip(ink * (1 + 0.4 * level.blur), 0, 1)  # carbon spreads: fuzzy, slightly fatter strokes
    if level.ghost:
        shifted = np.zeros_like(ink)
        shifted[level.ghost:, level.ghost:] = ink[:-level.ghost, :-level.ghost]
        ink = np.maximum(ink, 0.35 * shifted)
    return ink


def degrade(ink: np.ndarray, level: Level, rng: random.Random, back: np.ndarray | None = None) -> tuple[Image.Image, int, float, int]:
    """Paper, light, stains, noise, skew, borders, turn, resolution and JPEG: the scan of the page."""
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    h, w = ink.shape
    paper = rng.uniform(228.0, 242.0) if level.shading else 245.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tilt = rng.uniform(0.3, 0.7)
    light = paper - level.shading * (tilt * xx / w + (1 - tilt) * yy / h)
    del yy, xx
    if back is not None and level.bleed:  # the back side shows through, mirrored and soft
        light = light - level.bleed * 180 * cv2.GaussianBlur(np.fliplr(back), (0, 0), 2.5)
    dark = rng.uniform(15.0, 35.0) if level.blur < 1 else rng.uniform(45.0, 75.0)  # carbons are greyer
    arr = light - ink * (light - dark)
    for _ in range(level.stains):  # tea and water stains: soft blots, some with a darker rim
        cx, cy, r = int(nrng.integers(0, w)), int(nrng.integers(0, h)), int(nrng.integers(80, 300))
        small = np.zeros((h // 8 + 1, w // 8 + 1), np.float32)
        cv2.circle(small, (cx // 8, cy // 8), r // 8, 1.0, thickness=-1)
        if rng.random() < 0.5:
            cv2.circle(small, (cx // 8, cy // 8), r // 8, 1.6, thickness=2)
        small = cv2.GaussianBlur(small, (0, 0), max(1.0, r / 40))
        mask = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        arr *= 1 - rng.uniform(0.1, 0.22) * mask
    if level.noise:
        arr += nrng.normal(0, level.noise, arr.shape).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    del arr
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
    dpi = rng.choice(level.dpi)
    if dpi != 300:
        img = img.resize((round(img.width * dpi / 300), round(img.height * dpi / 300)), Image.LANCZOS)
    if level.colour:  # yellowed paper, ink a little blue-black
        tint = (1.0, rng.uniform(0.94, 0.98), rng.uniform(0.80, 0.90))
        img = Image.merge("RGB", [img.point(lambda v, t=t: v * t) for t in tint])
    if level.jpeg:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=level.jpeg)
        img = Image.open(io.BytesIO(buf.getvalue()))
        img.load()
    img.info["dpi"] = (dpi, dpi)
    return img, turn, skew, dpi


def generate(levels=LEVELS, per_level: int = 4, seed: int = 1968, lines_per_page: int = 24,
             langs: tuple[str, ...] = ("vie", "eng")):
    """Yield `per_level` pages for each level, in the languages of `langs` in turn (same seed, same pages)."""
    rng = random.Random(seed)
    texts = {lang: corpus(lang) for lang in dict.fromkeys(langs)}
    n = 0
    for level in levels:
        for _ in range(per_level):
            lang = langs[n % len(langs)]
            n += 1
            font = _pick_font(rng)
            columns = int((A4_300[0] - 2 * MARGIN) / _font(font[0], font[2]).getlength("M"))
            start = rng.randrange(len(texts[lang]) - 80)
            words = " ".join(texts[lang][start:start + 80]).split()
            typed = layout(words, columns, lines_per_page, rng)
            nrng = np.random.default_rng(rng.randrange(1 << 30))
            ink, spans = render(typed, level, rng, font)
            ink = age_ink(ink, spans, level, nrng)
            back = None
            if level.bleed:
                other = " ".join(texts[lang][start + 40:start + 120]).split()
                back = age_ink(*render(layout(other, columns, lines_per_page, rng), level, rng, font), level, nrng)
            img, turn, skew, dpi = degrade(ink, level, rng, back)
            truth = [" ".join(t.split()) for t in typed if t.strip()]
            yield GeneratedPage(img, truth, lang, level.name, dpi, turn, skew, Path(font[0]).stem)
