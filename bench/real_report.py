"""The markdown report of bench.real_bench: per page and pooled tables, the issue's done-when checks,
and merging parts run separately."""

from __future__ import annotations

import json
import statistics

from bench.ocr_metrics import Score
from bench.real_bench import CACHE, DATA, ENGINES, REPORT, TUNE, real_score


def pool(rows: list[dict], engine: str) -> Score | None:
    have = [r[engine] for r in rows if engine in r]
    if not have:
        return None
    return sum((Score(h["char_errors"], h["ref_chars"], h["word_errors"], h["ref_words"], h["diacritic_errors"])
                for h in have), Score())


def render(real: list[dict], generated: list[dict], stamp: dict) -> str:
    out = ["# OCR on real typewritten pages (`python -m bench.real_bench`)", "",
           "27 real 300-dpi typewritten pages (shared/data/typewritten-ehri: Czech, Danish, German, 1938-45) with "
           "line ground truth. Split fixed before tuning (within each language, pages sorted by the README's raw CER, "
           "alternately tune / report):", "", f"- tune: {', '.join(TUNE)}", f"- report (held out): {', '.join(REPORT)}",
           "", "Raw = `tesseract PAGE - -l LANG` (default psm); OCRmyPDF = `--deskew --clean --rotate-pages` "
           "(report pages only); pipeline = `ingest.pipeline.ocr_page`. OMP_THREAD_LIMIT=1.", "",
           f"Measured {stamp['measured']} with `{stamp['command']}` on {stamp['machine']} "
           f"(load average before: {', '.join(map(str, stamp['load']))}).", ""]
    if real:
        out += ["Real pages (CER / WER after the README's quote, dash and whitespace normalisation; CPU seconds "
                "per page, one Tesseract thread):", "",
                "| page | set | chars | CER raw | CER OCRmyPDF | CER pipeline | WER raw | WER OCRmyPDF | WER pipeline "
                "| CPU raw | CPU OCRmyPDF | CPU pipeline | reading kept |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in real:
            g = lambda e, k: f"{r[e][k]:.2%}" if e in r else "n/a"  # noqa: E731
            out.append(f"| {r['page']} | {r['set']} | {r['chars']} | {g('raw', 'cer')} | {g('ocrmypdf', 'cer')} | "
                       f"{g('pipeline', 'cer')} | {g('raw', 'wer')} | {g('ocrmypdf', 'wer')} | {g('pipeline', 'wer')} | "
                       f"{r['raw_cpu_s']} | {r.get('ocrmypdf_cpu_s', 'n/a')} | {r['pipeline_cpu_s']} | "
                       f"{r['pipeline_reading'].get('chosen', '?')} |")
        out += ["", "| pooled | pages | CER raw | CER OCRmyPDF | CER pipeline | WER raw | WER OCRmyPDF | WER pipeline "
                "| median CPU raw | median CPU OCRmyPDF | median CPU pipeline |", "|---|---:|" + "---:|" * 9]
        for label, sel in (("report (held out)", [r for r in real if r["set"] == "report"]),
                           ("tune", [r for r in real if r["set"] == "tune"]), ("all", real)):
            if not sel:
                continue
            s = {e: pool(sel, e) for e in ENGINES}
            med = {e: statistics.median(r[f"{e}_cpu_s"] for r in sel) if all(r.get(f"{e}_cpu_s") is not None
                                                                             for r in sel) else None for e in ENGINES}
            f = lambda x, k: f"{getattr(x, k):.2%}" if x else "n/a"  # noqa: E731
            out.append(f"| {label} | {len(sel)} | " + " | ".join(f(s[e], "cer") for e in ENGINES) + " | "
                       + " | ".join(f(s[e], "wer") for e in ENGINES) + " | "
                       + " | ".join(f"{med[e]:.2f}" if med[e] is not None else "n/a" for e in ENGINES) + " |")
        out += ["", "Done-when checks (held-out pages pooled; every real page; collapsed pages):", ""]
        out += [f"- {line}" for line in checks(real)]
    if generated:
        out += ["", "Generated levels 0-3 and vietsample1 (raw Tesseract and the pipeline, CER pooled per group; "
                "mean CPU seconds per page):", "",
                "| group | pages | CER raw | CER pipeline | CPU raw | CPU pipeline |", "|---|---:|---:|---:|---:|---:|"]
        for group in dict.fromkeys(r["group"] for r in generated):
            sel = [r for r in generated if r["group"] == group]
            out.append(f"| {group} | {len(sel)} | {pool(sel, 'raw').cer:.2%} | {pool(sel, 'pipeline').cer:.2%} | "
                       f"{statistics.mean(r['raw_cpu_s'] for r in sel):.2f} | "
                       f"{statistics.mean(r['pipeline_cpu_s'] for r in sel):.2f} |")
    return "\n".join(out) + "\n"


def checks(real: list[dict]) -> list[str]:
    held = [r for r in real if r["set"] == "report"]
    lines = []
    raw, omp, ours = pool(held, "raw"), pool(held, "ocrmypdf"), pool(held, "pipeline")
    if held and raw and ours:
        lines.append(f"held-out pooled CER: pipeline {ours.cer:.2%} vs 0.6 x raw {0.6 * raw.cer:.2%}: "
                     + ("pass" if ours.cer <= 0.6 * raw.cer else "**FAIL**"))
        if omp:
            lines.append(f"held-out pooled CER: pipeline {ours.cer:.2%} vs OCRmyPDF {omp.cer:.2%}: "
                         + ("pass" if ours.cer <= omp.cer else "**FAIL**"))
    worse = [r["page"] for r in real if r["pipeline"]["cer"] > r["raw"]["cer"] + 0.01]
    lines.append("no page worse than raw + 1 point: " + ("pass" if not worse else f"**FAIL** ({', '.join(worse)})"))
    collapsed = [r for r in real if r["raw"]["cer"] > 0.40]
    bad = [f"{r['page']} {r['pipeline']['cer']:.1%}" for r in collapsed if r["pipeline"]["cer"] > 0.15]
    lines.append(f"collapsed pages (raw > 40%: {len(collapsed)}) read at <= 15%: "
                 + ("pass" if not bad else f"**FAIL** ({', '.join(bad)})"))
    if all(r.get("raw_cpu_s") for r in real):
        m_raw = statistics.median(r["raw_cpu_s"] for r in real)
        m_ours = statistics.median(r["pipeline_cpu_s"] for r in real)
        lines.append(f"median CPU per page: pipeline {m_ours:.2f} s vs 1.6 x raw {1.6 * m_raw:.2f} s: "
                     + ("pass" if m_ours <= 1.6 * m_raw else "**FAIL**"))
    return lines


def merge_parts() -> str:
    """One report from the parts run separately (three processes at once on a loaded machine)."""
    parts = {p: json.loads((CACHE.parent / f"real-{p}.json").read_text(encoding="utf-8"))
             for p in ("report", "tune", "generated") if (CACHE.parent / f"real-{p}.json").exists()}
    real = sorted((r for p in ("report", "tune") if p in parts for r in parts[p]["real"]), key=lambda r: r["page"])
    for row in real:  # OCRmyPDF measured one page at a time after the part ran
        cached = CACHE / f"{row['page'].replace('/', '-')}.ocrmypdf.json"
        if "ocrmypdf" not in row and cached.exists():
            value = json.loads(cached.read_text(encoding="utf-8"))
            folder, stem = row["page"].split("/")
            row["ocrmypdf"] = real_score(value["text"], (DATA / folder / f"{stem}.gt.txt").read_text("utf-8")).as_dict()
            row["ocrmypdf_cpu_s"] = value["cpu_s"]
    stamps = [part["stamp"] for part in parts.values()]
    stamp = {"measured": min(s["measured"] for s in stamps),
             "command": "; ".join(s["command"] for s in stamps) + " (at once); then --merge",
             "machine": stamps[0]["machine"], "load": stamps[0]["load"]}
    return render(real, parts.get("generated", {}).get("generated", []), stamp)
