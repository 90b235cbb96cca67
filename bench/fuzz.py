"""Fuzz the ingest: mutated images, PDFs and manifests through the real ingest flow.

    python -m bench.fuzz [--count 500] [--seed 13] [--batch 100] [--bound-mb 1500]

Each input is a small valid scan (PNG, JPEG, two-page TIFF, PDF) or manifest, mutated by
truncation, bit flips or a header that lies (image dimensions, PDF page size, page count, stream
length). They go through `ingest_batch` (Prefect, the page tasks, the database and the image
store) beside one document stored beforehand, and the run checks:

- no traceback: the flow never raises, no reason carries a traceback or a second line;
- one reason per failure: every input is reported exactly once, each failure with one reason;
- nothing stored before changed: the earlier document's rows and image bytes are as they were;
- no leftover temporary file: no `.tmp-*` in the store, no OCR temp folder of this process;
- peak memory (this process's maximum RSS) under the stated bound.

It prints the figures and exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import resource
import struct
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


# ---- seeds: small, valid, quick to OCR --------------------------------------------------------
def _page(text: str, size=(360, 90)) -> Image.Image:
    img = Image.new("L", size, 255)
    try:
        font = ImageFont.truetype(FONT, 22)
    except OSError:
        font = ImageFont.load_default()
    ImageDraw.Draw(img).text((12, 30), text, fill=0, font=font)
    return img


def seeds() -> dict[str, bytes]:
    out = {}
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg")):
        buf = io.BytesIO()
        _page(f"Điện số 417 {ext}").save(buf, format=fmt, dpi=(300, 300))
        out[ext] = buf.getvalue()
    buf = io.BytesIO()
    _page("Trang một").save(buf, format="TIFF", save_all=True, append_images=[_page("Trang hai")],
                           compression="tiff_deflate", dpi=(300, 300))
    out["tif"] = buf.getvalue()
    buf = io.BytesIO()
    _page("Bản dịch PDF").convert("RGB").save(buf, format="PDF", resolution=300)
    out["pdf"] = buf.getvalue()
    return out


# ---- mutations --------------------------------------------------------------------------------
def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randrange(0, len(data))]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def header_lie(kind: str, data: bytes, rng: random.Random) -> bytes:
    """A header that claims what the data is not: huge or zero dimensions, many pages, wrong lengths."""
    big = rng.choice([0, 1, 65535, 30000, 12000, 2**31 - 1])
    if kind == "png":  # IHDR width/height (bytes 16-24), CRC fixed so only the claim lies
        w, h = (big, rng.choice([big, 100])) if rng.random() < 0.5 else (rng.choice([big, 100]), big)
        ihdr = data[12:16] + struct.pack(">II", w, h) + data[24:29]
        return data[:16] + ihdr[4:] + struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF) + data[33:]
    if kind == "jpg":  # SOF0 height/width
        i = data.find(b"\xff\xc0")
        if i < 0:
            return flip_bits(data, rng)
        return data[:i + 5] + struct.pack(">HH", big & 0xFFFF, rng.choice([big & 0xFFFF, 100])) + data[i + 9:]
    if kind == "tif":  # ImageWidth (256) or ImageLength (257) tag values
        tag = struct.pack("<H", rng.choice([256, 257]))
        i = data.find(tag, 8)
        if i < 0:
            return flip_bits(data, rng)
        return data[:i + 8] + struct.pack("<I", big) + data[i + 12:]
    # PDF: page size, page count or a stream length that lies
    choice = rng.randrange(3)
    if choice == 0:
        return re.sub(rb"/MediaBox\s*\[[^\]]*\]", b"/MediaBox [0 0 %d %d]" % (big % 10**7, big % 10**7), data, 1)
    if choice == 1:
        return re.sub(rb"/Count\s+\d+", b"/Count %d" % big, data, 1)
    return re.sub(rb"/Length\s+\d+", b"/Length %d" % big, data, 1)


def manifest_text(files: list[str], rng: random.Random) -> bytes:
    """A manifest with its own faults: ';' or ',', multi-line cells, extra values, repeated
    columns, NUL, then perhaps truncated or bit-flipped."""
    delim = rng.choice([",", ";"])
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim)
    header = ["file", "title", "subjects", "record_id"] + (["title"] if rng.random() < 0.3 else [])
    w.writerow(header)
    for n, f in enumerate(files):
        row = [f, rng.choice(["Điện\nsố 417", "Bad\x00title", "Plain"]), "a;b", f"fz-{n}"]
        row += ["extra"] * rng.randint(0, 2)
        w.writerow(row)
    data = buf.getvalue().encode("utf-8")
    mutate = rng.random()
    if mutate < 0.25:
        data = truncate(data, rng)
    elif mutate < 0.5:
        data = flip_bits(data, rng)
    return data


# ---- the run ----------------------------------------------------------------------------------
def make_inputs(folder: Path, count: int, rng: random.Random) -> tuple[list[Path], list[Path]]:
    base = seeds()
    files, manifests = [], []
    n_manifests = max(1, count // 10)
    for i in range(count - n_manifests):
        kind = rng.choice(sorted(base))
        how = rng.choice(["truncate", "flip", "lie"])
        data = base[kind]
        data = truncate(data, rng) if how == "truncate" else flip_bits(data, rng) if how == "flip" \
            else header_lie(kind, data, rng)
        path = folder / f"{i:04d}-{how}.{kind}"
        path.write_bytes(data)
        files.append(path)
    for i in range(n_manifests):
        named = [p.name for p in rng.sample(files, k=min(3, len(files)))] + [f"missing-{i}.png"]
        path = folder / f"manifest-{i:03d}.csv"
        path.write_bytes(manifest_text(named, rng))
        manifests.append(path)
    return files, manifests


def jobs_for(files: list[Path], manifests: list[Path], problems: list[str]):
    """One job per input file (the first manifest naming a file gives its metadata); a manifest
    that cannot be read must say why in one line, like the CLI does."""
    from flows.app.jobs import FileJob
    from ingest.manifest import ManifestError, read_manifest

    meta: dict[Path, dict] = {}
    manifest_results = Counter()
    extra_jobs = []
    for m in manifests:
        try:
            rows = read_manifest(m, warn=lambda _msg: None)
            manifest_results["read"] += 1
        except ManifestError as exc:
            manifest_results["refused"] += 1
            if "\n" in str(exc) or not str(exc):
                problems.append(f"manifest {m.name}: reason not one line: {exc!r}")
            continue
        except Exception as exc:  # noqa: BLE001 - exactly what the fuzz hunts
            problems.append(f"manifest {m.name}: crashed with {type(exc).__name__}: {exc}")
            continue
        for r in rows:
            if r.file.exists() and r.file.resolve() not in meta:
                meta[r.file.resolve()] = r.metadata
            elif not r.file.exists():
                extra_jobs.append(FileJob(str(r.file), metadata=r.metadata,
                                          error=f"file named in manifest {m.name} not found"))
    jobs = [FileJob(str(p), metadata=meta.get(p.resolve(), {})) for p in files]
    seen = set()
    for j in extra_jobs:
        if j.path not in seen:
            seen.add(j.path)
            jobs.append(j)
    return jobs, manifest_results


def snapshot(settings, document_id: int) -> tuple:
    from storage.documents import DocumentRepository
    from storage.files import FileStore

    doc = DocumentRepository(settings.db_url).get_document(document_id, full=True)
    store = FileStore(settings.files_dir)
    pages = [(p.number, p.text, p.original_image, p.preprocessed_image, [(l.text, l.confidence) for l in p.lines],
              store.read_bytes(p.original_image)) for p in doc.pages]
    return doc.status, doc.sha256, doc.original_file, store.read_bytes(doc.original_file), pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=500, help="inputs (files and manifests)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--batch", type=int, default=100, help="files per ingest run")
    ap.add_argument("--bound-mb", type=int, default=1500, help="peak memory bound (max RSS), MB")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="archive-fuzz-"))
    (work / "inputs").mkdir()
    from flows.runtime import configure_prefect

    configure_prefect()
    from dataclasses import replace

    from flows.app.jobs import FileJob
    from flows.ingest import with_runner
    from ingest.settings import Settings

    settings = replace(Settings(), db_url=f"sqlite:///{work}/fuzz.db", files_dir=str(work / "files"), workers=2)
    files, manifests = make_inputs(work / "inputs", args.count, rng)
    problems: list[str] = []
    jobs, manifest_results = jobs_for(files, manifests, problems)
    began = time.perf_counter()
    baseline = with_runner(settings)([FileJob(str(ROOT / "examples" / "cable-418-vi.jpg"))], settings=settings)
    first = baseline.files[0]
    assert first.state == "stored", first
    before = snapshot(settings, first.document_id)
    states: Counter = Counter()
    reasons: Counter = Counter()
    reported: Counter = Counter()
    for start in range(0, len(jobs), args.batch):
        chunk = jobs[start:start + args.batch]
        try:
            report = with_runner(settings)(chunk, settings=settings)
        except Exception as exc:  # noqa: BLE001 - a crash of the whole run is the worst finding
            problems.append(f"run of files {start}-{start + len(chunk)} crashed: {type(exc).__name__}: {exc}")
            continue
        for f in report.files:
            reported[f.path] += 1
            states[f.state] += 1
            if f.state == "quarantined":
                reason = f.error or ""
                if not reason or "\n" in reason or "Traceback" in reason or "internal error" in reason:
                    problems.append(f"{Path(f.path).name}: bad reason {reason!r}")
                reasons[re.sub(r"\d+", "N", reason.split(":")[0] if reason.startswith("page") else reason)[:60]] += 1
        for j in chunk:
            if reported[j.path] != 1:
                problems.append(f"{Path(j.path).name}: reported {reported[j.path]} times")
    seconds = time.perf_counter() - began
    if snapshot(settings, first.document_id) != before:
        problems.append("the document stored before the fuzz run changed")
    leftovers = [str(p) for p in Path(settings.files_dir).rglob(".tmp-*")]
    leftovers += [str(p) for p in Path(tempfile.gettempdir()).glob(f"archive-ocr-{os.getpid()}-*")]
    if leftovers:
        problems.append(f"{len(leftovers)} temporary file(s) left, e.g. {leftovers[0]}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if peak_mb > args.bound_mb:
        problems.append(f"peak memory {peak_mb:.0f} MB over the bound {args.bound_mb} MB")

    n_inputs = len(files) + len(manifests)
    print(f"fuzz: {n_inputs} inputs ({len(files)} mutated images/PDFs, {len(manifests)} manifests: "
          f"{manifest_results['read']} read, {manifest_results['refused']} refused with a reason); "
          f"{len(jobs)} files ingested in {seconds:.0f} s (seed {args.seed})")
    print("results: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    print("most common reasons:")
    for reason, n in reasons.most_common(8):
        print(f"  {n:4d}  {reason}")
    print(f"crashes/tracebacks: {sum('crashed' in p or 'Traceback' in p for p in problems)}; "
          f"problems: {len(problems)}; leftover temp files: {len(leftovers)}; "
          f"peak memory (max RSS of this process) {peak_mb:.0f} MB, bound {args.bound_mb} MB")
    for p in problems[:20]:
        print(f"  PROBLEM {p}")
    print(f"(work folder {work})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
