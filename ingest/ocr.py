"""Tesseract: orientation and versions through pytesseract, hOCR words through our own run of it (its CPU measured)."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shlex
import subprocess
import tempfile
import threading

from .processes import pid_alive

# One thread per Tesseract process: pages run in parallel instead (measured: 2 pages in parallel
# 2.4-2.8 s with one thread each vs 9.5 s with Tesseract's own threads on 2 cores).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import cv2
import numpy as np
import pytesseract
from lxml import etree

from .errors import IngestError, TransientError
from .model import Line, Word
from .text import nfc

ENGINE = "tesseract"
OEM = 1  # LSTM only: the legacy engine is absent from Debian's tessdata_fast models


@functools.cache
def engine_version() -> str:
    try:
        return f"{ENGINE} {pytesseract.get_tesseract_version()}"
    except pytesseract.TesseractNotFoundError:
        raise IngestError("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)") from None


@functools.cache
def available_languages(tessdata_dir: str | None = None) -> frozenset[str]:
    config = f'--tessdata-dir "{tessdata_dir}"' if tessdata_dir else ""
    return frozenset(pytesseract.get_languages(config=config))


def check_languages(lang: str, tessdata_dir: str | None = None) -> None:
    """Raise IngestError (one line, naming the installed models) unless every model of ``lang``
    (``vie``, ``dan+deu``...) is installed."""
    from .settings import is_lang_code

    installed = sorted(available_languages(tessdata_dir) - {"osd"})
    if not is_lang_code(lang):
        raise IngestError(f"language {lang!r} is not a Tesseract language code or combination "
                          f"(installed: {', '.join(installed) or 'none'})")
    missing = [part for part in lang.split("+") if part not in installed]
    if missing:
        raise IngestError(
            f"Tesseract has no model for {', '.join(missing)} (installed: {', '.join(installed) or 'none'}; "
            "apt-get install " + " ".join(f"tesseract-ocr-{m.lower().replace('_', '-')}" for m in missing) + ")"
        )


OCR_TEMP_PREFIX = "archive-ocr-"


def sweep_ocr_temp(folder: str | None = None) -> int:
    """Remove the page images that killed processes left for Tesseract (about 4 MB a page).
    Returns how many folders went."""
    import shutil
    from pathlib import Path

    removed = 0
    for d in Path(folder or tempfile.gettempdir()).glob(f"{OCR_TEMP_PREFIX}*-*"):
        pid = d.name[len(OCR_TEMP_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid)):
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed += 1
    return removed




@contextlib.contextmanager
def _image_file(image: np.ndarray):
    """The page as an uncompressed PGM/PPM file for Tesseract. pytesseract would write a PNG with
    Pillow: 1.6 s of compression per call on a 300 dpi page, against 0.01 s here (same words)."""
    # Named after this process: a process killed mid-page (SIGKILL) cannot clean up after itself,
    # so the next run removes the folders of processes that are gone (sweep_ocr_temp).
    with tempfile.TemporaryDirectory(prefix=f"{OCR_TEMP_PREFIX}{os.getpid()}-") as tmp:
        path = os.path.join(tmp, "page.ppm" if image.ndim == 3 else "page.pgm")
        if image.dtype != np.uint8:
            image = image.astype(np.uint8)
        if not cv2.imwrite(path, image):
            raise IngestError("could not write the page image for Tesseract")
        yield path


def _base_config(tessdata_dir: str | None) -> str:
    return f'--tessdata-dir "{tessdata_dir}"' if tessdata_dir else ""


def detect_orientation(gray: np.ndarray, tessdata_dir: str | None = None, timeout: float = 60) -> tuple[int, float]:
    """Clockwise rotation that makes the page upright, and Tesseract's OSD confidence.

    Blank or text-poor pages give (0, 0.0): OSD refuses them, and that is not an error.
    """
    h, w = gray.shape
    scale = min(1.0, 2500 / max(h, w))  # OSD needs glyph shapes, not full resolution
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    try:
        with _image_file(small) as path:
            out = pytesseract.image_to_osd(path, config=f"--psm 0 {_base_config(tessdata_dir)}", timeout=timeout)
    except pytesseract.TesseractError:
        return 0, 0.0
    except RuntimeError:  # pytesseract's timeout
        return 0, 0.0
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    conf = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    return (int(rotate.group(1)) if rotate else 0), (float(conf.group(1)) if conf else 0.0)


def choose_psm(binary: np.ndarray) -> int:
    """4 (one column of variable-size lines) unless the page shows a column gutter, then 3.

    Tesseract's default (3) breaks typewritten single-column pages into false columns
    (34% CER vs 1.3% with 4 on vietsample1.tif), so full auto layout is kept for real columns.
    """
    ink = binary == 0
    h, w = ink.shape
    rows = ink.any(axis=1)
    if rows.sum() < 10:
        return 4
    body = ink[rows]
    profile = body.mean(axis=0)
    smooth = np.convolve(profile, np.ones(max(3, w // 100)) / max(3, w // 100), mode="same")
    inked = np.nonzero(smooth > 0.002)[0]
    if inked.size == 0:
        return 4
    left, right = inked[0], inked[-1]
    span = right - left
    if span < w * 0.3:
        return 4
    middle = smooth[left + int(span * 0.25): left + int(span * 0.75)]
    empty = middle < 0.001
    # longest run of empty columns in the middle half of the text block
    best = run = 0
    for e in empty:
        run = run + 1 if e else 0
        best = max(best, run)
    return 3 if best >= max(8, span * 0.015) else 4


def read_words(
    image: np.ndarray,
    *,
    lang: str,
    psm: int,
    timeout: float,
    tessdata_dir: str | None = None,
) -> tuple[Line, ...]:
    """OCR a preprocessed page into lines of words (boxes in the image's pixels), each word with
    Tesseract's strongest alternative character (hOCR with lstm_choice_mode 2: the diacritics it
    hesitated over, which its word confidence hides; about 6-10% more time than plain TSV, same words and
    confidences)."""
    config = f"--oem {OEM} --psm {psm} -c lstm_choice_mode=2 {_base_config(tessdata_dir)}"
    try:
        with _image_file(image) as path:
            hocr = _hocr(path, lang=lang, config=config, timeout=timeout)
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise TransientError(f"OCR timed out after {timeout:g} s") from exc
        raise
    except pytesseract.TesseractError as exc:
        raise TransientError(f"tesseract failed: {str(exc.message).strip().splitlines()[-1:] or exc.status}") from exc
    return parse_hocr(hocr)


_SPENT = threading.local()


def tesseract_cpu() -> float:
    """CPU seconds of the Tesseract processes that read_words ran in this thread so far (a page is
    read in one thread: the pipeline records its first reading's and its extra readings' cost)."""
    return float(getattr(_SPENT, "seconds", 0.0))


def _hocr(path: str, *, lang: str, config: str, timeout: float) -> bytes:
    """Tesseract's hOCR of an image file: the command line pytesseract.image_to_pdf_or_hocr runs,
    its errors (TesseractNotFoundError, TesseractError, RuntimeError on a timeout), and the CPU the
    process used (its own rusage from wait4, which pytesseract's communicate() discards), added to
    this thread's tesseract_cpu()."""
    base = os.path.join(os.path.dirname(path), "out")
    args = [pytesseract.pytesseract.tesseract_cmd, path, base, "-l", lang,
            *shlex.split(f"-c tessedit_create_hocr=1 {config.strip()}"), "hocr"]
    with open(base + ".err", "w+b") as err:
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        except FileNotFoundError:
            raise pytesseract.TesseractNotFoundError() from None
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            proc.kill()

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer is not None:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (Ctrl-C in a one-thread run): no orphan left reading
            proc.kill()
            proc.wait()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        _SPENT.seconds = tesseract_cpu() + usage.ru_utime + usage.ru_stime
        if fired.is_set() and proc.returncode < 0:
            raise RuntimeError("Tesseract process timeout")
        if proc.returncode:
            err.seek(0)
            raise pytesseract.TesseractError(proc.returncode, " ".join(err.read().decode("utf-8", "replace").split()))
    with open(base + ".hocr", "rb") as out:
        return out.read()


_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_WCONF = re.compile(r"x_wconf (-?[\d.]+)")
_CCONF = re.compile(r"x_confs (-?[\d.]+)")
_ZERO = "x_confs 0"  # a choice Tesseract gave no confidence: 5 of the 6 choices of most characters


def parse_hocr(hocr: bytes) -> tuple[Line, ...]:
    """Lines of words from Tesseract's hOCR, with per-character choices when it has them."""
    if not hocr or hocr.isspace():  # not strip(): a copy of the whole hOCR (1 MB, 5 ms a page)
        return ()
    root = etree.fromstring(hocr, etree.HTMLParser(encoding="utf-8"))
    lines = []
    # every span holding words is a line (ocr_line, ocr_header, ocr_caption, ocr_textfloat)
    for line in root.xpath("//span[span[@class='ocrx_word']]"):
        words = []
        for node in line.xpath("./span[@class='ocrx_word']"):
            text = nfc((node.text or "").strip())
            box, conf = _BBOX.search(node.get("title", "")), _WCONF.search(node.get("title", ""))
            if not text or not box:
                continue
            alternative, alt_conf = _alternative(text, node)
            x0, y0, x1, y1 = (int(v) for v in box.groups())
            words.append(Word(text=text, bbox=(x0, y0, x1, y1),
                              confidence=max(float(conf.group(1)) if conf else 0.0, 0.0),
                              alternative=alternative, alternative_confidence=alt_conf))
        if words:
            lines.append(make_line(words))
    return tuple(lines)


def _alternative(text: str, word) -> tuple[str | None, float]:
    """The word with its most likely other character, and that character's confidence. A choice
    group whose best is a space is the gap before the word, not one of its characters."""
    groups = []
    for group in word:
        choices: list[tuple[str, float]] = []
        for c in group:
            title = c.get("title", "")
            if choices and title == _ZERO:
                continue  # most of a group's choices: never the group's best nor an alternative (conf > 0 below)
            found = _CCONF.search(title)
            if c.text is not None and found:
                choices.append((nfc(c.text), float(found.group(1))))
        if choices and choices[0][0].strip():
            groups.append(choices)
    aligned = len(groups) == len(text)
    best, alternative = 0.0, None
    for k, choices in enumerate(groups):
        chosen = text[k] if aligned else choices[0][0]
        for char, conf in choices:
            if char != chosen and char.strip() and conf > best:
                best = conf
                alternative = text[:k] + char + text[k + 1:] if aligned else None
    return alternative, round(best, 1)


def make_line(words: list[Word]) -> Line:
    chars = sum(len(w.text) for w in words) or 1
    conf = sum(w.confidence * len(w.text) for w in words) / chars
    box = (
        min(w.bbox[0] for w in words),
        min(w.bbox[1] for w in words),
        max(w.bbox[2] for w in words),
        max(w.bbox[3] for w in words),
    )
    return Line(text=" ".join(w.text for w in words), bbox=box, confidence=round(conf, 2), words=tuple(words))


def mean_confidence(lines: tuple[Line, ...]) -> float | None:
    words = [w for line in lines for w in line.words]
    chars = sum(len(w.text) for w in words)
    if not chars:
        return None
    return round(sum(w.confidence * len(w.text) for w in words) / chars, 2)
