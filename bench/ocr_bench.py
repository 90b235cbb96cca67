"""OCR accuracy and throughput: this pipeline vs raw Tesseract vs OCRmyPDF, on generated pages.

    python -m bench.ocr_bench [--per-level 4] [--throughput 25] [--rss-pages 0]

Accuracy: pages from bench.pagegen at five levels, each read by (1) the `tesseract` CLI with its
defaults on the original image, (2) OCRmyPDF (--deskew --clean --rotate-pages, --sidecar) when
its command is found (OCRMYPDF=path, or .venv-ocrmypdf/bin/ocrmypdf; `make bench` installs it
in its own virtualenv since it pins pdfminer versions of its own), (3) this pipeline.
CER/WER on NFC text with whitespace collapsed; "diacritics-only" is the share of the pipeline's
character errors that vanish when marks are stripped from both sides.
Throughput: `archive-ingest ingest` on N pages (wall, pages/min) vs the Tesseract floor (raw
single-thread tesseract CPU seconds on the same pages / cores) and OCRmyPDF's wall time on the
same pages as one PDF. Peak RSS of the ingest command on an N-page PDF with --rss-pages N.
Writes bench/results/ocr.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from bench.pagegen import LEVELS, MIDDLE, generate

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).split())


def strip_marks(s: str) -> str:
    d = unicodedata.normalize("NFD", s)
    return "".join(c for c in d if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D")


def cer(hyp: str, ref: str) -> float:
    return Levenshtein.distance(norm(hyp), norm(ref)) / max(1, len(norm(ref)))


def wer(hyp: str, ref: str) -> float:
    return Levenshtein.distance(norm(hyp).split(), norm(ref).split()) / max(1, len(norm(ref).split()))


def diacritic_share(hyp: str, ref: str) -> float:
    errors = Levenshtein.distance(norm(hyp), norm(ref))
    plain = Levenshtein.distance(strip_marks(norm(hyp)), strip_marks(norm(ref)))
    return (errors - plain) / errors if errors else 0.0


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def raw_tesseract(path: Path, lang: str) -> tuple[str, float]:
    before = child_cpu()
    out = subprocess.run(["tesseract", str(path), "stdout", "-l", lang], capture_output=True, text=True, env=ENV)
    return out.stdout, child_cpu() - before


def ocrmypdf_cmd() -> str | None:
    for cand in (os.environ.get("OCRMYPDF"), str(ROOT / ".venv-ocrmypdf" / "bin" / "ocrmypdf"), shutil.which("ocrmypdf")):
        if cand and Path(cand).exists():
            return cand
    return None


def _ocrmypdf(cmd: str, pdf: Path, lang: str, dpi: int | None, workdir: Path) -> tuple[str, float]:
    sidecar = workdir / (pdf.stem + ".txt")
    args = [cmd, "--deskew", "--clean", "--rotate-pages", "-l", lang, "--sidecar", str(sidecar),
            "--output-type", "pdf", "--jobs", str(os.cpu_count() or 2), "-q"]
    if dpi:
        args += ["--image-dpi", str(dpi)]
    t0 = time.perf_counter()
    proc = subprocess.run(args + [str(pdf), str(workdir / (pdf.stem + ".ocr.pdf"))], capture_output=True, text=True,
                          env=ENV)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 10):  # 10: PDF/A conversion skipped, text is fine
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}")
    return sidecar.read_text(encoding="utf-8", errors="replace").replace("\f", "\n"), wall


def images_to_pdf(images: list[Path], out: Path) -> Path:
    from PIL import Image

    frames = [Image.open(p).convert("L") for p in images]
    frames[0].save(out, save_all=True, append_images=frames[1:], resolution=float(frames[0].info.get("dpi", (300,))[0]))
    return out


def accuracy(per_level: int, tmp: Path, ocrmypdf: str | None) -> list[dict]:
    from ingest.pipeline import ocr_image

    rows = []
    for n, page in enumerate(generate(per_level=per_level)):
        path = tmp / f"acc-{n:03d}.png"
        page.image.save(path, dpi=(page.dpi, page.dpi))
        truth = "\n".join(page.lines)
        raw, raw_cpu = raw_tesseract(path, page.lang)
        t0 = time.perf_counter()
        ours = ocr_image(page.image, lang=page.lang, dpi=page.dpi)
        ours_wall = time.perf_counter() - t0
        ours_text = "\n".join(l.text for l in ours.lines)
        row = {"level": page.level, "lang": page.lang, "turn": page.turn, "skew": round(page.skew, 2),
               "cer_raw": cer(raw, truth), "cer_pipeline": cer(ours_text, truth), "wer_raw": wer(raw, truth),
               "wer_pipeline": wer(ours_text, truth), "diacritics_only": diacritic_share(ours_text, truth),
               "raw_cpu_s": raw_cpu, "pipeline_s": ours_wall, "rotation_found": ours.rotation}
        if ocrmypdf:
            try:
                text, wall = _ocrmypdf(ocrmypdf, images_to_pdf([path], tmp / f"acc-{n:03d}.pdf"), page.lang,
                                       page.dpi, tmp)
                row["cer_ocrmypdf"], row["wer_ocrmypdf"], row["ocrmypdf_s"] = cer(text, truth), wer(text, truth), wall
            except RuntimeError as exc:
                row["ocrmypdf_error"] = str(exc)
        rows.append(row)
        print(f"  {page.level} {page.lang} turn {page.turn}: CER raw {row['cer_raw']:.1%}, "
              f"ocrmypdf {row.get('cer_ocrmypdf', float('nan')):.1%}, pipeline {row['cer_pipeline']:.1%}", flush=True)
    return rows


def throughput(pages: int, tmp: Path, ocrmypdf: str | None) -> dict:
    folder = tmp / f"through-{pages}"
    folder.mkdir()
    paths, langs = [], []
    for n, page in enumerate(generate(per_level=(pages + len(LEVELS) - 1) // len(LEVELS), seed=7)):
        if n >= pages:
            break
        p = folder / f"p{n:04d}.png"
        page.image.save(p, dpi=(page.dpi, page.dpi))
        paths.append(p)
        langs.append(page.lang)
    # one language model for every reader here, as a batch of one collection would have
    floor_cpu = sum(raw_tesseract(p, "vie")[1] for p in paths)
    cores = os.cpu_count() or 2
    env = {**ENV, "ARCHIVE_DB_URL": f"sqlite:///{tmp}/t{pages}.db", "ARCHIVE_FILES_DIR": str(tmp / f"files{pages}"),
           "ARCHIVE_LANG": "vie"}
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("archive-ingest")), "ingest", str(folder)], env=env,
                   capture_output=True, text=True)
    wall = time.perf_counter() - t0
    result = {"pages": pages, "pipeline_wall_s": wall, "pages_per_minute": pages / wall * 60,
              "tesseract_floor_s": floor_cpu / cores, "ratio_to_floor": wall / (floor_cpu / cores)}
    if ocrmypdf:
        pdf = images_to_pdf(paths, tmp / f"through-{pages}.pdf")
        try:
            _, owall = _ocrmypdf(ocrmypdf, pdf, "vie", None, tmp)
            result |= {"ocrmypdf_wall_s": owall, "ratio_to_ocrmypdf": wall / owall}
        except RuntimeError as exc:
            result["ocrmypdf_error"] = str(exc)
    return result


def peak_rss(pages: int, tmp: Path) -> dict:
    """Ingest one PDF of `pages` pages (generated pages cycled) and report the peak RSS of the
    largest process of the command (the CLI with its flow; each Tesseract is its own process)."""

    distinct = [p.image.convert("L") for p in generate(per_level=2, seed=11, lines_per_page=24)]
    pdf = tmp / f"rss-{pages}.pdf"
    frames = [distinct[i % len(distinct)].resize((1700, 2200)) for i in range(pages)]
    frames[0].save(pdf, save_all=True, append_images=frames[1:], resolution=200.0)
    del frames
    env = {**ENV, "ARCHIVE_DB_URL": f"sqlite:///{tmp}/rss.db", "ARCHIVE_FILES_DIR": str(tmp / "rss-files"),
           "ARCHIVE_LANG": "vie+eng"}
    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "p = subprocess.run(sys.argv[1:], capture_output=True); "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t, p.returncode)")
    out = subprocess.run([sys.executable, "-c", script, str(Path(sys.executable).with_name("archive-ingest")),
                          "ingest", str(pdf)], env=env, capture_output=True, text=True)
    kb, wall, code = out.stdout.split()
    return {"pages": pages, "peak_rss_mb": int(kb) / 1024, "wall_s": float(wall), "exit": int(code)}


def summarize(rows: list[dict]) -> dict:
    out = {}
    for level in [l.name for l in LEVELS]:
        sel = [r for r in rows if r["level"] == level]
        if not sel:
            continue
        mean = lambda k: sum(r[k] for r in sel if k in r) / max(1, sum(1 for r in sel if k in r))  # noqa: E731
        out[level] = {k: round(mean(k), 4) for k in ("cer_raw", "cer_ocrmypdf", "cer_pipeline", "wer_raw",
                                                     "wer_ocrmypdf", "wer_pipeline", "diacritics_only")
                      if any(k in r for r in sel)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-level", type=int, default=4)
    parser.add_argument("--throughput", default="25", help="comma-separated page counts, '' for none")
    parser.add_argument("--rss-pages", type=int, default=0, help="peak RSS on a PDF of this many pages")
    args = parser.parse_args()
    ocrmypdf = ocrmypdf_cmd()
    print(f"OCRmyPDF: {ocrmypdf or 'not found (skipped)'}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = accuracy(args.per_level, tmp, ocrmypdf)
        table = summarize(rows)
        through = [throughput(int(n), tmp, ocrmypdf) for n in args.throughput.split(",") if n.strip()]
        rss = peak_rss(args.rss_pages, tmp) if args.rss_pages else None
    print("\n| level | CER raw tesseract | CER OCRmyPDF | CER pipeline | WER raw | WER pipeline | diacritics-only |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for level, s in table.items():
        print(f"| {level} | {s['cer_raw']:.2%} | {s.get('cer_ocrmypdf', float('nan')):.2%} | {s['cer_pipeline']:.2%} | "
              f"{s['wer_raw']:.2%} | {s['wer_pipeline']:.2%} | {s['diacritics_only']:.0%} |")
    for t in through:
        print(f"\nthroughput {t['pages']} pages: pipeline {t['pipeline_wall_s']:.1f} s ({t['pages_per_minute']:.1f} "
              f"pages/min), Tesseract floor {t['tesseract_floor_s']:.1f} s (ratio {t['ratio_to_floor']:.2f})"
              + (f", OCRmyPDF {t['ocrmypdf_wall_s']:.1f} s (ratio {t['ratio_to_ocrmypdf']:.2f})"
                 if "ocrmypdf_wall_s" in t else ""))
    if rss:
        print(f"\npeak RSS ingesting a {rss['pages']}-page PDF: {rss['peak_rss_mb']:.0f} MB "
              f"({rss['wall_s']:.0f} s, exit {rss['exit']})")
    mids = [table[m] for m in MIDDLE if m in table]
    checks = {
        "middle CER <= 3%": all(m["cer_pipeline"] <= 0.03 for m in mids),
        "middle CER <= 0.5 x raw": all(m["cer_pipeline"] <= 0.5 * m["cer_raw"] for m in mids),
        "CER not worse than OCRmyPDF": all(m["cer_pipeline"] <= m.get("cer_ocrmypdf", 1.0) for m in table.values()),
    }
    print("\ntargets: " + ", ".join(f"{k}: {'pass' if v else 'FAIL'}" for k, v in checks.items()))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ocr.json").write_text(json.dumps({"levels": table, "pages": rows, "throughput": through, "rss": rss,
                                              "targets": checks, "machine": f"{platform.platform()}, "
                                              f"{os.cpu_count()} cores"}, indent=2))


if __name__ == "__main__":
    main()
