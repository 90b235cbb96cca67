"""Pages per minute: no orchestration vs Prefect's thread runner vs a 2-worker Dask cluster.

    python -m bench.scale [--pages 24]

The same pages (sample scans re-saved so each file is new to the database) go through:
  plain   - the stage functions in a 2-thread pool, no Prefect (the floor for orchestration cost)
  threads - the ingest-batch flow, Prefect's thread runner (2 workers), embedded server warm
  dask    - the same flow with its page tasks on a distributed.LocalCluster of 2 worker processes
            (timed after a 2-page warm-up; the warm-up time is reported separately)
Prefect's cost per document = (threads wall - plain wall) / documents. Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image  # noqa: E402

from flows.runtime import configure_prefect  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
from bench.shared import SHARED  # noqa: E402
SOURCES = [ROOT / "examples" / "cable-417-vi.tif", ROOT / "examples" / "cable-418-vi.jpg",
           SHARED / "data" / "vietnamese-ocr" / "vietsample1.tif"]


def make_pages(folder: Path, count: int, tag: str) -> list[Path]:
    """Single-page files, each with unique bytes (a per-file dpi note) but the same content."""
    frames = []
    for src in SOURCES:
        with Image.open(src) as img:
            for i in range(getattr(img, "n_frames", 1)):
                img.seek(i)
                frames.append(img.copy())
    out = []
    for n in range(count):
        path = folder / f"{tag}-{n:03d}.png"
        frames[n % len(frames)].save(path, dpi=(300, 300), pnginfo=_note(f"{tag}-{n}"))
        out.append(path)
    return out


def _note(text: str):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("bench", text)
    return info


def run_plain(files: list[Path], settings) -> float:
    from flows.app.jobs import FileJob
    from flows.app.pages import ingest_page
    from flows.app.steps import finish_document, prepare_document

    started = time.perf_counter()
    plans = [prepare_document(FileJob(str(f), lang="vie"), settings, None) for f in files]
    with ThreadPoolExecutor(settings.workers) as pool:
        outcomes = list(pool.map(lambda p: ingest_page(p.document_id, p.path, p.media_type, 1, "vie", settings), plans))
    for plan, outcome in zip(plans, outcomes):
        finish_document(plan, [outcome], settings)
    return time.perf_counter() - started


def run_flow(files: list[Path], settings) -> float:
    from flows.ingest import with_runner
    from flows.app.jobs import FileJob

    started = time.perf_counter()
    report = with_runner(settings)([FileJob(str(f), lang="vie") for f in files], settings=settings)
    assert all(f.state == "stored" for f in report.files), report.failed
    return time.perf_counter() - started


def main() -> None:  # noqa: C901 - a script
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=24)
    args = parser.parse_args()
    configure_prefect()
    from distributed import LocalCluster

    from ingest.settings import Settings

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = Settings(db_url=f"sqlite:///{tmp}/bench.db", files_dir=str(tmp / "files"), workers=2)
        run_flow([], base)  # start the embedded Prefect server before timing anything
        for mode in ("plain", "threads", "dask"):
            files = make_pages(tmp, args.pages, mode)
            if mode == "plain":
                wall = run_plain(files, base)
            elif mode == "threads":
                wall = run_flow(files, base)
            else:
                with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
                    dask_settings = replace(base, dask_address=cluster.scheduler_address)
                    # workers import OpenCV, Tesseract bindings and Prefect on their first task
                    cold = run_flow(make_pages(tmp, 2, "warmup"), dask_settings)
                    results["dask_first_2_pages_s"] = round(cold, 2)
                    print(f"dask warm-up: first 2 pages in {cold:.1f} s", flush=True)
                    wall = run_flow(files, dask_settings)
            results[mode] = {"pages": args.pages, "wall_s": round(wall, 2),
                             "pages_per_minute": round(args.pages / wall * 60, 1)}
            print(f"{mode:8s} {args.pages} pages in {wall:6.1f} s = {args.pages / wall * 60:5.1f} pages/min", flush=True)
    overhead = (results["threads"]["wall_s"] - results["plain"]["wall_s"]) / args.pages
    results["prefect_overhead_per_document_s"] = round(overhead, 3)
    results["machine"] = f"{platform.platform()}, {os.cpu_count()} cores"
    print(f"Prefect cost per (one-page) document: {overhead:.3f} s")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
