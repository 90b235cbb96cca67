"""The story of one page: source page -> (text layer | preprocess -> OCR) -> lines -> passages."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from . import ocr
from .linereads import reread_lines, reread_weak_lines
from .margins import strip_margins
from .model import PageText, Step
from .paragraphs import rebuild_passages
from .preprocess import preprocess, to_gray
from .readings import ink_coverage, make_reading, map_boxes
from .sources import SourcePage


@dataclass(frozen=True)
class PageOptions:
    lang: str = "vie"
    dpi: int = 300
    ocr_timeout: float = 120.0
    osd_min_confidence: float = 2.0
    tessdata_dir: str | None = None
    detect_orientation: bool = True


@dataclass
class PageReading:
    text: PageText
    preprocessed: np.ndarray | None  # None for text-layer pages (nothing was OCR'd)


def _pdfplumber_engine() -> str:
    import pdfplumber

    return f"pdfplumber {pdfplumber.__version__}"


def read_page(page: SourcePage, options: PageOptions) -> PageReading:
    """Read one page: trust a born-digital text layer, OCR everything else."""
    if page.text_layer is not None and page.text_layer.lines:
        lines = page.text_layer.lines
        text = PageText(
            number=page.number,
            text_source="text_layer",
            lines=lines,
            passages=rebuild_passages(lines),
            width=page.image.width,
            height=page.image.height,
            dpi=page.dpi or options.dpi,
            steps=(Step("render", {"dpi": page.dpi or options.dpi}),),
            engine=_pdfplumber_engine(),
            model="text layer",
            params={},
            mean_confidence=100.0,
        )
        return PageReading(text=text, preprocessed=None)
    return ocr_page(page.image, number=page.number, file_dpi=page.dpi, options=options)


# Below this mean word confidence a page may be sideways or upside down: only then is
# Tesseract's orientation detection (about 1 s a page) worth running.
SUSPECT_CONFIDENCE = 60.0
# A turned reading of fewer words than this is no evidence of the page's orientation by itself (OSD
# is asked): punctuation counts as known, so one "-" read at confidence 70 would otherwise be sound.
SOUND_MIN_WORDS = 5


def _sound(lines, lang: str) -> bool:
    """A reading that stands as text on its own: confident, and mostly words the lexicon knows.
    A turn by 180 degrees must read soundly (or OSD must agree): being 10 points less bad is no
    evidence. Generated 4-hard pages turned 90 degrees (export bench gen-19, flags bench seed1968-16)
    read one word either way up, at confidence 31 -> 51 and None -> 1; the half turn was applied,
    and the page then read at 270 degrees (confidence 93 and 85, 96% and 94% known words) was never
    tried: OSD, which said 270 and 90 there, was not asked (nor on pagegen seed 6's 4-hard page turned
    90 degrees, 10 lines: one word read turned 180, confidence 70). Nor are a few words a reading."""
    reading = make_reading("turned", 0, lines, lang)
    words = sum(len(line.words) for line in lines)
    return words >= SOUND_MIN_WORDS and reading.confidence >= SUSPECT_CONFIDENCE and reading.known >= DOUBTFUL_KNOWN


def _orient(image: Image.Image, prep, psm: int, lines, file_dpi: int | None, options: PageOptions):
    """Read the page turned when the first reading looks sideways or unsure; keep the turned reading
    only on evidence. Returns (prep, psm, lines, conf, steps) as kept, steps with the orientation step."""
    conf = ocr.mean_confidence(lines)
    sideways = _sideways(lines)

    def read_turned(turn: int):
        turned = preprocess(image, file_dpi=file_dpi, target_dpi=options.dpi, rotation=turn)
        psm2, lines2 = _ocr(turned.image, options)
        return (ocr.mean_confidence(lines2) or -1.0, turn, turned, psm2, lines2)

    def clearly_better(r) -> bool:
        return r[0] >= 0 and (conf is None or r[0] > conf + 10)

    # Cheapest first. A sideways first reading (tall lines): read both quarter turns, since OSD
    # would only choose between them and often chose wrong on noisy pages (generated 4-hard
    # pages). Otherwise an unsure reading is most often an upside-down page: read it turned.
    readings = [read_turned(t) for t in ((90, 270) if sideways else (180,))]
    osd_degrees, osd_conf = None, 0.0
    if not sideways and not (clearly_better(readings[0]) and _sound(readings[0][4], options.lang)):
        # not plainly upside down: ask OSD (about 1 s) whether it is, or lies on its side after all
        osd_degrees, osd_conf = ocr.detect_orientation(prep.image, options.tessdata_dir)
        # OSD's quarter-turn answers are checked by reading, so even a weak one is worth it;
        # so is a page on which nothing at all was read either way up
        if osd_degrees % 180 == 90 or (conf is None and readings[0][0] < 0):
            readings += [read_turned(t) for t in (90, 270)]
    # the half turn counts only on evidence: its reading is sound, or OSD says 180 with confidence
    half_ok = sideways or _sound(readings[0][4], options.lang) or (
        osd_degrees == 180 and osd_conf >= options.osd_min_confidence)
    candidates = [r for r in readings if r[1] != 180 or half_ok]
    applied = False
    if candidates:
        best = max(candidates, key=lambda r: r[0])
        if best[1] == 180:
            applied = clearly_better(best)
        else:  # keep a quarter-turned reading unless it reads clearly worse than the page as it came
            applied = best[0] >= 0 and (conf is None or sideways or best[0] >= conf - 5.0)
    steps = list(prep.steps)
    turn = 0
    if applied:
        conf, turn, prep, psm, lines = best
        steps = [s for s in prep.steps if s.name != "rotate"]
    steps.insert(1, Step("orientation", {"osd": osd_degrees, "osd_confidence": round(osd_conf, 2),
                                         "tried": [r[1] for r in readings], "turned": turn,
                                         "applied": applied, "reason": "first reading looked sideways or unsure"}))
    return prep, psm, lines, conf, steps


def ocr_page(image: Image.Image, *, number: int, file_dpi: int | None, options: PageOptions) -> PageReading:
    spent = ocr.tesseract_cpu()  # this thread's Tesseract CPU so far
    prep = preprocess(image, file_dpi=file_dpi, target_dpi=options.dpi)
    psm, lines = _ocr(prep.image, options)
    first_cpu = ocr.tesseract_cpu() - spent
    conf = ocr.mean_confidence(lines)
    steps = list(prep.steps)
    if options.detect_orientation and (conf is None or conf < SUSPECT_CONFIDENCE or _sideways(lines)):
        prep, psm, lines, conf, steps = _orient(image, prep, psm, lines, file_dpi, options)
    psm, lines, reading_step = choose_reading(image, prep, psm, lines, options)
    conf = ocr.mean_confidence(lines)
    # What Tesseract cost: the first reading, and the readings a doubtful page added (orientation,
    # doubtful-page and line re-readings; orientation detection's own run is not in it), so that
    # bench.speed counts the extra readings apart from the cost of a clean page.
    reading_step.params["tesseract_cpu_s"] = {"first": round(first_cpu, 3),
                                              "extra": round(ocr.tesseract_cpu() - spent - first_cpu, 3)}
    steps.append(reading_step)
    text = PageText(
        number=number,
        text_source="ocr",
        lines=lines,
        passages=rebuild_passages(lines),
        width=int(prep.image.shape[1]),
        height=int(prep.image.shape[0]),
        dpi=prep.dpi,
        rotation=prep.rotation,
        skew=prep.skew,
        steps=tuple(steps),
        engine=ocr.engine_version(),
        model=options.lang,
        params={"psm": psm, "oem": ocr.OEM, "timeout": options.ocr_timeout, "omp_thread_limit": 1},
        mean_confidence=conf,
    )
    return PageReading(text=text, preprocessed=prep.image)


# A first reading is doubtful, and worth more readings, below any of these (real tuning pages,
# bench.real_bench): czech/009 read at psm 4 covered 39% of its glyph ink (68% CER) with confidence
# 77; czech/004 (72% raw CER) 83%; czech/001, sound at 7.5% CER, has 63% of its characters in
# word-shaped words (Czech has no bundled dictionary) and confidence 79, czech/006 (10%) 75.
DOUBTFUL_CONFIDENCE = 70.0
DOUBTFUL_KNOWN = 0.6
DOUBTFUL_COVERAGE = 0.85


def choose_reading(image: Image.Image, prep, psm: int, lines, options: PageOptions):
    """Keep the first reading when it is sound; when it is doubtful, read the page again at psm 6
    (one uniform block: dense typescript whose tight lines psm 4 merges or skips; czech/005 50% CER at
    psm 4, 17% at 6), at psm 6 with thinned strokes, and raw Tesseract on the original image (its
    defaults, boxes carried onto the stored image), and keep the best scored (readings.make_reading)."""
    from .preprocess import otsu

    first = make_reading("first", psm, lines, options.lang)
    coverage = ink_coverage(otsu(prep.image), lines)
    doubts = [why for why, bad in (
        (f"confidence {first.confidence:.0f} < {DOUBTFUL_CONFIDENCE:g}", first.confidence < DOUBTFUL_CONFIDENCE),
        (f"known words {first.known:.0%} < {DOUBTFUL_KNOWN:.0%}", first.known < DOUBTFUL_KNOWN),
        (f"ink covered {coverage or 0:.0%} < {DOUBTFUL_COVERAGE:.0%}",
         coverage is not None and coverage < DOUBTFUL_COVERAGE)) if bad]
    if not doubts:
        lines, weak = reread_weak_lines(prep.image, lines, lang=options.lang, timeout=options.ocr_timeout,
                                        tessdata_dir=options.tessdata_dir)
        # one column (ocr.choose_psm): marks beside it are not text; no Tesseract run
        lines, margin = strip_margins(lines, options.lang) if psm != 3 else (lines, [])
        return psm, lines, Step("reading", {"chosen": "first+lines" if weak["replaced"] else "first",
                                            "reason": "first reading sound",
                                            "coverage": round(coverage, 3) if coverage is not None else None,
                                            "candidates": [first.summary()], "lines": weak,
                                            "margin_left_out": margin})
    readings = [first]
    read = lambda image, p: ocr.read_words(image, lang=options.lang, psm=p, timeout=options.ocr_timeout,  # noqa: E731
                                           tessdata_dir=options.tessdata_dir)
    if psm != 6:
        readings.append(make_reading("psm6", 6, read(prep.image, 6), options.lang))
    # Over-inked typescript: strokes thinned by one pixel a side (a 3x3 opening of the paper) before
    # psm 6. czech/013: 36% CER at psm 6, 20% thinned; czech/011: 18% -> 16-17%.
    thinned = cv2.dilate(prep.image, np.ones((3, 3), np.uint8))
    readings.append(make_reading("psm6_thinned", 6, read(thinned, 6), options.lang))
    if prep.rotation == 0:
        readings.append(make_reading("raw", 3, _raw_reading(image, prep, options), options.lang))
    best = max(readings, key=lambda r: r.score)
    chosen, lines = best.name, best.lines
    lines_step: dict = {}
    if psm != 3:  # one column (ocr.choose_psm): its text lines span the page, so they can be cut out
        lines, lines_step = reread_lines(prep.image, best.lines, lang=options.lang, timeout=options.ocr_timeout,
                                         tessdata_dir=options.tessdata_dir)
        chosen = f"{best.name}+lines" if lines_step["replaced"] or lines_step["left_out"] else best.name
    also = ", doubtful lines re-read alone" if lines_step else ""
    return best.psm, lines, Step("reading", {
        "chosen": chosen, "reason": f"first reading doubtful ({'; '.join(doubts)}); best score of "
                                    f"{len(readings)} readings{also}",
        "coverage": round(coverage, 3) if coverage is not None else None,
        "candidates": [r.summary() for r in readings], "lines": lines_step})


def _raw_reading(image: Image.Image, prep, options: PageOptions):
    """Tesseract's defaults (psm 3) on the image as it came, with its word boxes carried onto the
    stored preprocessed image (its scale and deskew; no quarter turn was applied). Colour pages go in
    colour: Tesseract thresholds each channel (danish/006: 1.5% CER from the colour page, 2.3% from grey)."""
    rgb = image.mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr")
    original = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR) if rgb else to_gray(image)[0]
    if any(s.name == "downscale" for s in prep.steps):  # a very large page: raw, but at the size read
        original = cv2.resize(original, prep.image.shape[1::-1], interpolation=cv2.INTER_AREA)
    lines = ocr.read_words(original, lang=options.lang, psm=3, timeout=options.ocr_timeout,
                           tessdata_dir=options.tessdata_dir)
    h, w = original.shape[:2]
    ph, pw = prep.image.shape[:2]
    scale = np.array([[pw / w, 0, 0], [0, ph / h, 0], [0, 0, 1]], dtype=np.float64)
    turn = cv2.getRotationMatrix2D((pw / 2, ph / 2), prep.skew, 1.0) if abs(prep.skew) >= 0.1 else \
        np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64)
    return map_boxes(lines, turn @ scale, (pw, ph))


def _sideways(lines) -> bool:
    """Tesseract can read a sideways page as vertical lines with good confidence."""
    long = [l for l in lines if len(l.text) >= 4]
    tall = sum(1 for l in long if (l.bbox[3] - l.bbox[1]) > (l.bbox[2] - l.bbox[0]))
    return bool(long) and tall * 2 > len(long)


def _ocr(image: np.ndarray, options: PageOptions):
    from .preprocess import otsu

    psm = ocr.choose_psm(otsu(image))
    lines = ocr.read_words(image, lang=options.lang, psm=psm, timeout=options.ocr_timeout,
                           tessdata_dir=options.tessdata_dir)
    return psm, lines


def ocr_image(image: Image.Image, *, lang: str = "vie", dpi: int | None = None) -> PageText:
    """OCR one page image with the full pipeline and default options (benchmarks, scripts)."""
    if dpi is None:
        info_dpi = image.info.get("dpi")
        dpi = round(float(info_dpi[0])) if info_dpi else None
    return ocr_page(image, number=1, file_dpi=dpi, options=PageOptions(lang=lang)).text
