"""Search benchmark: index 10,000 passages made from the shared IWSLT'15 TED text (Vietnamese and
English, 20 passages a document) and time queries typed without marks, on SQLite and PostgreSQL.

    python -m bench.search_bench [--passages 10000] [--queries 200] [--backend sqlite|postgresql|both]

Prints: passages indexed per second (rebuilding the whole index, and as documents are stored one by
one), and query latency p50/p95 for the index lookup alone and for the whole search use case
(snippets, titles and the aligned passage of each hit). Targets: >= 2,000 passages/s, p95 <= 50 ms.
Beside the wall-clock figures it prints the CPU a lookup costs (this process, and on PostgreSQL the
server's backends), which a loaded machine does not change, and the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid

from bench.pagegen import corpus
from ingest.model import Line, PageText, Passage
from storage.search import fold

PER_DOC = 20
PG_ADMIN = os.environ.get("ARCHIVE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _page(texts: list[str]) -> PageText:
    lines, passages = [], []
    for i, t in enumerate(texts):
        box = (0, 60 * i, 2000, 60 * i + 40)
        lines.append(Line(t, box, 90.0))
        passages.append(Passage(t, box, i, i))
    return PageText(1, "text_file", tuple(lines), tuple(passages), 2000, 60 * len(texts), 0, mean_confidence=90.0)


def _queries(texts: list[str], n: int, rng: random.Random) -> list[str]:
    """One to three consecutive words of a passage, typed without marks (as historians do)."""
    out = []
    while len(out) < n:
        words = [w.strip(".,;:!?\"'()") for w in rng.choice(texts).split()]
        words = [w for w in words if len(w) > 2]
        if not words:
            continue
        k = rng.randint(1, min(3, len(words)))
        i = rng.randrange(len(words) - k + 1)
        out.append(fold(" ".join(words[i:i + k])))
    return out


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _server_cpu(db_url: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this database (same machine)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(db_url).database
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    total = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run(db_url: str, passages: int, queries: int, label: str) -> dict:
    from flows.app.search import search
    from flows.app.store import open_store
    from ingest.settings import Settings
    from storage.documents import DocumentRepository
    from storage.search import SearchRepository

    rng = random.Random(1968)
    texts = {"vie": corpus("vie"), "eng": corpus("eng")}
    repo = DocumentRepository(db_url)
    docs = passages // PER_DOC
    made, indexed = [], []
    for d in range(docs):
        lang = "vie" if d % 2 == 0 else "eng"
        start = rng.randrange(len(texts[lang]) - PER_DOC)
        chunk = texts[lang][start:start + PER_DOC]
        indexed += chunk
        claim = repo.claim(sha256=uuid.uuid4().hex * 2, source_path=f"/bench/{label}-{d}.txt",
                           filename=f"{label}-{d}.txt", size_bytes=1, collection="bench", lang=lang, run_id=None)
        repo.set_record(claim.document_id, {"title": f"TED talk excerpt {d}", "record_id": f"ted-{d}"})
        repo.plan(claim.document_id, media_type="text/plain", page_count=1)
        repo.save_page(claim.document_id, _page(chunk), original_image=None, preprocessed_image=None)
        made.append(claim.document_id)
    t = time.perf_counter()
    for doc_id in made:
        repo.mark_stored(doc_id)  # indexes the document as it is stored
    incremental = time.perf_counter() - t
    search_repo = SearchRepository(db_url)
    t, c, sc = time.perf_counter(), time.process_time(), _server_cpu(db_url) if label == "postgresql" else 0.0
    entries = search_repo.reindex()
    rebuild = time.perf_counter() - t
    rebuild_cpu = time.process_time() - c + (_server_cpu(db_url) - sc if label == "postgresql" else 0.0)
    n_passages = entries - docs  # one record entry a document
    qs = _queries(indexed, queries, rng)
    store = open_store(Settings(db_url=db_url, files_dir=tempfile.mkdtemp()))
    search_repo.search(qs[0])  # warm the connection pool and caches
    lookup, full, hits = [], [], 0
    server = label == "postgresql"
    cpu, server_cpu = time.process_time(), _server_cpu(db_url) if server else 0.0
    for q in qs:
        t = time.perf_counter()
        search_repo.search(q, limit=20)
        lookup.append((time.perf_counter() - t) * 1000)
    cpu = (time.process_time() - cpu) * 1000 / len(qs)
    server_cpu = (_server_cpu(db_url) - server_cpu) * 1000 / len(qs) if server else 0.0
    for q in qs:
        t = time.perf_counter()
        page = search(store, q, limit=20)
        full.append((time.perf_counter() - t) * 1000)
        hits += bool(page.hits)
    return {"backend": label, "passages": n_passages, "documents": docs,
            "rebuild_per_s": n_passages / rebuild, "incremental_per_s": n_passages / incremental,
            "lookup_p50": statistics.median(lookup), "lookup_p95": _pct(lookup, 95),
            "full_p50": statistics.median(full), "full_p95": _pct(full, 95), "queries": len(qs),
            "found": hits, "rebuild_cpu_per_s": n_passages / rebuild_cpu, "lookup_cpu": cpu,
            "lookup_server_cpu": server_cpu}


def _pg_url() -> tuple[str, str]:
    import psycopg

    name = f"archive_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = ap.parse_args()
    results = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run(f"sqlite:///{tmp}/bench.db", args.passages, args.queries, "sqlite"))
    if args.backend in ("postgresql", "both"):
        import psycopg

        name, url = _pg_url()
        try:
            results.append(run(url, args.passages, args.queries, "postgresql"))
        finally:
            from storage import db

            db._engine_for(url).dispose()
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    for r in results:
        print(f"{r['backend']:<10} {r['passages']} passages in {r['documents']} documents: indexing "
              f"{r['rebuild_per_s']:,.0f} passages/s (rebuild; "
              f"{r['rebuild_cpu_per_s']:,.0f} per CPU second, client and server), "
              f"{r['incremental_per_s']:,.0f} passages/s "
              f"(as stored); {r['queries']} unaccented queries ({r['found']} with hits): index lookup "
              f"p50 {r['lookup_p50']:.1f} ms p95 {r['lookup_p95']:.1f} ms (CPU a lookup: {r['lookup_cpu']:.2f} ms here"
              + (f", {r['lookup_server_cpu']:.2f} ms server" if r['backend'] == "postgresql" else "")
              + f"); whole search with snippets and "
              f"aligned passages p50 {r['full_p50']:.1f} ms p95 {r['full_p95']:.1f} ms")


if __name__ == "__main__":
    main()
