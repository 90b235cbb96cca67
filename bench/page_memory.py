"""Where the memory of one very large page goes: a genuine 144-megapixel scan (just under the
150 MP `max_pixels` guard) through `ingest_page`, the real path (decode, grey, preprocessing,
Tesseract, stored images), with this process's resident memory sampled every 2 ms.

    python -m bench.page_memory [--mode L|RGB] [--megapixels 144] [--no-dpi] [--no-ocr]
    python -m bench.page_memory --page FILE [--number N]   # any page: a benchmark page, a PDF's page

It prints, for each step, the resident memory on entry and its peak while the step ran (a step
nested in another is shown under it), the process's peak, and Tesseract's peak (a child process).
The page is the example cable scaled to about 1,030 dpi and tiled four times: real type with real
x-heights, not a blank or noise image that the pixels-per-byte guard would refuse.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


def children_rss_mb() -> float:
    """Resident memory of this process's children (Tesseract). RUSAGE_CHILDREN would count the
    parent's pages a child had before its exec, so the children are sampled instead."""
    total = 0.0
    for task in Path("/proc/self/task").iterdir():
        try:
            pids = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in pids:
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() != "tesseract":
                    continue  # a child not yet exec'd still shows the parent's pages
                with open(f"/proc/{pid}/statm") as fh:
                    total += int(fh.read().split()[1]) * PAGE / 2**20
            except (OSError, IndexError, ValueError):
                continue
    return total


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stack: list[str] = []
        self.peaks: dict[str, list[float]] = {}  # path -> [rss on entry, peak]
        self.order: list[str] = []
        self.running = True
        self.child_peak = 0.0

    def run(self) -> None:
        while self.running:
            self.child_peak = max(self.child_peak, children_rss_mb())
            now = rss_mb()
            for depth in range(1, len(self.stack) + 1):
                key = " > ".join(self.stack[:depth])
                if key in self.peaks:
                    self.peaks[key][1] = max(self.peaks[key][1], now)
            time.sleep(0.002)

    def wrap(self, module, name: str, label: str | None = None) -> None:
        fn = getattr(module, name)

        @functools.wraps(fn)
        def measured(*args, **kwargs):
            self.stack.append(label or name)
            key = " > ".join(self.stack)
            entry = rss_mb()
            if key not in self.peaks:
                self.peaks[key] = [entry, entry]
                self.order.append(key)
            try:
                return fn(*args, **kwargs)
            finally:
                self.peaks[key][1] = max(self.peaks[key][1], rss_mb())
                self.stack.pop()

        setattr(module, name, measured)


def make_page(path: Path, mode: str, megapixels: float, state_dpi: bool = True) -> Path:
    src = Image.open(ROOT / "examples" / "cable-418-vi.jpg").convert("L")
    side = int((megapixels * 1e6) ** 0.5)
    half = side // 2
    scaled = src.resize((half, round(half * src.height / src.width)), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (side, side), 255)
    for x in (0, half):
        for y in (0, scaled.height):
            canvas.paste(scaled, (x, y))
    del scaled
    dpi = round(300 * half / src.width)
    image = canvas if mode == "L" else Image.merge("RGB", (canvas, canvas, canvas.point(lambda v: v * 0.93)))
    image.save(path, format="JPEG", quality=85, **({"dpi": (dpi, dpi)} if state_dpi else {}))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["L", "RGB"], default="L")
    ap.add_argument("--megapixels", type=float, default=144)
    ap.add_argument("--no-ocr", action="store_true", help="stop after preprocessing (Tesseract not run)")
    ap.add_argument("--no-dpi", action="store_true", help="the file states no resolution")
    ap.add_argument("--page", type=Path, help="measure this file's page instead of the large generated one")
    ap.add_argument("--number", type=int, default=1, help="which page of --page")
    ap.add_argument("--make", help=argparse.SUPPRESS)  # the page is made in a child process
    args = ap.parse_args(argv)
    if args.make:
        make_page(Path(args.make), args.mode, args.megapixels, not args.no_dpi)
        return 0
    work = Path(tempfile.mkdtemp(prefix="archive-pagemem-"))
    scan = args.page.resolve() if args.page else work / f"big-{args.mode}.jpg"
    if not args.page:
        subprocess.run([sys.executable, "-m", "bench.page_memory", "--make", str(scan), "--mode", args.mode,
                        "--megapixels", str(args.megapixels), *(["--no-dpi"] if args.no_dpi else [])], check=True)

    from flows.app import pages
    from flows.app.steps import FileJob, prepare_document
    from ingest import pipeline, preprocess
    from ingest.settings import Settings
    from storage.files import FileStore

    settings = replace(Settings(), db_url=f"sqlite:///{work}/a.db", files_dir=str(work / "files"), workers=1)
    plan = prepare_document(FileJob(str(scan)), settings, None)
    assert plan.state == "new" or plan.error is None, plan.error
    sampler = Sampler()
    for name in ("load_page", "read_page", "_store_original"):
        sampler.wrap(pages, name)
    sampler.wrap(pipeline, "preprocess")
    sampler.wrap(pipeline, "choose_reading")
    sampler.wrap(pipeline, "_ocr", "tesseract")
    for name in ("to_gray", "upscale_small_text", "remove_dark_borders", "estimate_skew", "rotate_small",
                 "flatten_background", "despeckle", "downscale_large_page"):
        if hasattr(preprocess, name):
            sampler.wrap(preprocess, name)
    sampler.wrap(FileStore, "put_image")
    sampler.wrap(pipeline, "_raw_reading")
    for name in ("_orient", "reread_weak_lines", "reread_lines"):
        sampler.wrap(pipeline, name)
    from ingest import ocr

    sampler.wrap(ocr, "read_words")
    if args.no_ocr:
        def no_ocr(*_a, **_k):
            raise SystemExit(0)
        pipeline._ocr = no_ocr  # type: ignore[assignment]
    start_rss = rss_mb()
    cpu = time.process_time()
    sampler.start()
    outcome = None
    try:
        outcome = pages.ingest_page(plan.document_id, str(scan), plan.media_type, args.number, "vie", settings)
    except SystemExit:
        pass
    sampler.running = False
    sampler.join()
    cpu = time.process_time() - cpu
    if args.page:
        print(f"page {args.number} of {scan}; resident before: {start_rss:.0f} MB")
    else:
        w, h = Image.open(scan).size
        print(f"page: {w}x{h} = {w * h / 1e6:.0f} MP {args.mode} JPEG, {scan.stat().st_size / 2**20:.1f} MB; "
              f"resident before: {start_rss:.0f} MB")
    print(f"{'step':60s} {'entry MB':>9s} {'peak MB':>9s}")
    for key in sampler.order:
        entry, peak = sampler.peaks[key]
        depth = key.count(" > ")
        print(f"{'  ' * depth + key.rsplit(' > ', 1)[-1]:60s} {entry:9.0f} {peak:9.0f}")
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: this process {self_peak:.0f} MB (ingest_page "
          f"{max(p for _, p in sampler.peaks.values()):.0f} MB), Tesseract {sampler.child_peak:.0f} MB; "
          f"CPU {cpu:.1f} s in this process")
    if outcome is not None:
        print(f"outcome: ok={outcome.ok} lines={outcome.lines} confidence={outcome.mean_confidence} "
              f"error={outcome.error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
