"""Export benchmark: the bundled examples and a batch of generated typewritten pages (bench.pagegen,
text from the shared IWSLT'15 TED talks, five damage levels, Vietnamese and English in turn) are
ingested by the stage functions, a reviewer's correction is stored on each document, and every
document is exported in every format.

    python -m bench.export_bench [--documents 20]

Prints per format the files that validate (ALTO 4.4, PAGE-XML 2019-07-15 against ../shared/schemas)
or parse (hOCR, TEI, TMX, DC), and for the searchable PDFs: CER of the text pdfplumber extracts
against the stored reviewed text (target <= 0.5%), share of extracted words inside their boxes,
size against 1.1 x embedded image bytes + 50 kB, qpdf --check and pdftoppm.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from lxml import etree

from bench.export_checks import check_pdf, validate


def _generated(folder: Path, count: int):
    from bench.pagegen import LEVELS, generate
    from flows.app.jobs import FileJob

    per_level = -(-count // len(LEVELS))
    jobs = []
    for i, page in enumerate(generate(per_level=per_level, lines_per_page=16)):
        if i >= count:
            break
        path = folder / f"gen-{i:02d}-{page.level}-{page.lang}.png"
        page.image.save(path, dpi=(page.dpi, page.dpi))
        meta = {"record_id": f"gen-{i}", "title": f"Generated page {i} ({page.level})", "date": "1968"}
        if i % 2 == 1:  # odd pages are English: recorded as translations of the page before
            meta["translation_of"] = f"gen-{i - 1}"
        jobs.append(FileJob(str(path), collection="bench", lang=page.lang, metadata=meta))
    return jobs


def _ingest(jobs, settings) -> list[int]:
    from flows.app.pages import ingest_page
    from flows.app.pairing import pair_and_align
    from flows.app.steps import finish_document, prepare_document

    ids = []
    for job in jobs:
        plan = prepare_document(job, settings, None)
        outcomes = [ingest_page(plan.document_id, plan.path, plan.media_type, n, job.lang, settings)
                    for n in plan.pages_todo]
        if finish_document(plan, outcomes, settings) is None:
            ids.append(plan.document_id)
    pair_and_align(ids, settings)
    return ids


def _correct(settings, doc_id: int) -> None:
    """A reviewer's correction on the document's longest passage: its last word doubled, as a
    reviewer adding a word the OCR dropped (the reviewed text must reach every format)."""
    from storage.exports.load import ExportRepository
    from storage.locate import PassageRef
    from storage.review import ReviewRepository

    doc = ExportRepository(settings.db_url).document(doc_id)
    best = max(((p.number, ps) for p in doc.pages for ps in p.passages), key=lambda x: len(x[1].text), default=None)
    if best is None or not best[1].text.split():
        return
    page, ps = best
    ReviewRepository(settings.db_url).save_version(PassageRef(doc_id, page, ps.number), base_version=0,
                                                   kind="correction", text=f"{ps.text} {ps.text.split()[-1]}",
                                                   user="bench", flag_ids=[], flag_status="corrected")


def _parses(kind: str, data: bytes) -> bool:
    try:
        if kind == "tsv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter="\t"))
            return bool(rows) and all(len(r) == len(rows[0]) for r in rows)
        etree.fromstring(data)
        return True
    except (etree.XMLSyntaxError, UnicodeDecodeError, csv.Error):
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=20)
    args = ap.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from flows.app.exports import ExportFormat, NothingToExport, document_files
    from flows.app.store import open_store
    from ingest.settings import Settings
    from storage.exports.load import ExportRepository
    from tests.samples import ingest_examples

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        settings = Settings(db_url=f"sqlite:///{tmp}/bench.db", files_dir=str(tmp / "files"), workers=1)
        t = time.perf_counter()
        ids = list(ingest_examples(settings).values())
        ids += _ingest(_generated(tmp, args.documents), settings)
        ingest_s = time.perf_counter() - t
        for doc_id in ids:
            _correct(settings, doc_id)
        store = open_store(settings)
        counts: dict[str, list[int]] = {}
        pdfs, seconds = [], {}
        for fmt in ExportFormat:
            ok = total = 0
            seen = set()  # a pair's file comes with both of its documents: count it once
            t = time.perf_counter()
            for doc_id in ids:
                try:
                    files = document_files(store, doc_id, fmt)
                except NothingToExport:
                    continue
                for f in files:
                    if f.name in seen:
                        continue
                    seen.add(f.name)
                    total += 1
                    if fmt in (ExportFormat.ALTO, ExportFormat.PAGE):
                        ok += validate("alto" if fmt is ExportFormat.ALTO else "page", f.data) is None
                    elif fmt is ExportFormat.PDF:
                        exports = ExportRepository(settings.db_url)
                        pdfs.append(check_pdf(f.data, exports.document(doc_id), raw=exports.document(doc_id, raw=True)))
                        ok += pdfs[-1].qpdf_ok and pdfs[-1].renders
                    elif fmt in (ExportFormat.TXT, ExportFormat.JSONL):
                        ok += bool(f.data.strip())
                    else:
                        ok += _parses(fmt.value, f.data)
            seconds[fmt.value] = time.perf_counter() - t
            counts[fmt.value] = [ok, total]
    la = os.getloadavg()
    print(f"{len(ids)} documents (3 examples + {len(ids) - 3} generated), ingested in {ingest_s:.0f} s; "
          f"load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}")
    for fmt, (ok, total) in counts.items():
        verb = {"alto": "validate", "page": "validate", "pdf": "pass qpdf --check and render"}.get(fmt, "parse")
        print(f"{fmt:<6} {ok}/{total} files {verb} ({seconds[fmt]:.1f} s)")
    if pdfs:
        cers = [p.cer for p in pdfs]
        inside = sum(p.words_in_box for p in pdfs) / max(sum(p.words for p in pdfs), 1)
        ratio = [p.size / (1.1 * p.image_bytes + 50_000) for p in pdfs]
        print(f"pdf    CER vs stored reviewed text: mean {statistics.mean(cers):.4%}, max {max(cers):.4%} "
              f"(target <= 0.5%); words inside their boxes {inside:.2%}; size / (1.1 x image bytes + 50 kB): "
              f"max {max(ratio):.2f} ({sum(r <= 1 for r in ratio)}/{len(ratio)} within)")
        problems = "; ".join(sorted({x for p in pdfs for x in p.pdfa}))
        print(f"pdf    PDF/A-2b structure (bench.pdfa_checks; no offline validator): "
              f"{sum(not p.pdfa for p in pdfs)}/{len(pdfs)} without problems{': ' + problems if problems else ''}")


if __name__ == "__main__":
    main()
