"""CPU seconds per review-page request and per recompute: figures that survive a loaded machine
(wall-clock p95 from bench.review_bench does not: at load 14-18 on 2 cores it measures the queue
for the CPU, not the page).

    python -m bench.review_cpu [--keep DIR] [--rounds 8] [--profile KIND]

The same set-up as bench.review_bench (the samples ingested, reviewer accounts), then the web app
run in this process (httpx's ASGI transport, no server, the routes on this thread) and each kind
of request made one at a time, so the process's CPU time (time.process_time) over one request is
that request's cost: the queue, a passage, a save of one changed line (recompute off here: measured on its own), the
record page. Then the recompute of a corrected document (flags and alignment, as the child process
runs it) timed the same way. `--profile save` prints cProfile's top functions for one kind.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import html
import os
import pstats
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench.review_bench import _HIDDEN, _LINE, _PASSAGE, PASSWORD, set_up


def _settings(env: dict):
    from ingest.settings import load_settings

    return load_settings(env={k: v for k, v in env.items() if k.startswith("ARCHIVE_")})


async def _inline(func, *args, **kwargs):
    return func(*args, **kwargs)


def measure(folder: Path, rounds: int, profile: str | None) -> dict[str, list[float]]:
    return asyncio.run(_measure(folder, rounds, profile))


async def _measure(folder: Path, rounds: int, profile: str | None) -> dict[str, list[float]]:
    import fastapi.routing
    import httpx
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from flows.app.recompute import recompute_directly
    from flows.web.app import create_app

    # the app's sync routes run here, on this thread, instead of anyio's thread pool: requests
    # are made one at a time anyway, and cProfile (one thread) then sees the whole request
    fastapi.routing.run_in_threadpool = _inline  # type: ignore[assignment]
    env = {"ARCHIVE_DB_URL": f"sqlite:///{folder}/archive.db", "ARCHIVE_FILES_DIR": str(folder / "files"),
           "ARCHIVE_LOGIN_MAX_FAILURES": "1000"}
    settings = _settings(env)
    app = create_app(settings, recompute=None)
    cpu: dict[str, list[float]] = {}
    statements = [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(*_args) -> None:  # SQL statements per request: an N+1 shows as a count growing with the page
        statements[0] += 1

    prof = cProfile.Profile() if profile else None

    async def timed(kind: str, call):
        if prof and kind == profile:
            prof.enable()
        t0, n0 = time.process_time(), statements[0]
        r = await call
        cpu.setdefault(kind, []).append(time.process_time() - t0)
        cpu.setdefault(f"{kind} (SQL statements)", []).append(statements[0] - n0)
        if prof and kind == profile:
            prof.disable()
        if r.status_code >= 400:
            raise SystemExit(f"{kind}: HTTP {r.status_code}")
        return r

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
        token = dict(_HIDDEN.findall((await c.get("/login")).text))["csrf_token"]
        await c.post("/login", data={"csrf_token": token, "username": "reviewer0", "password": PASSWORD, "next": ""})
        passages = list(dict.fromkeys(_PASSAGE.findall((await c.get("/queue")).text)))
        if not passages:
            raise SystemExit("the queue is empty")
        for k in range(rounds + 1):  # round 0 warms the caches up and is not counted
            if k == 1 and prof:
                prof = cProfile.Profile()
            path = passages[k % len(passages)]
            await timed("queue", c.get("/queue"))
            page = await timed("passage", c.get(path))
            hidden = dict(_HIDDEN.findall(page.text))
            lines = [html.unescape(v) for _, v in sorted(_LINE.findall(page.text), key=lambda x: int(x[0]))]
            lines[-1] = re.sub(r" \[\d+\]$", "", lines[-1]) + f" [{k}]"
            await timed("save", c.post(path, data={
                "csrf_token": hidden["csrf_token"], "base_version": hidden["base_version"], "action": "correct",
                "line": lines}))
            await timed("record", c.get(f"/records/{path.split('/')[2]}"))
            if k == 0:
                cpu.clear()
        docs = list(dict.fromkeys(int(p.split("/")[2]) for p in passages))
    for k in range(min(rounds, 4) + 1):
        doc = docs[k % len(docs)]
        t0 = time.process_time()
        recompute_directly(doc, settings)
        if k:  # the first one loads the word lists (once per child process)
            cpu.setdefault("recompute", []).append(time.process_time() - t0)
        else:
            cpu["recompute (first, loads word lists)"] = [time.process_time() - t0]
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(os.environ.get("PROFILE_FILTER", ""), 45)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--keep", type=Path, default=None, help="folder already set up (or to set up and keep)")
    parser.add_argument("--profile", default=None, help="cProfile one kind: queue, passage, save or record")
    args = parser.parse_args()
    tmp = None
    if args.keep and (args.keep / "archive.db").exists():
        folder = args.keep
    else:
        if args.keep:
            folder = args.keep
            folder.mkdir(parents=True, exist_ok=True)
        else:
            tmp = tempfile.TemporaryDirectory(prefix="review-cpu-")
            folder = Path(tmp.name)
        set_up(folder, 1)
    cpu = measure(folder, args.rounds, args.profile)
    print("| request | n | CPU ms (or count) median | max |")
    print("|---|---:|---:|---:|")
    for kind, ts in cpu.items():
        scale = 1 if "statements" in kind else 1000  # statements are counts, the rest seconds
        print(f"| {kind} | {len(ts)} | {statistics.median(ts) * scale:.0f} | {max(ts) * scale:.0f} |")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
