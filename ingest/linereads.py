"""Re-reading a page's doubtful lines one at a time (Tesseract ``--psm 7``) and keeping, line by
line, the better reading. Dense typescript defeats Tesseract's page layout (tight lines merged,
underlines and stamps pulling words into the wrong line); a line image cut from the page, holding
only the ink of that line, is read on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import ocr
from .model import Line, Word
from .readings import make_reading


@dataclass(frozen=True)
class Band:
    """One text line of the page, found from its ink, with the page reading's words in it."""

    centre: int  # the line's row of glyph centres
    half: float  # half the distance to its neighbours: the band is centre +- half
    words: tuple[Word, ...]  # the page reading's words whose centre falls in the band, left to right


def glyphs(binary: np.ndarray):
    """Labels, and the centre row and height of each glyph-sized ink component (label - 1 indexes)."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(255 - binary, connectivity=8)
    h, w, area = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_AREA]
    glyph = (area >= 12) & (h >= 8) & (h <= 120) & (w <= 4 * h) & (h <= 8 * w)
    return labels, centroids[1:, 1], h, glyph


def find_bands(binary: np.ndarray, lines: tuple[Line, ...]) -> list[Band]:
    """Text lines from the rows where glyph centres gather (peaks of their smoothed histogram at
    least half a glyph apart), each holding the words whose centre is nearest. Found from the ink,
    not from Tesseract's lines: those merge tight lines (czech/011 at psm 6: a 'line' 100 px tall
    where lines are 50 apart, words of three lines in it)."""
    words = [w for line in lines for w in line.words]
    _, cy, heights, glyph = glyphs(binary)
    if not words or glyph.sum() < 20:
        return []
    size = float(np.median(heights[glyph]))
    profile = np.bincount(cy[glyph].astype(int), minlength=binary.shape[0]).astype(np.float64)
    sigma = max(1.0, 0.12 * size)
    k = np.exp(-0.5 * (np.arange(-3 * sigma, 3 * sigma + 1) / sigma) ** 2)
    smooth = np.convolve(profile, k / k.sum(), mode="same")
    reach = max(2, int(0.5 * size))
    peaks = [y for y in range(binary.shape[0]) if smooth[y] >= 0.3
             and smooth[y] == smooth[max(0, y - reach):y + reach + 1].max()]
    peaks = [y for i, y in enumerate(peaks) if i == 0 or y - peaks[i - 1] > reach]  # plateaus: keep one
    if not peaks:
        return []
    centres = np.array(peaks)
    mine: list[list[Word]] = [[] for _ in peaks]
    for w in words:
        mine[int(np.abs(centres - (w.bbox[1] + w.bbox[3]) / 2).argmin())].append(w)
    gaps = np.diff(centres)
    out = []
    for i, y in enumerate(peaks):
        near = [g for g in (gaps[i - 1] if i else None, gaps[i] if i < len(gaps) else None) if g is not None]
        ordered = tuple(sorted(mine[i], key=lambda w: w.bbox[0]))
        out.append(Band(int(y), float(min(near) / 2 if near else size), ordered))
    return out


def line_image(image: np.ndarray, labels: np.ndarray, cy: np.ndarray, band: Band,
               margin: int = 16) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The ink of one band on white paper: the page's ink components whose centre lies within the
    band (neighbouring lines' ascenders and descenders left out), cropped to them. Returns the
    image and its offset in the page, or None when the band holds no ink."""
    lo, hi = band.centre - band.half, band.centre + band.half
    keep = np.nonzero((cy >= lo) & (cy < hi))[0] + 1  # component labels (0 is paper)
    if keep.size == 0:
        return None
    y0, y1 = int(max(0, lo - 3 * band.half)), int(min(image.shape[0], hi + 3 * band.half))
    mask = np.isin(labels[y0:y1], keep)
    if not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = np.full((bottom - top, right - left), 255, dtype=np.uint8)
    sub = image[y0 + top:y0 + bottom, left:right]
    m = mask[top:bottom, left:right]
    crop[m] = sub[m]
    out = cv2.copyMakeBorder(crop, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255)
    return out, (int(left) - margin, int(y0 + top) - margin)


# Measured on the tune pages whose first reading was doubtful (bench.real_bench; the page reading
# kept was psm 6 on thinned strokes; line crops from the grey page, not the thinned one, and the band
# kept when its score is higher): czech/011 16.9% -> 11.0% CER, czech/013 19.6 -> 15.4, czech/004
# 11.8 -> 8.6, czech/009 9.4 -> 7.7. Re-reading from the thinned page gained less (-4.3/-4.3/-2.6/-2.2
# points), and taking the best of page, grey and thinned lines less still on czech/011 (13.6%).
REREAD_BELOW = 90.0
# Bands kept out of the text: below this confidence and this share of the page's median band score
# they are stamps, signatures and handwriting (czech/011: 8 footer bands, 'BŮ / š OR PALA', '„28 JA.
# 94b <', about 200 of its 480 wrong characters). A short typed line (a page number, a paragraph's
# last words) reads with confidence above it. What was left out is recorded in the reading step.
NOISE_CONFIDENCE = 50.0
NOISE_SHARE = 0.35


def _read_band(image: np.ndarray, labels: np.ndarray, cy: np.ndarray, band: Band, *, lang: str, timeout: float,
               tessdata_dir: str | None, thin: bool = False, scale: float = 1.0) -> Line | None:
    """The band's ink read alone at psm 7; ``thin``: strokes thinned by a pixel a side first (a 3x3
    opening of the paper), ``scale``: the crop brought down by this factor (boxes put back)."""
    cut = line_image(image, labels, cy, band)
    if cut is None:
        return None
    crop, (dx, dy) = cut
    if thin:
        crop = cv2.dilate(crop, np.ones((3, 3), np.uint8))
    if scale != 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    read = ocr.read_words(crop, lang=lang, psm=7, timeout=timeout, tessdata_dir=tessdata_dir)

    def back(box):
        return (int(box[0] / scale) + dx, int(box[1] / scale) + dy,
                int(np.ceil(box[2] / scale)) + dx, int(np.ceil(box[3] / scale)) + dy)

    words = [Word(w.text, back(w.bbox), w.confidence, w.alternative, w.alternative_confidence)
             for line in read for w in line.words]
    return ocr.make_line(words) if words else None


# Line crops of large bold type (median glyph component at least BOLD_GLYPH px) are read at
# BOLD_SCALE, once from the grey page and once thinned, and the band keeps the better scored of the
# two; the page reading's line no longer competes (kept by its score, it was more often the worse:
# it carries neighbouring lines' words, which count as known characters). Measured per band on the
# four doubtful tune pages, errors against each band's ground-truth line, czech/013 / 011 / 004 / 009:
# page line or grey crop at full size by score (before) 312 / 471 / 338 / 269; grey or thinned crop
# at 0.75: 237 / 451 / 310 / 269; at 0.6: 229 / 522 / 316 / 262; at 1.0: 264 / 459 / 338 / 282.
# 0.75 is the one scale that lost on no page.
BOLD_GLYPH = 30.0
BOLD_SCALE = 0.75


def reread_lines(image: np.ndarray, lines: tuple[Line, ...], *, lang: str, timeout: float,
                 tessdata_dir: str | None = None) -> tuple[tuple[Line, ...], dict]:
    """The page's text lines found from the ink (find_bands); each band whose words read below
    REREAD_BELOW confidence is read again alone at psm 7 from ``image`` (grey, the coordinates of
    ``lines``) and keeps whichever reading has more confidence-weighted known characters
    (readings.make_reading); bands that look like marks rather than type are left out. Returns the
    lines (one per band, top to bottom) and what was done. For one column of text: bands span the
    page's width."""
    from .preprocess import otsu

    binary = otsu(image)
    found = [b for b in find_bands(binary, lines) if b.words]
    if not found:
        return lines, {"bands": 0, "reread": 0, "replaced": 0, "left_out": []}
    labels, cy, heights, glyph = glyphs(binary)
    scale = BOLD_SCALE if float(np.median(heights[glyph])) >= BOLD_GLYPH else 1.0
    kept, reread, replaced = [], 0, 0
    for band in found:
        page_line = ocr.make_line(list(band.words))
        score = make_reading("page", 6, (page_line,), lang).score
        if page_line.confidence < REREAD_BELOW:
            reread += 1
            # bold type: grey and thinned crops at BOLD_SCALE; otherwise the grey crop against the page's line
            alone = [line for thin in ((False, True) if scale < 1.0 else (False,)) if (line := _read_band(
                image, labels, cy, band, lang=lang, timeout=timeout, tessdata_dir=tessdata_dir, thin=thin,
                scale=scale)) is not None]
            scored = [(make_reading("line", 7, (line,), lang).score, line) for line in alone]
            if scored and (scale < 1.0 or max(s for s, _ in scored) > score):
                score, page_line = max(scored, key=lambda sl: sl[0])
                replaced += 1
        kept.append((page_line, score))
    median = float(np.median([s for _, s in kept]))
    noise = [line.confidence < NOISE_CONFIDENCE and s < NOISE_SHARE * median for line, s in kept]
    out = tuple(line for (line, _), bad in zip(kept, noise, strict=True) if not bad)
    left_out = [line.text for (line, _), bad in zip(kept, noise, strict=True) if bad]
    return out, {"bands": len(found), "reread": reread, "replaced": replaced, "left_out": left_out,
                 "crop_scale": scale}


# On a sound first reading only its weakest lines are re-read, and Tesseract's lines are kept (cut
# into bands, the tune pages' sound readings lost: danish/004 1.33% -> 1.65% CER with no line re-read).
# Tune pages, threshold 60: danish/006 3.04% -> 2.19% ('i bagsesigssverseumiet' at 56 -> 'i
# Generalgouvernementet'), czech/006 10.0 -> 9.5, the other ten sound pages unchanged, 0-0.9 s CPU;
# at 70 german/002 and 004 lost 0.1 point, at 80 four pages lost 0.2-0.5 points for 2-3 s.
WEAK_LINE = 60.0


def reread_weak_lines(image: np.ndarray, lines: tuple[Line, ...], *, lang: str, timeout: float,
                      tessdata_dir: str | None = None) -> tuple[tuple[Line, ...], dict]:
    """Each line below WEAK_LINE confidence read again alone (psm 7, the ink of the band nearest its
    words' centre) and replaced when that reading scores higher. Nothing is left out."""
    from .preprocess import otsu

    weak = [i for i, line in enumerate(lines) if line.confidence < WEAK_LINE and line.words]
    if not weak:
        return lines, {"reread": 0, "replaced": 0}
    binary = otsu(image)
    found = find_bands(binary, lines)
    if not found:
        return lines, {"reread": 0, "replaced": 0}
    labels, cy, _, _ = glyphs(binary)
    centres = np.array([b.centre for b in found])
    out, reread, replaced = list(lines), 0, 0
    for i in weak:
        line = lines[i]
        mid = float(np.median([(w.bbox[1] + w.bbox[3]) / 2 for w in line.words]))
        band = found[int(np.abs(centres - mid).argmin())]
        if set(band.words) != set(line.words):
            continue  # the ink line holds other lines' words too, or only part of this one: a margin
            # mark read as a line would come back as a copy of the text line beside it
        reread += 1
        alone = _read_band(image, labels, cy, band, lang=lang, timeout=timeout, tessdata_dir=tessdata_dir)
        if alone and make_reading("line", 7, (alone,), lang).score > make_reading("page", 0, (line,), lang).score:
            out[i] = alone
            replaced += 1
    return tuple(out), {"reread": reread, "replaced": replaced}
