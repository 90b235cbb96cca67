"""OCR accuracy and throughput: this pipeline vs raw Tesseract vs OCRmyPDF, on the same pages.

    python -m bench.ocr_bench                          # 6 generated pages a level + shared samples; 25-page throughput
    python -m bench.ocr_bench --quick                  # 2 pages a level, no throughput (writes results/ocr-quick.json)
    python -m bench.ocr_bench --skip-accuracy --throughput 100
    python -m bench.ocr_bench --skip-accuracy --throughput '' --rss-pages 300
    python -m bench.ocr_bench --throughput 25,100,400  # 400 pages only when asked (about 30 min on 2 cores)

Accuracy, page by page: generated typewritten pages (bench.pagegen, five levels) and the shared
Vietnamese samples that have ground truth, each read by (1) the `tesseract` CLI with its defaults
on the original image (`-l vie` or `-l eng`), (2) OCRmyPDF (`--deskew --clean --rotate-pages`,
unpaper, `--sidecar`) on the same images wrapped losslessly into a PDF by img2pdf, one PDF per
language, (3) the pipeline, `ingest.pipeline.ocr_image`. Metrics: bench.ocr_metrics, pooled over
the pages of a level (character-weighted).

Throughput: `nice -n 5 archive-ingest ingest DIR --collection bench --lang vie` (OCRmyPDF lowers
its own priority by 5: same footing when other work shares the machine) into a temporary SQLite
database and file store, on N distinct page files (Vietnamese pages of all levels; copies of a
pool of generated pages with a different PNG text chunk each, so no two files share a sha256),
against the Tesseract floor (single-thread `tesseract` CPU seconds on the same pages / cores,
each page's CPU taken from wait4) and OCRmyPDF's wall time on the same pages as one PDF.
Peak memory: the ingest command on one N-page scanned PDF, the RSS of its whole process tree
(sampled every 0.2 s) and of its largest process.

Results are merged into bench/results/ocr.json (each part keeps its latest measurement, with the
date, machine and load) and bench/RESULTS.md is rewritten between its OCR-bench markers.
Tesseract always runs with OMP_THREAD_LIMIT=1.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import io
import json
import os
import platform
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bench.ocr_metrics import Score, cer, diacritic_share, score, wer  # noqa: F401  (cer/wer re-exported)
from bench.pagegen import LEVELS, MIDDLE, SHARED, generate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}
CORES = os.cpu_count() or 2
ENGINES = ("raw", "ocrmypdf", "pipeline")
MARK_START, MARK_END = "<!-- ocr-bench:start -->", "<!-- ocr-bench:end -->"


@dataclass
class BenchPage:
    name: str
    group: str  # generated level name, or "samples"
    lang: str
    path: Path  # lossless image file: what every engine reads
    dpi: int | None
    truth: str
    turn: int | None = None  # clockwise degrees the generator turned the page


# ---- engines -------------------------------------------------------------------------------

def run_measured(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[str, float, int, int]:
    """Run a command; its stdout, CPU seconds (itself and the children it waited for), max RSS kB and exit code."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env or ENV, cwd=cwd)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return out.decode("utf-8", "replace"), usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode


def raw_tesseract(path: Path, lang: str) -> tuple[str, float]:
    """Tesseract's defaults (psm 3) on the original image, one thread: text and CPU seconds."""
    text, cpu, _, _ = run_measured(["tesseract", str(path), "stdout", "-l", lang])
    return text, cpu


def ocrmypdf_cmd() -> str | None:
    for cand in (os.environ.get("OCRMYPDF"), str(ROOT / ".venv-ocrmypdf" / "bin" / "ocrmypdf"), shutil.which("ocrmypdf")):
        if cand and Path(cand).exists():
            return cand
    return None


def wrap_pdf(images: list[Path], out: Path) -> Path:
    """Images into one PDF without re-encoding (img2pdf keeps PNG and JPEG data and each image's dpi)."""
    cli = ROOT / ".venv-ocrmypdf" / "bin" / "img2pdf"
    if cli.exists() or shutil.which("img2pdf"):
        subprocess.run([str(cli) if cli.exists() else "img2pdf", *map(str, images), "-o", str(out)], check=True,
                       capture_output=True)
        return out
    try:
        import img2pdf
    except ImportError:
        raise RuntimeError("img2pdf is needed to wrap images losslessly (pip install img2pdf)")
    out.write_bytes(img2pdf.convert([str(p) for p in images]))
    return out


def run_ocrmypdf(cmd: str, pdf: Path, lang: str, workdir: Path) -> tuple[list[str], float, float]:
    """OCRmyPDF on a PDF: the sidecar text of each page, the wall time and the CPU seconds (with unpaper,
    Tesseract and Ghostscript, which it waits for)."""
    sidecar = workdir / f"{pdf.stem}.txt"
    args = [cmd, "--deskew", "--clean", "--rotate-pages", "-l", lang, "--sidecar", str(sidecar),
            "--output-type", "pdf", "--jobs", str(CORES), "-q", str(pdf), str(workdir / f"{pdf.stem}.ocr.pdf")]
    t0 = time.perf_counter()
    _, cpu, _, code = run_measured(args)
    wall = time.perf_counter() - t0
    if code not in (0, 10):  # 10: PDF/A conversion skipped, the text is fine
        raise RuntimeError(f"ocrmypdf: exit {code}")
    return sidecar.read_text(encoding="utf-8", errors="replace").split("\f"), wall, cpu


def pipeline_reader():
    """ingest.pipeline.ocr_image, or None while the pipeline does not provide it."""
    try:
        from ingest.pipeline import ocr_image
    except ImportError as exc:
        print(f"pipeline: ingest.pipeline.ocr_image not importable ({exc}); its column is skipped")
        return None
    return ocr_image


# ---- page sets -------------------------------------------------------------------------------

def generated_pages(per_level: int, tmp: Path, seed: int = 1968) -> list[BenchPage]:
    pages = []
    for n, page in enumerate(generate(per_level=per_level, seed=seed)):
        path = tmp / f"gen-{n:03d}-{page.level}-{page.lang}.png"
        page.image.save(path, dpi=(page.dpi, page.dpi))
        pages.append(BenchPage(path.stem, page.level, page.lang, path, page.dpi, "\n".join(page.lines), page.turn))
        print(f"  generated {path.name} ({page.font}, {page.dpi} dpi, turned {page.turn}, skew {page.skew:+.1f})",
              flush=True)
    return pages


def sample_pages(tmp: Path) -> list[BenchPage]:
    """The shared Vietnamese samples with ground truth: vietsample1.tif (2 pages, 1-bit G4 Courier),
    vietsample1.pdf rendered at 300 dpi (its text layer is the truth), tesseract_test_viet.tif (one word)."""
    import pdfplumber

    viet = SHARED / "data" / "vietnamese-ocr"
    pages = []
    if not viet.is_dir():
        print(f"  samples: {viet} not found, skipped")
        return pages
    with Image.open(viet / "vietsample1.tif") as tif:
        for n in (1, 2):
            tif.seek(n - 1)
            path = tmp / f"vietsample1-tif-p{n}.png"
            tif.save(path, dpi=(300, 300))
            truth = (viet / f"vietsample1.p{n}.gt.txt").read_text(encoding="utf-8")
            pages.append(BenchPage(f"vietsample1.tif p{n}", "samples", "vie", path, 300, truth))
    with pdfplumber.open(viet / "vietsample1.pdf") as pdf:
        for n, p in enumerate(pdf.pages, start=1):
            path = tmp / f"vietsample1-pdf-p{n}.png"
            p.to_image(resolution=300, antialias=True).original.convert("L").save(path, dpi=(300, 300))
            pages.append(BenchPage(f"vietsample1.pdf p{n}", "samples", "vie", path, 300, p.extract_text() or ""))
    word = tmp / "tesseract_test_viet.png"
    with Image.open(viet / "tesseract_test_viet.tif") as im:
        dpi = im.info.get("dpi")
        im.save(word, dpi=dpi) if dpi else im.save(word)
    truth = (viet / "tesseract_test_viet.gt.txt").read_text(encoding="utf-8")
    pages.append(BenchPage("tesseract_test_viet.tif", "samples", "vie", word, round(dpi[0]) if dpi else None, truth))
    return pages


# ---- accuracy --------------------------------------------------------------------------------

def accuracy(pages: list[BenchPage], tmp: Path, ocrmypdf: str | None) -> list[dict]:
    rows = [{"page": p.name, "group": p.group, "lang": p.lang, "dpi": p.dpi, "turn": p.turn} for p in pages]
    if ocrmypdf:  # one PDF per language, as a user would run it; pages come back in order
        for lang in sorted({p.lang for p in pages}):
            idx = [i for i, p in enumerate(pages) if p.lang == lang]
            print(f"  OCRmyPDF on {len(idx)} {lang} pages ...", flush=True)
            try:
                texts, wall, _ = run_ocrmypdf(ocrmypdf, wrap_pdf([pages[i].path for i in idx], tmp / f"acc-{lang}.pdf"),
                                           lang, tmp)
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                for i in idx:
                    rows[i]["ocrmypdf_error"] = str(exc)
                continue
            for k, i in enumerate(idx):
                rows[i]["ocrmypdf"] = score(texts[k] if k < len(texts) else "", pages[i].truth).as_dict()
                rows[i]["ocrmypdf_s"] = round(wall / len(idx), 2)
    ocr_image = pipeline_reader()
    for page, row in zip(pages, rows):
        raw, cpu = raw_tesseract(page.path, page.lang)
        row["raw"], row["raw_cpu_s"] = score(raw, page.truth).as_dict(), round(cpu, 2)
        if ocr_image:
            with Image.open(page.path) as im:
                im.load()
                t0 = time.perf_counter()
                reading = ocr_image(im, lang=page.lang, dpi=page.dpi)
                row["pipeline_s"] = round(time.perf_counter() - t0, 2)
            row["pipeline"] = score("\n".join(line.text for line in reading.lines), page.truth).as_dict()
            row |= {"rotation_found": reading.rotation, "psm": reading.params.get("psm"),
                    "mean_confidence": reading.mean_confidence}
        print(f"  {page.name}: CER raw {row['raw']['cer']:.2%}, OCRmyPDF {_pct(row.get('ocrmypdf'))}, "
              f"pipeline {_pct(row.get('pipeline'))}" + (f" (turned {page.turn}, turned back {row.get('rotation_found')})"
                                                         if page.turn is not None else ""), flush=True)
    return rows


def _pct(s: dict | None) -> str:
    return f"{s['cer']:.2%}" if s else "n/a"


def pooled(rows: list[dict]) -> dict:
    """Character-weighted scores of each engine per group (level or samples)."""
    out = {}
    for group in dict.fromkeys(r["group"] for r in rows):
        sel = [r for r in rows if r["group"] == group]
        entry = {"pages": len(sel)}
        for engine in ENGINES:
            have = [r[engine] for r in sel if engine in r]
            if have:
                total = sum((Score(r["char_errors"], r["ref_chars"], r["word_errors"], r["ref_words"],
                                   r["diacritic_errors"]) for r in have), Score())
                entry[engine] = total.as_dict()
        turned = [r for r in sel if r.get("turn") is not None and "rotation_found" in r]
        if turned:
            entry["rotation_correct"] = sum(r["rotation_found"] == -r["turn"] % 360 for r in turned) / len(turned)
        out[group] = entry
    return out


# ---- throughput and memory --------------------------------------------------------------------

def _png_copy(png: bytes, n: int) -> bytes:
    """The same PNG with a tEXt chunk naming copy n before IEND (other bytes, same pixels)."""
    data = b"bench-copy\x00" + str(n).encode()
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:-12] + chunk + png[-12:]


def vie_pool(size: int = 15) -> list[tuple[bytes, int]]:
    """Distinct Vietnamese generated pages of every level as (PNG bytes, dpi)."""
    pool = []
    for page in generate(per_level=-(-size // len(LEVELS)), seed=7, langs=("vie",)):
        buf = io.BytesIO()
        page.image.save(buf, format="PNG", dpi=(page.dpi, page.dpi))
        pool.append((buf.getvalue(), page.dpi))
        print(f"  pool page {len(pool)}/{size} ({page.level})", flush=True)
        if len(pool) >= size:
            break
    return pool


def floor_cpu(pool: list[tuple[bytes, int]], tmp: Path) -> list[float]:
    """Single-thread Tesseract CPU seconds of each pool page (two at a time; CPU is per process)."""
    paths = []
    for i, (png, _) in enumerate(pool):
        paths.append(tmp / f"pool-{i:02d}.png")
        paths[-1].write_bytes(png)
    with concurrent.futures.ThreadPoolExecutor(CORES) as ex:
        return list(ex.map(lambda p: raw_tesseract(p, "vie")[1], paths))


def _count_pages(db: Path) -> int:
    try:
        with sqlite3.connect(db) as con:
            return con.execute("select count(*) from pages").fetchone()[0]
    except sqlite3.Error:
        return -1


def throughput(n: int, tmp: Path, pool, pool_cpu: list[float], ocrmypdf: str | None) -> dict:
    folder = tmp / f"through-{n}"
    folder.mkdir()
    paths, cpu = [], 0.0
    for i in range(n):
        k = i % len(pool)
        paths.append(folder / f"p{i:04d}.png")
        paths[-1].write_bytes(_png_copy(pool[k][0], i))
        cpu += pool_cpu[k]
    db = tmp / f"through-{n}.db"
    env = {**ENV, "ARCHIVE_DB_URL": f"sqlite:///{db}", "ARCHIVE_FILES_DIR": str(tmp / f"files-{n}")}
    print(f"  pipeline: archive-ingest ingest on {n} pages ...", flush=True)
    t0 = time.perf_counter()
    # at OCRmyPDF's priority (its CLI lowers its own by 5), so that other load on the machine slows both alike
    _, pipe_cpu, _, code = run_measured(["nice", "-n", "5", str(Path(sys.executable).with_name("archive-ingest")),
                                         "ingest", str(folder), "--collection", "bench", "--lang", "vie"],
                                        env=env, cwd=tmp)
    wall = time.perf_counter() - t0
    load_after = round(os.getloadavg()[0], 2)
    floor = cpu / CORES
    result = {"pages": n, "pipeline_wall_s": round(wall, 1), "pages_per_minute": round(n / wall * 60, 1),
              "s_per_page": round(wall / n, 3), "pipeline_cpu_s": round(pipe_cpu, 1), "exit": code,
              "pages_stored": _count_pages(db), "tesseract_cpu_s": round(cpu, 1), "tesseract_floor_s": round(floor, 1),
              "ratio_to_floor": round(wall / floor, 3), "cpu_ratio_to_tesseract": round(pipe_cpu / cpu, 3),
              "load_average_after_pipeline": load_after}
    print(f"  pipeline {wall:.1f} s (exit {code}, {result['pages_stored']} pages stored), floor {floor:.1f} s",
          flush=True)
    if ocrmypdf:
        print(f"  OCRmyPDF on the same {n} pages as one PDF ...", flush=True)
        try:
            _, owall, ocpu = run_ocrmypdf(ocrmypdf, wrap_pdf(paths, tmp / f"through-{n}.pdf"), "vie", tmp)
            result |= {"ocrmypdf_wall_s": round(owall, 1), "ocrmypdf_pages_per_minute": round(n / owall * 60, 1),
                       "ocrmypdf_cpu_s": round(ocpu, 1), "ratio_to_ocrmypdf": round(wall / owall, 3),
                       "load_average_after_ocrmypdf": round(os.getloadavg()[0], 2)}
            print(f"  OCRmyPDF {owall:.1f} s", flush=True)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            result["ocrmypdf_error"] = str(exc)
    return result


def peak_rss(n: int, tmp: Path, pool) -> dict:
    """Ingest one scanned PDF of n pages (pool pages as JPEG, cycled); peak RSS of the command's process tree."""
    import psutil

    jpegs = []
    for i, (png, dpi) in enumerate(pool):
        jpegs.append(tmp / f"rss-{i:02d}.jpg")
        with Image.open(io.BytesIO(png)) as im:
            im.convert("L").save(jpegs[-1], quality=85, dpi=(dpi, dpi))
    pdf = wrap_pdf([jpegs[i % len(jpegs)] for i in range(n)], tmp / f"rss-{n}.pdf")
    db = tmp / "rss.db"
    env = {**ENV, "ARCHIVE_DB_URL": f"sqlite:///{db}", "ARCHIVE_FILES_DIR": str(tmp / "rss-files")}
    print(f"  pipeline: archive-ingest ingest on a {n}-page PDF ({pdf.stat().st_size / 2**20:.0f} MB) ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("archive-ingest")), "ingest", str(pdf), "--lang", "vie",
                             "--collection", "bench"], env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    own_cmdline = root.cmdline()
    tree_peak = main_peak = pss_peak = 0
    while proc.poll() is None:
        try:
            rss, pss = {}, 0
            for p in [root] + root.children(recursive=True):
                try:
                    if p.pid != root.pid and p.cmdline() == own_cmdline:
                        continue  # forked to start Tesseract, not yet exec'd: the CLI's own pages, counted once
                    info = p.memory_full_info()  # PSS counts pages shared between processes once
                    rss[p.pid], pss = info.rss, pss + info.pss
                except psutil.Error:
                    pass
            tree_peak = max(tree_peak, sum(rss.values()))
            pss_peak = max(pss_peak, pss)
            main_peak = max(main_peak, rss.get(proc.pid, 0))
        except psutil.Error:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    return {"pages": n, "tree_peak_rss_mb": round(tree_peak / 2**20), "main_peak_rss_mb": round(main_peak / 2**20),
            "tree_peak_pss_mb": round(pss_peak / 2**20),
            "wall_s": round(wall, 1), "s_per_page": round(wall / max(1, min(n, _count_pages(db))), 3),
            "exit": proc.returncode,
            "pages_stored": _count_pages(db)}


# ---- report ----------------------------------------------------------------------------------

def machine() -> str:
    model = ""
    try:
        model = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                     if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    tess = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False).stdout.split("\n")[0]
    return f"{platform.machine()} {model}, {CORES} cores, {mem:.0f} GiB, {platform.platform()}, {tess}"


def stamp(args_line: str) -> dict:
    return {"measured": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": args_line, "machine": machine(), "load_average_before": [round(x, 2) for x in os.getloadavg()]}


def targets(report: dict) -> dict:
    """Each target: True / False, or None when its part has not been measured."""
    levels = report.get("accuracy", {}).get("levels", {})
    mids = [levels[m] for m in MIDDLE if m in levels and "pipeline" in levels[m]]
    through = report.get("throughput", {})
    t100 = through.get("100")
    with_ocrmypdf = [n for n in sorted(through, key=int) if "ratio_to_ocrmypdf" in through[n]]
    t_ocr = through[with_ocrmypdf[-1]] if with_ocrmypdf else None
    rss = report.get("rss")
    rss_ok = None
    if rss and rss["pages"] >= 300:  # a run stopped early can still show a peak above the bound
        rss_ok = rss["tree_peak_rss_mb"] <= 500 if rss["pages_stored"] >= rss["pages"] else (
            False if rss["tree_peak_rss_mb"] > 500 else None)
    out = {
        "middle levels: CER <= 3%": all(m["pipeline"]["cer"] <= 0.03 for m in mids) if mids else None,
        "middle levels: CER <= 0.5 x raw Tesseract": (all(m["pipeline"]["cer"] <= 0.5 * m["raw"]["cer"] for m in mids)
                                                      if mids else None),
        "middle levels: CER <= OCRmyPDF": (all(m["pipeline"]["cer"] <= m["ocrmypdf"]["cer"] for m in mids)
                                           if mids and all("ocrmypdf" in m for m in mids) else None),
        "100 pages: wall <= 1.15 x Tesseract floor": t100["ratio_to_floor"] <= 1.15 if t100 else None,
        (f"{t_ocr['pages'] if t_ocr else 'N'} pages: wall <= 0.8 x OCRmyPDF's"): (
            t_ocr["ratio_to_ocrmypdf"] <= 0.8 if t_ocr else None),
        "300-page PDF: peak RSS (process tree) <= 500 MB": rss_ok,
    }
    if len(through) >= 2:
        ns = sorted(through, key=int)
        out["cost linear in pages (s/page at most pages <= 1.1 x at fewest)"] = (
            through[ns[-1]]["s_per_page"] <= 1.1 * through[ns[0]]["s_per_page"])
    return out


def render_markdown(report: dict) -> str:
    verdict = {True: "pass", False: "**FAIL**", None: "not measured"}
    lines = [MARK_START, "## OCR benchmark (`python -m bench.ocr_bench`)", ""]
    acc = report.get("accuracy")
    if acc:
        run = acc["run"]
        lines += [(f"Accuracy measured {run['measured']} with `{run['command']}` on {run['machine']} "
                  f"(load average before: {', '.join(map(str, run['load_average_before']))})."), "",
                  ("CER / WER pooled over the pages of each level (character-weighted), NFC, whitespace collapsed. "
                  "\"diacr.\" is the share of the pipeline's character errors that are diacritics only."), "",
                  ("| pages | n | CER raw tesseract | CER OCRmyPDF | CER pipeline | WER raw | WER OCRmyPDF | WER pipeline "
                  "| diacr. raw | diacr. pipeline | turn found | pipeline s/page |"),
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for group, s in acc["levels"].items():
            def g(engine: str, key: str, s: dict = s) -> str:
                return f"{s[engine][key]:.2%}" if engine in s else "n/a"

            secs = [r["pipeline_s"] for r in acc["pages"] if r["group"] == group and "pipeline_s" in r]
            diacr = f"{s['pipeline']['diacritics_only']:.0%}" if "pipeline" in s else "n/a"
            turn = f"{s['rotation_correct']:.0%}" if "rotation_correct" in s else "–"
            lines.append(f"| {group} | {s['pages']} | {g('raw', 'cer')} | {g('ocrmypdf', 'cer')} | {g('pipeline', 'cer')} "
                         f"| {g('raw', 'wer')} | {g('ocrmypdf', 'wer')} | {g('pipeline', 'wer')} "
                         f"| {s['raw']['diacritics_only']:.0%} | {diacr} | {turn} "
                         f"| {f'{sum(secs) / len(secs):.1f}' if secs else 'n/a'} |")
        samples = [r for r in acc["pages"] if r["group"] == "samples"]
        if samples:
            lines += ["", "Shared samples, page by page:", "",
                      "| page | chars | CER raw tesseract | CER OCRmyPDF | CER pipeline | diacr. pipeline |",
                      "|---|---:|---:|---:|---:|---:|"]
            for r in samples:
                lines.append(f"| {r['page']} | {r['raw']['ref_chars']} | {r['raw']['cer']:.2%} | "
                             f"{_pct(r.get('ocrmypdf'))} | {_pct(r.get('pipeline'))} | "
                             + (f"{r['pipeline']['diacritics_only']:.0%} |" if "pipeline" in r else "n/a |"))
    through = report.get("throughput", {})
    if through:
        lines += ["", ("Throughput: `nice -n 5 archive-ingest ingest DIR --lang vie` (Prefect start-up included) vs the "
                       "Tesseract floor (single-thread `tesseract` CPU on the same pages / cores) and OCRmyPDF on the "
                       "same pages as one PDF. Wall times depend on what else ran on the machine (load averages in "
                       "the last column); CPU seconds (each command with the processes it waited for) much less:"), "",
                  ("| pages | pipeline wall | pages/min | s/page | Tesseract floor | wall / floor | OCRmyPDF wall "
                   "| wall / OCRmyPDF | CPU: raw Tesseract | CPU: pipeline | CPU: OCRmyPDF | stored | measured (load) |"),
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for n in sorted(through, key=int):
            t = through[n]
            loads = [t["run"]["load_average_before"][0], t.get("load_average_after_pipeline"),
                     t.get("load_average_after_ocrmypdf")]
            ocr_cols = (f"{t['ocrmypdf_wall_s']:.0f} s | {t['ratio_to_ocrmypdf']:.2f} | "
                        if "ocrmypdf_wall_s" in t else "n/a | n/a | ")
            lines.append(f"| {t['pages']} | {t['pipeline_wall_s']:.0f} s | {t['pages_per_minute']:.1f} | "
                         f"{t['s_per_page']:.2f} | {t['tesseract_floor_s']:.0f} s | {t['ratio_to_floor']:.2f} | "
                         + ocr_cols + f"{t['tesseract_cpu_s']:.0f} s | {t['pipeline_cpu_s']:.0f} s | "
                         + (f"{t['ocrmypdf_cpu_s']:.0f} s | " if "ocrmypdf_cpu_s" in t else "n/a | ")
                         + f"{t['pages_stored']} | {t['run']['measured']} "
                         + f"({' / '.join(str(x) for x in loads if x is not None)}) |")
    rss = report.get("rss")
    if rss:
        stopped = (f" The run was stopped after {rss['pages_stored']} of {rss['pages']} pages (machine too busy to "
                   "finish in time): the figures are the peaks up to then." if rss["pages_stored"] < rss["pages"] else "")
        lines += ["", (f"Peak memory ingesting one {rss['pages']}-page scanned PDF: {rss['tree_peak_rss_mb']} MB for "
                  f"the whole process tree (CLI, Prefect's server, Tesseracts; RSS summed)"
                  + (f", {rss['tree_peak_pss_mb']} MB as PSS (pages shared between them counted once)"
                     if "tree_peak_pss_mb" in rss else "")
                  + f", {rss['main_peak_rss_mb']} MB for the CLI process; {rss['wall_s']:.0f} s ({rss['wall_s'] / max(1, rss['pages_stored']):.2f} s/page), exit {rss['exit']}, "
                  f"{rss['pages_stored']} pages stored ({rss['run']['measured']}).{stopped}")]
    lines += ["", "Targets:", ""] + [f"- {k}: {verdict[v]}" for k, v in targets(report).items()]
    lines += ["", GENERATOR_NOTE, MARK_END]
    return "\n".join(lines)


GENERATOR_NOTE = (
    "Pages: `bench.pagegen` strikes IWSLT15 text key by key in FreeMono / FreeMono Bold (fonts-freefont-ttf) "
    "or Noto Sans Mono (fonts-noto-mono), the installed monospace faces with every Vietnamese letter (DejaVu Sans "
    "Mono lacks 47 precomposed letters, Liberation Mono and Nimbus Mono PS lack them all), with per-key jitter and "
    "pressure, bent type bars, tone marks struck off their letters, ribbon grain and fading, carbon blur and ghost "
    "strike, show-through, tinted paper, light gradients, stains, noise, scanner borders, skew up to 4 degrees, "
    "quarter turns (level 3: 0/180, level 4: 90/180/270), 200-400 dpi and JPEG loss. augraphy 8.2.6 was evaluated "
    "first and not used: it runs offline, but it installs opencv-python over this project's opencv-python-headless "
    "(both are `cv2`) and pulls numba, scikit-image, scikit-learn, scipy and matplotlib; its default pipeline took "
    "7-17 s per A4 page at 300 dpi here (InkShifter alone 7-14 s, BadPhotoCopy 6-51 s, the machine busy) against "
    "1.3-4 s for a whole page from this generator, and its effects are photocopy and print oriented, without "
    "typewriter keys, dead-key tone marks or carbon ghosts. It stays a candidate for photocopied and printed "
    "material, in a virtualenv of its own.")


def load_report(path: Path) -> dict:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    if not isinstance(report.get("throughput", {}), dict) or "levels" in report:  # an older layout
        return {}
    return report


def write_report(part: dict, path: Path) -> dict:
    """Merge the parts measured now into the report on disk (runs of other parts may have written
    it meanwhile), recompute the targets, write atomically; return the merged report."""
    report = load_report(path)
    for key, value in part.items():
        if key == "throughput":
            report.setdefault("throughput", {}).update(value)
        else:
            report[key] = value
    report["targets"] = targets(report)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return report


def update_results_md(report: dict) -> None:
    md = ROOT / "bench" / "RESULTS.md"
    text = md.read_text(encoding="utf-8") if md.exists() else "# Benchmark results\n"
    section = render_markdown(report)
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        text = head + section + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = md.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(md)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ocr_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages-per-level", "--per-level", type=int, default=6, dest="per_level",
                        help="generated pages per level for accuracy (default 6)")
    parser.add_argument("--throughput", default="25", help="comma-separated page counts, e.g. 25,100,400; '' for none")
    parser.add_argument("--rss-pages", type=int, default=0, help="peak RSS on one scanned PDF of this many pages")
    parser.add_argument("--quick", action="store_true",
                        help="2 pages a level and the samples, no throughput; results to results/ocr-quick.json only")
    parser.add_argument("--skip-accuracy", action="store_true", help="only throughput and/or RSS")
    parser.add_argument("--no-samples", action="store_true", help="leave out the shared samples")
    parser.add_argument("--no-ocrmypdf", action="store_true", help="leave OCRmyPDF out (it is the slowest part)")
    args = parser.parse_args(argv)
    if args.quick:
        args.per_level, args.throughput, args.rss_pages = 2, "", 0
    args_line = "python -m bench.ocr_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    counts = [int(n) for n in args.throughput.split(",") if n.strip()]
    ocrmypdf = None if args.no_ocrmypdf else ocrmypdf_cmd()
    if args.no_ocrmypdf:
        print("OCRmyPDF: left out (--no-ocrmypdf)", flush=True)
    else:
        print(f"OCRmyPDF: {ocrmypdf or 'not found: its columns are skipped (make bench installs it)'}", flush=True)
    out_path = RESULTS / ("ocr-quick.json" if args.quick else "ocr.json")
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = load_report(out_path)
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        tmp = Path(tmp)
        if not args.skip_accuracy:
            run = stamp(args_line)
            print(f"accuracy: {args.per_level} generated pages per level"
                  + ("" if args.no_samples else " and the shared samples"), flush=True)
            pages = generated_pages(args.per_level, tmp) + ([] if args.no_samples else sample_pages(tmp))
            rows = accuracy(pages, tmp, ocrmypdf)
            report = write_report({"accuracy": {"run": run, "levels": pooled(rows), "pages": rows}}, out_path)
        if counts or args.rss_pages:
            print("throughput/memory: pool of distinct Vietnamese pages", flush=True)
            pool = vie_pool()
        if counts:
            pool_cpu = floor_cpu(pool, tmp)
            for n in counts:
                run = stamp(args_line)
                print(f"throughput on {n} pages", flush=True)
                measured = throughput(n, tmp, pool, pool_cpu, ocrmypdf) | {"run": run}
                report = write_report({"throughput": {str(n): measured}}, out_path)
        if args.rss_pages:
            run = stamp(args_line)
            print(f"peak memory on a {args.rss_pages}-page PDF", flush=True)
            report = write_report({"rss": peak_rss(args.rss_pages, tmp, pool) | {"run": run}}, out_path)
    section = render_markdown(report)
    print("\n" + section.replace(MARK_START, "").replace(MARK_END, "").strip())
    if not args.quick:
        update_results_md(report)
        print(f"\nwrote {out_path.relative_to(ROOT)} and bench/RESULTS.md")


if __name__ == "__main__":
    main()
