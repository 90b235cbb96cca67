"""Review page benchmark: response times with several reviewers saving corrections at once.

    python -m bench.review_bench [--reviewers 5] [--seconds 60] [--keep DIR]

A real set-up in a temporary folder: the bundled samples ingested by `archive-ingest ingest`,
accounts made by `archive-ingest users add`, and `archive-ingest review serve` started as its own
process (no PREFECT_API_URL: corrections are recomputed on the page's worker thread, as on a
machine without a Prefect server). Each reviewer is a thread with its own httpx client and
session; it loops over its own passages: the queue, a passage, a save of that passage with one
line changed (each save starts a recompute of the document), the record page. Every response
time is kept; the figures are per kind of request and over all, with the recomputes that ran
meanwhile (audit events) and the machine's load average.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).with_name("archive-ingest")
PASSWORD = "bench password 1"
_HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|base_version)" value="([^"]*)"')
_LINE = re.compile(r'<input type="text" class="line[^"]*" name="line" id="line-(\d+)"[^>]*value="([^"]*)"')
_PASSAGE = re.compile(r'data-href="(/passages/\d+/\d+/\d+)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict, stdin: str | None = None) -> str:
    proc = subprocess.run([str(EXE), *args], env=env, input=stdin, capture_output=True, text=True, cwd=env["_CWD"])
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def bench_env(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    env.update({"ARCHIVE_DB_URL": f"sqlite:///{folder}/archive.db", "ARCHIVE_FILES_DIR": str(folder / "files"),
                "ARCHIVE_REVIEW_REPROCESS": "prefect", "OMP_THREAD_LIMIT": "1", "_CWD": str(folder),
                "ARCHIVE_LOGIN_MAX_FAILURES": "1000"})
    return env


def set_up(folder: Path, reviewers: int) -> dict:
    env = bench_env(folder)
    t0 = time.perf_counter()
    _run(["ingest", "--manifest", str(ROOT / "examples" / "manifest.csv")], env)
    print(f"ingested the samples in {time.perf_counter() - t0:.0f} s", flush=True)
    for k in range(reviewers):
        _run(["users", "add", f"reviewer{k}", "--role", "reviewer", "--password-stdin"], env, PASSWORD + "\n")
    return env


def _login(client: httpx.Client, name: str) -> None:
    page = client.get("/login")
    token = dict(_HIDDEN.findall(page.text))["csrf_token"]
    r = client.post("/login", data={"csrf_token": token, "username": name, "password": PASSWORD, "next": ""})
    if r.status_code != 303:
        raise SystemExit(f"sign-in of {name} failed: {r.status_code}")


class Reviewer(threading.Thread):
    def __init__(self, url: str, name: str, passages: list[str], until: float, timings: dict, lock):
        super().__init__(daemon=True)
        self.url, self.name, self.passages, self.until = url, name, passages, until
        self.timings, self.lock = timings, lock
        self.saves = self.conflicts = self.errors = 0

    def timed(self, kind: str, call):
        t0 = time.perf_counter()
        r = call()
        dt = time.perf_counter() - t0
        with self.lock:
            self.timings.setdefault(kind, []).append(dt)
        if r.status_code >= 500:
            self.errors += 1
        return r

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60, follow_redirects=False) as c:
            _login(c, self.name)
            k = 0
            while time.time() < self.until:
                path = self.passages[k % len(self.passages)]
                k += 1
                self.timed("queue", lambda: c.get("/queue"))
                page = self.timed("passage", lambda: c.get(path))
                hidden = dict(_HIDDEN.findall(page.text))
                lines = [html.unescape(v) for _, v in sorted(_LINE.findall(page.text), key=lambda x: int(x[0]))]
                if not lines or "base_version" not in hidden:
                    self.errors += 1
                    continue
                lines[-1] = re.sub(r" \[\d+\]$", "", lines[-1]) + f" [{k}]"
                r = self.timed("save", lambda: c.post(path, data={
                    "csrf_token": hidden["csrf_token"], "base_version": hidden["base_version"], "action": "correct",
                    "line": lines}))
                self.saves += r.status_code == 303
                self.conflicts += r.status_code == 409
                doc = path.split("/")[2]
                self.timed("record", lambda: c.get(f"/records/{doc}"))


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of a process and of its descendants so far, from /proc (Linux):
    the server's CPU per request survives the machine's load, its wall-clock times do not."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    own = stats.get(pid, (0, 0.0))[1]
    family, grew = {pid}, True
    while grew:
        more = {p for p, (ppid, _) in stats.items() if ppid in family} - family
        family |= more
        grew = bool(more)
    return own, sum(stats[p][1] for p in family - {pid})


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--keep", type=Path, default=None, help="folder to set up in and keep, or set up before (default: a temporary one)")
    args = parser.parse_args()
    tmp = None
    if args.keep:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="review-bench-")
        folder = Path(tmp.name)
    # a kept folder already set up is used again (its samples and accounts; its earlier saves stay)
    env = bench_env(folder) if (folder / "archive.db").exists() else set_up(folder, args.reviewers)
    port = _free_port()
    server = subprocess.Popen([str(EXE), "review", "serve", "--port", str(port)], env=env, cwd=folder,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                httpx.get(url + "/login", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        import sqlite3

        db = sqlite3.connect(folder / "archive.db")
        # every passage of the stored samples: flagged ones first (the queue's), then the others
        passages = [f"/passages/{d}/{p}/{n}" for d, p, n in db.execute(
            "select pages.document_id, pages.number, passages.number from passages "
            "join pages on pages.id = passages.page_id order by pages.document_id, pages.number, passages.number")]
        db.close()
        with httpx.Client(base_url=url, follow_redirects=False) as c:
            _login(c, "reviewer0")
            flagged = list(dict.fromkeys(_PASSAGE.findall(c.get("/queue").text)))
        passages = flagged + [p for p in passages if p not in flagged]
        if len(passages) < args.reviewers:
            raise SystemExit("fewer passages than reviewers")
        timings: dict[str, list[float]] = {}
        lock = threading.Lock()
        until = time.time() + args.seconds
        # each reviewer works on its own passages (shared ones would only give 409 conflicts)
        workers = [Reviewer(url, f"reviewer{k}", passages[k::args.reviewers], until, timings, lock)
                   for k in range(args.reviewers)]
        load_before = os.getloadavg()
        cpu_before = _cpu_seconds(server.pid)
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        load_after = os.getloadavg()
        time.sleep(0.5)
        cpu_after = _cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    import sqlite3

    db = sqlite3.connect(folder / "archive.db")
    recomputed = db.execute("select count(*) from audit_events where action = 'recomputed'").fetchone()[0]
    failed = db.execute("select count(*) from audit_events where action = 'recompute_failed'").fetchone()[0]
    db.close()
    every = [t for ts in timings.values() for t in ts]
    print(f"\n{args.reviewers} reviewers, {args.seconds:.0f} s, {len(passages)} passages ({len(flagged)} flagged); "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after ({os.cpu_count()} cores)")
    print("| requests | n | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for kind, ts in sorted(timings.items()) + [("all", every)]:
        print(f"| {kind} | {len(ts)} | {_pct(ts, .5):.0f} | {_pct(ts, .95):.0f} | {max(ts) * 1000:.0f} |")
    print(f"saves {sum(w.saves for w in workers)}, conflicts {sum(w.conflicts for w in workers)}, "
          f"5xx {sum(w.errors for w in workers)}; recomputes finished while serving: {recomputed} "
          f"(failed {failed})")
    n = len(every)
    web, child = cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]
    print(f"CPU while serving: web process {web:.1f} s ({web / max(n, 1) * 1000:.1f} ms per request over {n}), "
          f"recompute child {child:.1f} s ({child / max(recomputed, 1) * 1000:.0f} ms per recompute)")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
