"""Speed, side by side in one run: raw Tesseract, OCRmyPDF and `archive-ingest ingest`.

    python -m bench.speed      # everything below: about 50 min on an idle 2-core machine
    python -m bench.speed --pages 1,6 --no-ocrmypdf --rss-pages 0 --scale 0   # a quick run (2 min)
    python -m bench.speed --pages '' --no-first --scale 0            # peak memory, 300-page PDF only
    python -m bench.speed --pages 100 --no-ocrmypdf --rss-pages 0 --no-first  # t(400)/t(100) only

Pages: distinct generated Vietnamese typewritten pages (bench.pagegen via bench.ocr_bench's pool,
each file with its own PNG text chunk so no two share a sha256).
  first/second - a one-page ingest with a fresh HOME (no Prefect database, no server, no worker:
                 a fresh machine whose installation ran `make setup`, i.e. `archive-ingest server
                 prepare`), then another page with the same HOME; each beside `tesseract` on its page
  tesseract    - `tesseract PAGE stdout -l vie`, one process a core at a time (OMP_THREAD_LIMIT=1);
                 the floor is its CPU seconds / cores
  ocrmypdf     - OCRmyPDF (`make bench` puts it in .venv-ocrmypdf) on the same pages as one PDF
  pipeline     - `archive-ingest ingest FOLDER --lang vie` into one benchmark database, the local
                 Prefect server and the ingest worker already running (a "second command"), on
                 1, 6 and 100 pages (--pages), then on 400 (--scale): t(400)/t(100)
  one PDF      - one 300-page scanned PDF (--rss-pages): peak memory
With --clean the pool is its 0-clean, 1-light and 2-faded pages only (six of the ten): the issue's
CPU ratio on clean pages, measured directly.
Extra readings: a doubtful page is read again (turned, at other settings, line by line); each page
stores what its Tesseract runs cost (wait4), and the pipeline rows print the extra readings' CPU and
count, and the CPU ratio with and without them (the issue counts them apart from clean pages).
Each with wall seconds; CPU seconds of the command and every process it waited for (wait4), plus
for the pipeline the CPU of its job in the ingest worker (a fork the worker reaps) and of the local
Prefect server meanwhile; and the peak memory of the command's tree with the worker's and the
server's, sampled every 0.1 s, as summed RSS and as summed PSS (a page shared by the worker and its
forked job counted once: the tree's real memory, the figure for the 500 MB target).
The machine's load average is printed with each figure: on a shared machine compare CPU seconds.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from PIL import Image

from bench.ocr_bench import CORES, LEVELS, RESULTS, _png_copy, ocrmypdf_cmd, vie_pool, wrap_pdf

ROOT = Path(__file__).resolve().parent.parent
# `archive-ingest` is flows.launcher:main; run as a module so the figures hold before a reinstall
EXE = [sys.executable, "-m", "flows.launcher"]
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
BASE_ENV.update({"OMP_THREAD_LIMIT": "1", "PYTHONPATH": str(ROOT)})


@dataclass
class Measure:
    what: str
    pages: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # summed RSS of the tree: pages a fork shares are counted in every process
    load: float  # 1-minute load average when it ended
    exit: int = 0
    peak_pss_mb: float = 0.0  # summed PSS: each shared page counted once, the tree's real memory
    peak_parts: dict | None = None  # PSS MB per process kind at the peak: where the memory is
    server_cpu_s: float = 0.0  # of cpu_s, the local Prefect server's

    def row(self) -> str:
        pss = f"{self.peak_pss_mb:>9.0f}" if self.peak_pss_mb else f"{'-':>9}"  # Tesseract alone: RSS
        parts = ("  PSS at peak: " + ", ".join(f"{k} {v}" for k, v in self.peak_parts.items())
                 if self.peak_parts else "")
        return (f"{self.what:<22} {self.pages:>5} {self.wall_s:>8.1f} {self.cpu_s:>8.1f} {self.peak_rss_mb:>9.0f} "
                f"{pss} {self.load:>6.2f}" + (f"  exit {self.exit}" if self.exit else "") + parts)


HEADER = f"{'':<22} {'pages':>5} {'wall s':>8} {'CPU s':>8} {'RSS MB':>9} {'PSS MB':>9} {'load':>6}"


def _server_process(home: Path) -> psutil.Process | None:
    try:
        state = json.loads((home / ".prefect" / "archive-ingest-server.json").read_text())
        return psutil.Process(int(state["pid"]))
    except (OSError, ValueError, KeyError, psutil.Error):
        return None


def _worker_process(env: dict) -> psutil.Process | None:
    """The resident ingest worker of this environment (flows.launcher): the command's child runs
    there, a fork of it, so its CPU and memory are the command's."""
    from flows import launcher

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        pid = launcher.worker_pid(launcher.paths())
        return psutil.Process(pid) if pid else None
    except (OSError, psutil.Error):
        return None
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _cpu(p: psutil.Process | None, children: bool) -> float:
    """CPU seconds of a process, with those of the children it reaped (the worker's forked jobs)."""
    try:
        t = p.cpu_times() if p else None
    except psutil.Error:
        return 0.0
    if t is None:
        return 0.0
    return t.user + t.system + ((t.children_user + t.children_system) if children else 0.0)


def _kind(q: psutil.Process, worker: psutil.Process | None, server: psutil.Process | None) -> str:
    """Which part of the tree a process is: the Prefect server, the worker, its forked job,
    Tesseract (under the job), or the command (the launcher)."""
    if server is not None and q.pid == server.pid:
        return "server"
    if worker is not None and q.pid == worker.pid:
        return "worker"
    try:
        if q.name().startswith("tesseract"):
            return "tesseract"
        if worker is not None and q.ppid() == worker.pid:
            return "job"
    except psutil.Error:
        pass
    return "command"


def _tree_memory(procs: list[psutil.Process | None], worker: psutil.Process | None = None,
                 server: psutil.Process | None = None) -> tuple[int, int, dict[str, int]]:
    """Summed RSS and PSS of these processes and all their descendants, each process once, and the
    PSS per kind of process."""
    seen: dict[int, psutil.Process] = {}
    for p in procs:
        if p is None:
            continue
        try:
            for q in [p, *p.children(recursive=True)]:
                seen[q.pid] = q
        except psutil.Error:
            pass
    rss = pss = 0
    parts: dict[str, int] = {}
    for q in seen.values():
        try:
            m = q.memory_full_info()
            rss += m.rss
            pss += m.pss
            kind = _kind(q, worker, server)
            parts[kind] = parts.get(kind, 0) + m.pss
        except psutil.Error:
            pass
    return rss, pss, parts


def measured(cmd: list[str], env: dict, cwd: Path, what: str, pages: int, home: Path | None = None) -> Measure:
    """Run a command to its end: wall, CPU (itself and what it waited for; with `home`, also the
    ingest worker's job and the local Prefect server's CPU meanwhile) and the peak memory of its
    tree, the worker's and the server's."""
    server = _server_process(home) if home else None
    worker = _worker_process(env) if home else None
    server0, worker0 = _cpu(server, False), _cpu(worker, True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak = peak_pss = 0
    parts: dict[str, int] = {}
    status = usage = None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if home and server is None:
            server = _server_process(home)  # the first command starts it
        if home and worker is None:
            worker = _worker_process(env)  # ... and the worker
        rss, pss, now = _tree_memory([root, worker, server], worker, server)
        if pss > peak_pss:
            parts = now
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    if worker is not None:  # the worker reaps its finished job within a second
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _jobs(worker, server):
            time.sleep(0.1)
    server_cpu = _cpu(server, False) - server0
    cpu += server_cpu + _cpu(worker, True) - worker0
    return Measure(what, pages, round(wall, 2), round(cpu, 2), peak / 2**20, round(os.getloadavg()[0], 2),
                   proc.returncode, peak_pss / 2**20,
                   {k: round(v / 2**20) for k, v in sorted(parts.items())} if home else None,
                   round(server_cpu, 2))


def _jobs(worker: psutil.Process, server: psutil.Process | None = None) -> list[psutil.Process]:
    """The worker's forked jobs, finished (zombies, their CPU not yet added to the worker's) or not;
    not the local Prefect server, which the worker forks too (flows.worker.start_server)."""
    def job(c: psutil.Process) -> bool:
        if server is not None and c.pid == server.pid:
            return False
        try:
            return "flows.local_server" not in " ".join(c.cmdline())
        except psutil.ZombieProcess:
            return True
        except psutil.Error:
            return False

    try:
        return [c for c in worker.children() if job(c)]
    except psutil.Error:
        return []


CLEAN_LEVELS = 3  # 0-clean, 1-light, 2-faded: pages no reading doubts (the 3-carbon and 4-hard ones may)


def clean_pool(size: int) -> list[tuple[bytes, int]]:
    """The pages of the first three levels of `vie_pool(size)`, the same pages (vie_pool generates its
    pages level by level, ceil(size / levels) of each)."""
    per_level = -(-size // len(LEVELS))
    return vie_pool(size)[:CLEAN_LEVELS * per_level]


def write_pages(pool, n: int, folder: Path, offset: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(n):
        png, _ = pool[(offset + i) % len(pool)]
        paths.append(folder / f"p{offset + i:05d}.png")
        paths[-1].write_bytes(_png_copy(png, offset + i))
    return paths


def tesseract(paths: list[Path], tmp: Path) -> Measure:
    """Raw Tesseract, a core at a time: wall, summed CPU, peak RSS of the concurrent processes."""
    t0 = time.perf_counter()
    cpu, peaks = [], []

    def one(path: Path):
        m = measured(["tesseract", str(path), "stdout", "-l", "vie"], BASE_ENV, tmp, "tesseract", 1)
        cpu.append(m.cpu_s)
        peaks.append(m.peak_rss_mb)

    with concurrent.futures.ThreadPoolExecutor(CORES) as ex:
        list(ex.map(one, paths))
    wall = time.perf_counter() - t0
    return Measure("tesseract", len(paths), round(wall, 2), round(sum(cpu), 2),
                   max(peaks) * min(CORES, len(paths)), round(os.getloadavg()[0], 2))


def ocrmypdf(cmd: str, paths: list[Path], tmp: Path) -> Measure:
    pdf = wrap_pdf(paths, tmp / f"ocrmypdf-{len(paths)}.pdf")
    args = [cmd, "--deskew", "--clean", "--rotate-pages", "-l", "vie", "--sidecar", str(pdf.with_suffix(".txt")),
            "--output-type", "pdf", "--jobs", str(CORES), "-q", str(pdf), str(pdf.with_suffix(".ocr.pdf"))]
    m = measured(args, BASE_ENV, tmp, "ocrmypdf", len(paths))
    m.exit = 0 if m.exit in (0, 10) else m.exit  # 10: PDF/A conversion skipped, the text is there
    return m


def ingest(target: Path, env: dict, tmp: Path, what: str, pages: int) -> Measure:
    return measured([*EXE, "ingest", str(target), "--lang", "vie", "--collection", "bench"], env, tmp,
                    what, pages, home=Path(env["HOME"]))


def scanned_pdf(pool, n: int, tmp: Path) -> Path:
    """One n-page scanned PDF: the pool pages as greyscale JPEG (what a scanner writes), cycled."""
    jpegs = []
    for i, (png, dpi) in enumerate(pool):
        jpegs.append(tmp / f"rss-{i:02d}.jpg")
        with Image.open(io.BytesIO(png)) as im:
            im.convert("L").save(jpegs[-1], quality=85, dpi=(dpi, dpi))
    return wrap_pdf([jpegs[i % len(jpegs)] for i in range(n)], tmp / f"rss-{n}.pdf")


def extra_readings(db: Path, folder: Path) -> dict:
    """What the pipeline's Tesseract runs cost on the pages of one folder, from the reading step it
    stores with each page (ingest.pipeline: wait4's CPU of each Tesseract process): the first
    readings, and the extra readings of doubtful pages (turned for orientation, read again at other
    settings, lines read alone), with how many pages had any and how many extra runs they took."""
    import sqlite3

    out = {"first_s": 0.0, "extra_s": 0.0, "pages": 0, "pages_with_extra": 0, "extra_runs": 0}
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT p.preprocessing FROM pages p JOIN documents d ON d.id = p.document_id "
                           "WHERE d.source_path LIKE ?", (f"{folder.resolve()}/%",)).fetchall()
    for (steps,) in rows:
        steps = {st["name"]: st["params"] for st in json.loads(steps)}
        reading, turned = steps.get("reading", {}), steps.get("orientation", {})
        cpu = reading.get("tesseract_cpu_s", {})
        runs = (len(turned.get("tried", [])) + max(0, len(reading.get("candidates", [])) - 1)
                + (reading.get("lines") or {}).get("reread", 0))
        out["pages"] += 1
        out["first_s"] += cpu.get("first", 0.0)
        out["extra_s"] += cpu.get("extra", 0.0)
        out["pages_with_extra"] += bool(runs)
        out["extra_runs"] += runs
    return {k: round(v, 2) for k, v in out.items()}


def stop_server(env: dict, tmp: Path) -> None:
    subprocess.run([*EXE, "server", "stop"], env=env, cwd=tmp, capture_output=True, timeout=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="1,6,100", help="comma-separated page counts; '' for none")
    parser.add_argument("--pool", type=int, default=10, help="distinct generated pages to cycle through")
    parser.add_argument("--clean", action="store_true",
                        help="only the pool's 0-clean, 1-light and 2-faded pages (none doubtful: the CPU "
                             "ratio on clean pages directly, no extra readings to take out)")
    parser.add_argument("--no-ocrmypdf", action="store_true", help="leave OCRmyPDF out (the slowest part)")
    parser.add_argument("--no-first", action="store_true", help="skip the first/second command measurement")
    parser.add_argument("--rss-pages", type=int, default=300,
                        help="peak memory on one scanned PDF of N pages (0: skip)")
    parser.add_argument("--scale", type=int, default=400,
                        help="also the pipeline alone on N pages: t(N)/t(100) (0: skip; needs 100 in --pages)")
    args = parser.parse_args(argv)
    counts = [int(x) for x in args.pages.split(",") if x.strip()]
    ocr_cmd = None if args.no_ocrmypdf else ocrmypdf_cmd()
    if not args.no_ocrmypdf and ocr_cmd is None:
        print("OCRmyPDF not found (make bench installs it in .venv-ocrmypdf): its rows are skipped")
    print(f"cores {CORES}, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    pool = clean_pool(args.pool) if args.clean else vie_pool(args.pool)
    results: dict = {"cores": CORES, "rows": []}
    with tempfile.TemporaryDirectory(prefix="speed-") as tmpdir:
        tmp = Path(tmpdir)
        home = tmp / "home"
        home.mkdir()
        env = {**BASE_ENV, "HOME": str(home), "ARCHIVE_DB_URL": f"sqlite:///{tmp / 'bench.db'}",
               "ARCHIVE_FILES_DIR": str(tmp / "files")}
        offset, rows = 0, []
        try:
            if not args.no_first:
                # a fresh install ran `make setup`, which prepares Prefect's database once (flows.prefect_db)
                subprocess.run([*EXE, "server", "prepare"], env=env, cwd=tmp, capture_output=True, timeout=300)
                floor = tesseract(write_pages(pool, 1, tmp / "first", offset), tmp)
                first = ingest(tmp / "first", env, tmp, "first command", 1)
                floor2 = tesseract(write_pages(pool, 1, tmp / "second", offset + 1), tmp)
                second = ingest(tmp / "second", env, tmp, "second command", 1)
                offset += 2
                rows += [floor, first, floor2, second]
                results["first_ratio"] = round(first.wall_s / floor.wall_s, 2)
                results["second_ratio"] = round(second.wall_s / floor2.wall_s, 2)
                print("\n".join(m.row() for m in (floor, first, floor2, second)), flush=True)
            for n in counts:
                folder = tmp / f"pages-{n}"
                paths = write_pages(pool, n, folder, offset)
                offset += n
                if not (_server_process(home) and _worker_process(env)):  # the rows are "second commands"
                    write_pages(pool, 1, tmp / f"warm-{n}", offset)
                    offset += 1
                    ingest(tmp / f"warm-{n}", env, tmp, "warm-up", 1)
                group = [tesseract(paths, tmp)]
                if ocr_cmd:
                    group.append(ocrmypdf(ocr_cmd, paths, tmp))
                group.append(ingest(folder, env, tmp, "pipeline", n))
                rows += group
                t, p = group[0], group[-1]
                extra = extra_readings(tmp / "bench.db", folder)
                clean_cpu = p.cpu_s - extra["extra_s"]
                results[f"ratios_{n}"] = {"wall_to_floor": round(p.wall_s / (t.cpu_s / CORES), 2),
                                          "cpu_to_tesseract": round(p.cpu_s / t.cpu_s, 2),
                                          "cpu_less_extra_to_tesseract": round(clean_cpu / t.cpu_s, 2),
                                          "tesseract_in_pipeline": extra}
                print("\n".join(m.row() for m in group), flush=True)
            if args.scale and 100 in counts:
                write_pages(pool, args.scale, tmp / f"pages-{args.scale}", offset)
                offset += args.scale
                big = ingest(tmp / f"pages-{args.scale}", env, tmp, "pipeline", args.scale)
                hundred = next(m for m in rows if m.what == "pipeline" and m.pages == 100)
                rows.append(big)
                results["scale"] = {"pages": args.scale, "wall_ratio": round(big.wall_s / hundred.wall_s, 2),
                                    "cpu_ratio": round(big.cpu_s / hundred.cpu_s, 2)}
                print(big.row(), flush=True)
            if args.rss_pages:
                pdf = scanned_pdf(pool, args.rss_pages, tmp)
                rss = ingest(pdf, env, tmp, "pipeline, one PDF", args.rss_pages)
                rows.append(rss)
                print(rss.row(), flush=True)
        finally:
            stop_server(env, tmp)
    results["rows"] = [asdict(m) for m in rows]
    print("\n" + HEADER)
    for m in rows:
        print(m.row())
    if "first_ratio" in results:
        print(f"one page: first command {results['first_ratio']}x, second {results['second_ratio']}x "
              f"the tesseract wall time of that page")
    for n in counts:
        r = results[f"ratios_{n}"]
        e = r["tesseract_in_pipeline"]
        print(f"{n} pages: pipeline wall {r['wall_to_floor']}x the Tesseract floor (CPU / {CORES} cores), "
              f"pipeline CPU {r['cpu_to_tesseract']}x raw Tesseract's")
        pm = next(m for m in rows if m.what == "pipeline" and m.pages == n)
        print(f"  of the pipeline's {pm.cpu_s} s of CPU: the Prefect server's {pm.server_cpu_s} s "
              f"({pm.server_cpu_s / n:.2f} s a page)")
        print(f"  Tesseract in the pipeline: first readings {e['first_s']} s; extra readings of doubtful pages "
              f"{e['extra_s']} s ({e['extra_runs']} runs on {e['pages_with_extra']} of {e['pages']} pages; "
              f"orientation detection's own run not counted as extra); pipeline CPU less the extra "
              f"readings {r['cpu_less_extra_to_tesseract']}x raw Tesseract's")
    if "scale" in results:
        sc = results["scale"]
        print(f"t({sc['pages']})/t(100): wall {sc['wall_ratio']}, CPU {sc['cpu_ratio']} "
              f"(linear: {sc['pages'] / 100:g})")
    if args.rss_pages:
        print(f"{rss.pages}-page scanned PDF: peak memory of the command, the ingest worker and the Prefect "
              f"server, PSS {rss.peak_pss_mb:.0f} MB (RSS summed {rss.peak_rss_mb:.0f} MB), {rss.wall_s:.0f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
