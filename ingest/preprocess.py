"""Page image preprocessing with OpenCV: each step small, pure, and recorded with its parameters.

Order: grey -> upscale small text -> dark borders -> rotation -> deskew -> flatten background
-> denoise (grey pages, which Tesseract then thresholds itself) or despeckle (bilevel pages).
Boxes that OCR reports refer to the final image, which is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from .model import Step

# Median height (px) of glyph components on a 300 dpi page of 10-12 pt type; Tesseract reads best
# around this size, so smaller text is scaled up toward it.
TEXT_HEIGHT_AT_300 = 24.0
MAX_UPSCALE = 4.0



@dataclass
class Preprocessed:
    image: np.ndarray  # uint8, dark ink on light paper: bilevel for bilevel sources, else flattened grey
    dpi: int
    rotation: int = 0
    skew: float = 0.0
    steps: list[Step] = field(default_factory=list)


def to_gray(image: Image.Image) -> tuple[np.ndarray, bool]:
    """Grey uint8 array and whether the source was already bilevel (1-bit)."""
    bilevel = image.mode == "1"
    if image.mode in ("I;16", "I;16B", "I", "F"):
        arr = np.asarray(image, dtype=np.float64)
        span = max(arr.max() - arr.min(), 1.0)
        return ((arr - arr.min()) * 255.0 / span).astype(np.uint8), False
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    # an L page is copied once, not twice (convert, then asarray): 144 MB less for a 144 MP scan
    gray = np.asarray(image if image.mode == "L" else image.convert("L"), dtype=np.uint8)
    if not bilevel:
        values = np.unique(gray[:: max(1, gray.shape[0] // 200), :: max(1, gray.shape[1] // 200)])
        bilevel = values.size <= 2
    return np.ascontiguousarray(gray), bilevel


def ink_components(ink: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """cv2.connectedComponentsWithStats(ink, connectivity=8) with 16-bit labels while they fit:
    the same count, labels, stats and centroids, in 0.03 s of CPU instead of 0.09 s on a 300 dpi
    page (the label image is the cost; a page has about 2,000 components). Over 65,535 (a page of
    noise) OpenCV refuses 16 bits and the labels are 32-bit as before."""
    try:
        return cv2.connectedComponentsWithStats(ink, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        return cv2.connectedComponentsWithStats(ink, connectivity=8)


def paper_percentile(gray: np.ndarray, q: float = 90) -> int:
    """int(np.percentile(gray, q)) of a uint8 page, from its histogram when the two order statistics
    numpy interpolates between are equal (then the value is exactly theirs): 0.01 s of CPU against
    0.04 s for numpy's partition of every pixel. Otherwise numpy decides, as before."""
    n = gray.size
    if n > 2**24:  # calcHist counts in float32: exact below 2^24
        return int(np.percentile(gray, q))
    index = (n - 1) * (q / 100)
    below = np.cumsum(cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel())
    lo, hi = int(np.floor(index)), min(int(np.floor(index)) + 1, n - 1)
    a, b = int(np.searchsorted(below, lo, side="right")), int(np.searchsorted(below, hi, side="right"))
    return a if a == b else int(np.percentile(gray, q))


def otsu(gray: np.ndarray) -> np.ndarray:
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def glyph_height(binary: np.ndarray) -> float | None:
    """Median height of glyph-sized ink components, or None on a page without text."""
    n, _, stats, _ = ink_components(255 - binary)
    if n <= 1:
        return None
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    w = stats[1:, cv2.CC_STAT_WIDTH]
    area = stats[1:, cv2.CC_STAT_AREA]
    keep = (area >= 6) & (h >= 4) & (h <= 300) & (w <= 4 * h) & (h <= 8 * w)
    if keep.sum() < 20:
        return None
    return float(np.median(h[keep]))


def upscale_small_text(gray: np.ndarray, target_dpi: int, file_dpi: int | None = None) -> tuple[np.ndarray, float]:
    """Scale a page up when its glyphs are too small for Tesseract (low-dpi scans). A resolution
    the file states caps the factor: noise and blur break glyphs into small pieces that would
    otherwise pass for small type."""
    height = glyph_height(otsu(gray))
    wanted = TEXT_HEIGHT_AT_300 * target_dpi / 300
    if height is None or height >= 0.6 * wanted:
        return gray, 1.0
    factor = min(MAX_UPSCALE, wanted / height)
    if file_dpi:
        factor = min(factor, max(1.0, target_dpi / file_dpi))
    if factor <= 1.05:
        return gray, 1.0
    out = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    return out, factor


# A page over this many pixels (A4 at 600 dpi is 35 MP) whose file states more than LARGE_PAGE_DPI
# is brought down to that resolution before anything else: a 144 MP scan at 1,030 dpi peaked at
# 1.5 GB (two copies at decoding, two at grey conversion, the int32 component labels of the whole
# page, 576 MB, when measuring glyphs and ink coverage), and Tesseract read all 144 MP
# (bench.page_memory). The pipeline never upscales a page stated at 300 dpi or more, whatever its
# glyphs measure, so 400 dpi keeps a third more than it trusts. Smaller pages are untouched.
LARGE_PAGE_PIXELS = 40_000_000
LARGE_PAGE_DPI = 400


def downscale_large_page(gray: np.ndarray, file_dpi: int | None) -> tuple[np.ndarray, float]:
    if gray.size <= LARGE_PAGE_PIXELS or not file_dpi or file_dpi <= LARGE_PAGE_DPI:
        return gray, 1.0
    factor = LARGE_PAGE_DPI / file_dpi
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), factor


def remove_dark_borders(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Paint paper over large dark regions touching the page edge (scanner lid, book gutter).

    Returns the image and the share of the page painted.
    """
    h, w = gray.shape
    small_scale = min(1.0, 1000 / max(h, w))
    small = cv2.resize(gray, None, fx=small_scale, fy=small_scale, interpolation=cv2.INTER_AREA)
    dark: np.ndarray = (small < min(96, int(cv2.threshold(small, 0, 255, cv2.THRESH_OTSU)[0]))).astype(np.uint8)
    # Opening breaks thin links between a border and the text next to it.
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    sh, sw = dark.shape
    mask = np.zeros_like(dark)
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches = x == 0 or y == 0 or x + bw >= sw or y + bh >= sh
        long_edge = bw >= 0.25 * sw or bh >= 0.25 * sh
        if touches and long_edge and area >= 0.002 * sh * sw:
            mask[labels == i] = 1
    if not mask.any():
        return gray, 0.0
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    full = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
    paper = int(np.median(gray[~full])) if (~full).any() else 255
    out = gray.copy()
    out[full] = paper
    return out, float(full.mean())


def rotate_quarter(gray: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by a multiple of 90 degrees."""
    turns = (degrees // 90) % 4
    return np.ascontiguousarray(np.rot90(gray, k=-turns)) if turns else gray


def estimate_skew(binary: np.ndarray, max_angle: float = 10.0) -> float:
    """Skew in degrees (positive = text lines rise to the right... in image coordinates, clockwise)
    by maximising the sharpness of the horizontal projection profile of ink pixels."""
    # the ink's coordinates in raster order, as np.nonzero(binary == 0) gives them, in 0.006 s of CPU
    # instead of 0.03 on a 300 dpi page (the same points in the same order on the pool pages)
    found = cv2.findNonZero((binary == 0).view(np.uint8))
    points = found.reshape(-1, 2) if found is not None else np.zeros((0, 2), np.int32)
    return skew_of_ink(points[:, 1], points[:, 0], binary.shape[1], max_angle)


def skew_of_ink(ys: np.ndarray, xs: np.ndarray, width: int, max_angle: float = 10.0) -> float:
    """The angle search of estimate_skew over the ink's coordinates (raster order: the sample of
    200,000 points depends on it)."""
    if ys.size < 200:
        return 0.0
    if ys.size > 200_000:
        pick = np.random.default_rng(0).choice(ys.size, 200_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    xs = xs.astype(np.float64) - width / 2
    ys = ys.astype(np.float64)

    def score(angle: float) -> float:
        t = np.deg2rad(angle)
        proj = ys * np.cos(t) - xs * np.sin(t)
        # 2-pixel bins of fixed width: a data-dependent bin width would favour some angles.
        hist = np.bincount(((proj - proj.min()) / 2).astype(np.int64))
        return float(np.dot(hist, hist))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    best = max(fine, key=score)
    return float(round(best, 2))


def rotate_small(gray: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    """Rotate by a small angle about the centre, keeping the size; corners filled with paper."""
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def flatten_background(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Divide out uneven illumination, stains and yellowed paper (estimated by a closing)."""
    scale = 0.25
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    k = max(5, int(dpi / 300 * 61 * scale) | 1)  # wider than a glyph, narrower than a stain
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    background = cv2.GaussianBlur(background, (k, k), 0)
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(gray, np.maximum(background, 1), scale=255)
    return flat


def despeckle(binary: np.ndarray, dpi: int) -> tuple[np.ndarray, int]:
    """Remove isolated ink specks far smaller than any diacritic."""
    limit = max(2, int(3 * (dpi / 300) ** 2))
    n, labels, stats, _ = ink_components(255 - binary)
    small = np.nonzero(stats[1:, cv2.CC_STAT_AREA] <= limit)[0] + 1
    if small.size == 0:
        return binary, 0
    out = binary.copy()
    out[np.isin(labels, small)] = 255
    return out, int(small.size)


def preprocess(
    image: Image.Image,
    *,
    file_dpi: int | None,
    target_dpi: int = 300,
    rotation: int = 0,
) -> Preprocessed:
    """Clean a page for OCR. ``rotation`` (clockwise degrees, a multiple of 90) comes from
    orientation detection, which the caller runs only when a first reading looks wrong."""
    gray, bilevel = to_gray(image)
    steps: list[Step] = [Step("grey", {"source_mode": image.mode, "bilevel": bilevel})]
    dpi = file_dpi or target_dpi

    gray, factor = downscale_large_page(gray, file_dpi)
    if factor != 1.0:
        dpi = LARGE_PAGE_DPI
        steps.append(Step("downscale", {"factor": round(factor, 4), "interpolation": "area", "dpi": dpi}))
    gray, factor = upscale_small_text(gray, target_dpi, file_dpi)
    if factor != 1.0:
        dpi = round(dpi * factor) if file_dpi else target_dpi
        steps.append(Step("upscale", {"factor": round(factor, 3), "interpolation": "cubic"}))

    gray, painted = remove_dark_borders(gray)
    if painted:
        steps.append(Step("remove_borders", {"share_painted": round(painted, 4)}))

    rotation %= 360
    if rotation:
        gray = rotate_quarter(gray, rotation)
        steps.append(Step("rotate", {"degrees_clockwise": rotation}))

    skew = estimate_skew(otsu(gray))
    if abs(skew) >= 0.1:
        gray = rotate_small(gray, -skew, fill=paper_percentile(gray, 90))
    steps.append(Step("deskew", {"measured": skew, "method": "projection_profile", "applied": abs(skew) >= 0.1}))

    if bilevel:
        binary = otsu(gray)  # rotation interpolated grey edges back in
        steps.append(Step("binarize", {"method": "otsu", "note": "bilevel source"}))
        binary, specks = despeckle(binary, dpi)
        steps.append(Step("despeckle", {"removed": specks}))
        return Preprocessed(image=binary, dpi=dpi, rotation=rotation, skew=skew, steps=steps)
    flat = flatten_background(gray, dpi)
    steps.append(Step("flatten_background", {"method": "divide_by_closing", "scale": 0.25}))
    flat = cv2.medianBlur(flat, 3)
    steps.append(Step("denoise", {"method": "median", "ksize": 3}))
    # Grey pages go to Tesseract flattened but not binarised: its own thresholding of the even
    # page kept more of faded and carbon strokes than ours (bench: mean CER 0.83% vs 1.06%).
    steps.append(Step("binarize", {"method": "tesseract internal (Otsu) on the flattened page"}))
    return Preprocessed(image=flat, dpi=dpi, rotation=rotation, skew=skew, steps=steps)
