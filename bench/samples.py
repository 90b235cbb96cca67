"""Accuracy and speed of the pipeline on the shared Vietnamese samples that have ground truth.

    python -m bench.samples            # prints a markdown table, writes bench/results/samples.json

Compares, page by page: raw Tesseract with its defaults (psm 3) on the original image, Tesseract
with --psm 4, and this pipeline (preprocessing, layout choice, OCR). CER is on NFC text with
whitespace collapsed; "diacritics-only" is the share of the pipeline's errors that vanish when
marks are stripped from both sides.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import pdfplumber  # noqa: E402
import pytesseract  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from ingest.pipeline import PageOptions, read_page  # noqa: E402
from ingest.sources import SourcePage, load_page  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
from bench.ocr_metrics import normalize as norm, strip_marks  # noqa: E402
from bench.shared import SHARED  # noqa: E402
VIET = SHARED / "data" / "vietnamese-ocr"


def cer(hyp: str, ref: str) -> float:
    return Levenshtein.distance(norm(hyp), norm(ref)) / max(1, len(norm(ref)))


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def pages():
    for n in (1, 2):
        page = load_page(VIET / "vietsample1.tif", "image/tiff", n, dpi=300, max_pixels=10**9)
        yield f"vietsample1.tif p{n}", page, (VIET / f"vietsample1.p{n}.gt.txt").read_text(encoding="utf-8")
    # vietsample1.pdf: its exact text layer is the truth; its pages rendered at 300 dpi are the input.
    # (read directly: the ingest path refuses this file because it is encrypted)
    with pdfplumber.open(VIET / "vietsample1.pdf") as pdf:
        for i, p in enumerate(pdf.pages, start=1):
            image = p.to_image(resolution=300, antialias=True).original
            yield f"vietsample1.pdf p{i}", SourcePage(number=i, image=image, dpi=300), p.extract_text() or ""


def main() -> None:
    rows = []
    for name, page, truth in pages():
        raw_cpu0 = child_cpu()
        raw = pytesseract.image_to_string(page.image, lang="vie")
        raw_cpu = child_cpu() - raw_cpu0
        psm4 = pytesseract.image_to_string(page.image, lang="vie", config="--psm 4")
        t0, c0 = time.perf_counter(), child_cpu()
        reading = read_page(page, PageOptions(lang="vie"))
        wall, cpu = time.perf_counter() - t0, child_cpu() - c0
        ours = "\n".join(l.text for l in reading.text.lines)
        errors = Levenshtein.distance(norm(ours), norm(truth))
        plain = Levenshtein.distance(strip_marks(norm(ours)), strip_marks(norm(truth)))
        rows.append({
            "page": name, "chars": len(norm(truth)),
            "cer_raw_default": round(cer(raw, truth), 4), "cer_raw_psm4": round(cer(psm4, truth), 4),
            "cer_pipeline": round(cer(ours, truth), 4),
            "diacritics_only_share": round((errors - plain) / errors, 3) if errors else 0.0,
            "psm": reading.text.params.get("psm"), "pipeline_seconds": round(wall, 2),
            "tesseract_cpu_seconds_pipeline": round(cpu, 2), "tesseract_cpu_seconds_raw": round(raw_cpu, 2),
        })
    print("| page | chars | CER raw (psm 3) | CER raw psm 4 | CER pipeline | diacritics-only errors | pipeline s/page |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['page']} | {r['chars']} | {r['cer_raw_default']:.2%} | {r['cer_raw_psm4']:.2%} | "
              f"{r['cer_pipeline']:.2%} | {r['diacritics_only_share']:.0%} | {r['pipeline_seconds']:.2f} |")
    total = sum(r["chars"] for r in rows)
    mean = lambda k: sum(r[k] * r["chars"] for r in rows) / total  # noqa: E731
    print(f"\nchar-weighted CER: raw {mean('cer_raw_default'):.2%}, raw psm 4 {mean('cer_raw_psm4'):.2%}, "
          f"pipeline {mean('cer_pipeline'):.2%}; mean pipeline {sum(r['pipeline_seconds'] for r in rows) / len(rows):.2f} s/page "
          f"(one page at a time, one Tesseract thread) on {platform.machine()} {os.cpu_count()} cores")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "samples.json").write_text(json.dumps({"rows": rows, "machine": platform.platform()}, indent=2))


if __name__ == "__main__":
    main()
