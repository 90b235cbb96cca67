"""Flags benchmark: do the page and link rules point at the errors, and only near them?

    python -m bench.flags_bench [--cache DIR]

Pages: generated typewritten pages (bench.pagegen, five degradation levels, Vietnamese and
English in turn) and the two real pages of vietsample1.tif, all read by this project's pipeline
(ingest.pipeline.ocr_page). Each OCR line is matched to its ground-truth line (rapidfuzz); a line
is erroneous when its text differs from the truth (NFC, whitespace collapsed), a word when it is
not matched exactly by a Levenshtein alignment of the line's words against the true words.

Two disjoint sets of pages: the *calibration* set (pagegen seed 7) is where the confidence
thresholds of qa/flags/model.py were chosen and where bench.flags_fit fits the line-level decision
(qa/flags/decision.py); the held-out *evaluation* set (pagegen seed 1968 and vietsample1 p1-p2) is where the figures are measured.

Links: perturbed IWSLT15 talks as in bench.align_bench (merges, splits, omissions, furniture,
OCR noise), each perturbed unit given to ingest.align.align_documents as a passage; a predicted
sentence link is right when all its sentences lie in one gold bead (units split into several
sentences are linked sentence by sentence inside it) and it is one-sided only where that bead
is; every other predicted link is wrong.

Writes bench/results/flags.json. --cache keeps the OCR readings (JSON) between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from rapidfuzz import fuzz, process  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
from bench.ocr_metrics import normalize as norm  # noqa: E402
from bench.shared import SHARED  # noqa: E402
VIET = SHARED / "data" / "vietnamese-ocr"
AMBIGS = VIET / "vie.DangAmbigs.txt"
# Attested Vietnamese syllables: the dev2010 talks and the lexicons. Not tst2010: the generated
# pages and the link benchmark draw their text from tst2010, which would make every true syllable
# attested by construction.
SYLLABLE_SOURCES = (SHARED / "data" / "iwslt15-en-vi" / "IWSLT15.TED.dev2010.en-vi.vi.xml",
                    SHARED / "data" / "lexicon-vi-en" / "fvdp-vietanh-dump-utf8.json",
                    SHARED / "data" / "lexicon-vi-en" / "wechsel-wiktionary-en-vi.raw.txt")
CALIBRATION_SEED, EVALUATION_SEED, PER_LEVEL = 7, 1968, 4


# ---------------------------------------------------------------- pages and their OCR readings

def _reading(image, lang: str, dpi: int | None) -> list:
    from ingest.pipeline import ocr_image

    text = ocr_image(image, lang=lang, dpi=dpi)
    return [(l.text, list(l.bbox), [(w.text, list(w.bbox), w.confidence, w.alternative, w.alternative_confidence)
                                    for w in l.words]) for l in text.lines]


def page_set(name: str, cache: Path | None, per_level: int = PER_LEVEL) -> list[dict]:
    """Pages of one set with ground-truth lines and the pipeline's lines, cached as JSON."""
    path = cache / f"{name}-{per_level}.json" if cache else None
    if path and path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    if name == "ehri":
        pages = ehri_pages()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
        return pages
    from bench.pagegen import generate

    pages = []
    seed = CALIBRATION_SEED if name == "calibration" else EVALUATION_SEED
    for n, page in enumerate(generate(per_level=per_level, seed=seed)):
        t0 = time.perf_counter()
        pages.append({"name": f"seed{seed}-{n:02d} {page.level} {page.lang}", "lang": page.lang, "kind": "generated",
                      "level": page.level, "truth": page.lines, "lines": _reading(page.image, page.lang, page.dpi)})
        print(f"  OCR {pages[-1]['name']}: {time.perf_counter() - t0:.1f} s", flush=True)
    if name == "evaluation":
        from ingest.sources import load_page

        for n in (1, 2):
            page = load_page(VIET / "vietsample1.tif", "image/tiff", n, dpi=300, max_pixels=10**9)
            truth = (VIET / f"vietsample1.p{n}.gt.txt").read_text(encoding="utf-8").splitlines()
            pages.append({"name": f"vietsample1.tif p{n}", "lang": "vie", "kind": "real", "level": "real",
                          "truth": [t for t in truth if t.strip()], "lines": _reading(page.image, "vie", 300)})
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    return pages


# Real typescript with ground truth (../shared/data/typewritten-ehri): the Danish and Czech pages
# raw Tesseract reads at <= 7.5% CER (the others are mostly stamps and handwriting the
# transcription leaves out). Only the language-neutral rules run on them (confidence, second
# choices, garbage, mixed scripts, digits, odd characters): the syllable, dictionary and capital
# rules are Vietnamese or English. Never used for calibration.
EHRI = SHARED / "data" / "typewritten-ehri"
EHRI_PAGES = (("danish", "002", "dan"), ("danish", "003", "dan"), ("danish", "004", "dan"),
              ("czech", "001", "ces"), ("czech", "007", "ces"), ("czech", "008", "ces"))


def ehri_pages() -> list[dict]:
    from PIL import Image

    pages = []
    for folder, number, lang in EHRI_PAGES:
        image_path = EHRI / folder / f"{number}.jpg"
        if not image_path.is_file():
            continue
        t0 = time.perf_counter()
        truth = (EHRI / folder / f"{number}.gt.txt").read_text(encoding="utf-8").splitlines()
        with Image.open(image_path) as im:
            image = im.convert("L")
        pages.append({"name": f"ehri {folder}/{number}", "lang": lang, "kind": "real-ehri", "level": "real",
                      "truth": [t for t in truth if t.strip()], "lines": _reading(image, lang, 300)})
        print(f"  OCR {pages[-1]['name']}: {time.perf_counter() - t0:.1f} s", flush=True)
    return pages


# ---------------------------------------------------------------- which lines and words are wrong

def truth_marks(page: dict) -> tuple[list[bool], list[list[bool]], int]:
    """(line wrong?, [word wrong?] per line, true lines no OCR line matched)."""
    truth = [norm(t) for t in page["truth"]]
    used: set[int] = set()
    line_wrong, word_wrong = [], []
    for text, _, words in page["lines"]:
        hyp = norm(text)
        best = process.extractOne(hyp, truth, scorer=fuzz.ratio) if truth and hyp else None
        if best is None or best[1] < 50:  # no true line: a stain or border read as text
            line_wrong.append(True)
            word_wrong.append([True] * len(words))
            continue
        ref = truth[best[2]]
        used.add(best[2])
        line_wrong.append(hyp != ref)
        hyp_words = [norm(w[0]) for w in words]
        ok = [False] * len(hyp_words)
        for op in Levenshtein.opcodes(hyp_words, ref.split()):
            if op.tag == "equal":
                for k in range(op.src_start, op.src_end):
                    ok[k] = True
        word_wrong.append([not o for o in ok])
    return line_wrong, word_wrong, len(truth) - len(used)


# ---------------------------------------------------------------- rules over the pages

def page_flags(page: dict, resources: dict, decide: bool = True, **overrides):
    """The page's flags as reviewers see them (the rules, then the line-level decision), or every
    rule's flags (decide=False)."""
    from qa.flags import flag_lines, flag_words

    lines = [(t, tuple(b), [(w[0], tuple(w[1]), *w[2:]) for w in ws]) for t, b, ws in page["lines"]]
    return (flag_lines if decide else flag_words)(1, lines, page["lang"], **resources, **overrides)


def count(pages: list[dict], flags_per_page: list[list], marks: list | None = None) -> dict:
    """Recall and flagged/erroneous for lines and words (marks: truth_marks of each page, when
    already computed)."""
    c = dict.fromkeys(("lines", "lines_wrong", "lines_flagged", "lines_wrong_flagged", "words", "words_wrong",
                       "words_flagged", "words_wrong_flagged", "true_lines_unread"), 0)
    for k, (page, flags) in enumerate(zip(pages, flags_per_page)):
        line_wrong, word_wrong, unread = marks[k] if marks else truth_marks(page)
        c["true_lines_unread"] += unread
        flagged_lines = {f.line_number for f in flags if f.line_number is not None}
        flagged_words = {(f.line_number, f.word) for f in flags if f.word is not None}
        flagged_words |= {(f.line_number, w) for f in flags if f.level == "line" for w in range(len(word_wrong[f.line_number]))}
        for ln, wrong in enumerate(line_wrong):
            c["lines"] += 1
            c["lines_wrong"] += wrong
            c["lines_flagged"] += ln in flagged_lines
            c["lines_wrong_flagged"] += wrong and ln in flagged_lines
            for wn, wwrong in enumerate(word_wrong[ln]):
                c["words"] += 1
                c["words_wrong"] += wwrong
                c["words_flagged"] += (ln, wn) in flagged_words
                c["words_wrong_flagged"] += wwrong and (ln, wn) in flagged_words
    for unit in ("lines", "words"):
        c[f"{unit}_recall"] = round(c[f"{unit}_wrong_flagged"] / max(1, c[f"{unit}_wrong"]), 4)
        c[f"{unit}_flagged_per_wrong"] = round(c[f"{unit}_flagged"] / max(1, c[f"{unit}_wrong"]), 4)
        c[f"{unit}_precision"] = round(c[f"{unit}_wrong_flagged"] / max(1, c[f"{unit}_flagged"]), 4)
    return c


def rule_table(pages: list[dict], resources: dict) -> dict[str, dict]:
    """Per rule, over the pages: lines it flags (all rules, no line-level decision), of which
    erroneous (precision), the share of all erroneous lines it flags (recall), and the lines it
    still flags after the decision."""
    out: dict[str, dict] = {}
    wrong_total = 0
    for page in pages:
        line_wrong = truth_marks(page)[0]
        wrong_total += sum(line_wrong)
        for decided, flags in ((False, page_flags(page, resources, decide=False)), (True, page_flags(page, resources))):
            for t in {f.type for f in flags}:
                row = out.setdefault(t, dict.fromkeys(("lines", "wrong", "kept", "kept_wrong"), 0))
                lines = {f.line_number for f in flags if f.type == t}
                row["kept" if decided else "lines"] += len(lines)
                row["kept_wrong" if decided else "wrong"] += sum(line_wrong[ln] for ln in lines)
    for row in out.values():
        row["precision"] = round(row["wrong"] / max(1, row["lines"]), 3)
        row["recall"] = round(row["wrong"] / max(1, wrong_total), 3)
        row["kept_precision"] = round(row["kept_wrong"] / max(1, row["kept"]), 3)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["lines"]))


def print_rule_table(name: str, table: dict[str, dict]) -> None:
    print(f"\nrules on the {name} pages (lines flagged, erroneous, precision, share of erroneous lines; "
          "after the line decision: lines kept, precision)")
    print("| rule | lines | erroneous | precision | recall | kept | kept precision |\n|---|---:|---:|---:|---:|---:|---:|")
    for t, r in table.items():
        print(f"| {t} | {r['lines']} | {r['wrong']} | {r['precision']:.2f} | {r['recall']:.1%} | {r['kept']} | "
              f"{r['kept_precision']:.2f} |")


# ---------------------------------------------------------------- main

def resources() -> dict:
    """The data files the optional page rules read (paths into ../shared, never copied)."""
    return {"ambiguities": AMBIGS, "attested": SYLLABLE_SOURCES}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=None, help="folder keeping OCR readings between runs")
    parser.add_argument("--talks", type=int, default=8)
    parser.add_argument("--per-level", type=int, default=PER_LEVEL, help="generated pages per level in each set")
    parser.add_argument("--ehri", action=argparse.BooleanOptionalAction, default=True,
                        help="also report on real typescript from ../shared/data/typewritten-ehri")
    args = parser.parse_args()
    started = time.perf_counter()
    res = resources()
    print("calibration pages (pagegen seed 7):", flush=True)
    calib_pages = page_set("calibration", args.cache, args.per_level)
    print("evaluation pages (pagegen seed 1968, vietsample1.tif):", flush=True)
    eval_pages = page_set("evaluation", args.cache, args.per_level)
    print("real typescript (typewritten-ehri, dan/ces):", flush=True)
    ehri = page_set("ehri", args.cache) if args.ehri else []
    ocr_done = time.perf_counter()
    from qa.flags.decision import THRESHOLD

    rows = {}
    groups = {"held-out, generated (seed 1968) + vietsample1": eval_pages,
              "held-out, generated": [p for p in eval_pages if p["kind"] == "generated"],
              "held-out, real (vietsample1)": [p for p in eval_pages if p["kind"] == "real"],
              "held-out, Vietnamese": [p for p in eval_pages if p["lang"] == "vie"],
              "held-out, English": [p for p in eval_pages if p["lang"] == "eng"]}
    levels = sorted({p["level"] for p in eval_pages if p["kind"] == "generated"})
    groups |= {f"held-out, level {lv}": [p for p in eval_pages if p["level"] == lv] for lv in levels}
    if ehri:
        groups["held-out real typescript (EHRI dan/ces; language-neutral rules)"] = ehri
        groups["held-out, all (generated + vietsample1 + EHRI)"] = eval_pages + ehri
    groups["calibration (seed 7)"] = calib_pages
    for name, pages in groups.items():
        rows[name] = count(pages, [page_flags(p, res) for p in pages])
        if not name.startswith("held-out, level"):
            rows[name + " — all rules, no line decision"] = count(pages, [page_flags(p, res, decide=False)
                                                                           for p in pages])
    tables = {"calibration": rule_table(calib_pages, res), "held-out": rule_table(eval_pages, res)}
    if ehri:
        tables["EHRI"] = rule_table(ehri, res)
    # what each rule adds: the held-out figures without it (line decision kept)
    eval_flags = [page_flags(p, res) for p in eval_pages]
    without = {}
    for t in sorted(tables["held-out"]):
        c = count(eval_pages, [[f for f in fl if f.type != t] for fl in eval_flags])
        without[t] = {"lines_recall": c["lines_recall"], "lines_flagged_per_wrong": c["lines_flagged_per_wrong"]}
    from bench.flags_links import link_eval

    links = link_eval(args.talks)
    print("\n| pages | lines | erroneous lines | flagged lines | erroneous flagged | flagged ÷ erroneous "
          "| flagged lines erroneous | words | erroneous words | erroneous words flagged | flagged ÷ erroneous (words) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, c in rows.items():
        print(f"| {name} | {c['lines']} | {c['lines_wrong']} | {c['lines_flagged']} | {c['lines_recall']:.1%} | "
              f"{c['lines_flagged_per_wrong']:.2f} | {c['lines_precision']:.1%} | {c['words']} | {c['words_wrong']} | {c['words_recall']:.1%} | "
              f"{c['words_flagged_per_wrong']:.2f} |")
    print(f"\nline-level decision thresholds (qa.flags.decision, fitted by bench.flags_fit): {THRESHOLD}")
    for name, table in tables.items():
        print_rule_table(name, table)
    print("\nheld-out figures without each rule (erroneous lines flagged, flagged ÷ erroneous):")
    for t, v in without.items():
        print(f"  without {t}: {v['lines_recall']:.1%}, {v['lines_flagged_per_wrong']:.2f}")
    print(f"\nlinks ({args.talks} talks x perturbed + ocr, seed 2016): {links['links']} sentence links, "
          f"{links['wrong']} wrong, {links['flagged']} flagged; wrong flagged {links['recall']:.1%}, "
          f"flagged ÷ wrong {links['flagged_per_wrong']:.2f}, flagged links wrong {links['precision']:.1%}; flags on correct one-sided links (true "
          f"omissions/additions) {links['flagged_correct_one_sided']}")
    for t, v in links["flags_by_type"].items():
        print(f"  {t}: {v['flags']} flags, {v['on_wrong_links']} on wrong links")
    ev = rows["held-out, generated (seed 1968) + vietsample1"]
    targets = {
        "erroneous lines flagged >= 90%": ev["lines_recall"] >= 0.9,
        "flagged lines <= 1.4 x erroneous lines": ev["lines_flagged_per_wrong"] <= 1.4,
        "flagged lines erroneous >= 0.7": ev["lines_precision"] >= 0.7,
        "wrong links flagged >= 80%": links["recall"] >= 0.8,
        "flagged links <= 2 x wrong links": links["flagged_per_wrong"] <= 2.0,
    }
    total = time.perf_counter() - started
    print("\ntargets: " + ", ".join(f"{k}: {'pass' if v else 'FAIL'}" for k, v in targets.items()))
    print(f"{total:.0f} s in all ({ocr_done - started:.0f} s of OCR), {platform.machine()}, {os.cpu_count()} cores")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "flags.json").write_text(json.dumps({
        "pages": rows, "rules": tables, "without_rule": without, "links": links,
        "line_decision_thresholds": THRESHOLD,
        "targets": targets, "seconds": round(total, 1), "machine": f"{platform.platform()}, {os.cpu_count()} cores",
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
