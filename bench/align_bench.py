"""Alignment benchmark: perturbed TED talks (IWSLT15 en-vi) and UDHR paragraphs.

    python -m bench.align_bench [--talks 8]

Documents are built at run time from the shared data (nothing is stored): each talk's gold
sentence pairs are perturbed with sentence merges and splits, omissions on either side, page
furniture, OCR noise with lost diacritics, and unaccented upper-case telegram style. Scores are
strict and lax precision/recall/F1 in the manner of vecalign's scorer (beads with an empty side
are left out; strict needs the exact bead, lax any shared sentence pair). Baseline in the same
run: Gale-Church (NLTK). Writes bench/results/align.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import time
import unicodedata
from pathlib import Path

from lxml import etree

from ingest.align import align_texts
from ingest.align.lexicon import load_lexicon
from ingest.align.textprep import strip_marks

ROOT = Path(__file__).resolve().parents[1]
from bench.shared import SHARED  # noqa: E402
IWSLT = SHARED / "data" / "iwslt15-en-vi"
UDHR = SHARED / "data" / "udhr-vi-en"
LEXICON_FILES = tuple(str(p) for p in sorted((SHARED / "data" / "lexicon-vi-en").glob("*"))
                      if p.suffix in (".json", ".txt"))

Bead = tuple[tuple[int, ...], tuple[int, ...]]


def talks(split: str = "tst2010") -> list[list[tuple[str, str]]]:
    docs = {}
    for lang in ("vi", "en"):
        tree = etree.parse(str(IWSLT / f"IWSLT15.TED.{split}.en-vi.{lang}.xml"))
        for doc in tree.iter("doc"):
            docs.setdefault(doc.get("docid"), {})[lang] = [unicodedata.normalize("NFC", (s.text or "").strip())
                                                           for s in doc.iter("seg")]
    return [list(zip(d["vi"], d["en"])) for d in docs.values() if len(d.get("vi", [])) == len(d.get("en", []))]


def ocr_noise(text: str, rng: random.Random) -> str:
    """Lose diacritics on some words and confuse a few letters, as bad OCR does."""
    words = []
    for w in text.split():
        r = rng.random()
        if r < 0.3:
            w = strip_marks(w)
        elif r < 0.36 and len(w) > 3:
            k = rng.randrange(len(w))
            w = w[:k] + rng.choice("rnmcoeil") + w[k + 1:]
        words.append(w)
    return " ".join(words)


def telegram(text: str) -> str:
    return re.sub(r"[.,;:!?]", "", strip_marks(text).upper()) + " STOP"


def perturb(pairs: list[tuple[str, str]], rng: random.Random, mode: str) -> tuple[list[str], list[str], list[Bead]]:
    """Source and target units and the gold beads after perturbation."""
    src: list[str] = []
    tgt: list[str] = []
    gold: list[Bead] = []
    i = 0
    while i < len(pairs):
        vi, en = pairs[i]
        r = rng.random()
        if r < 0.06 and i + 1 < len(pairs):  # merge two source sentences
            vi2, en2 = pairs[i + 1]
            src.append(f"{vi} {vi2}")
            tgt += [en, en2]
            gold.append(((len(src) - 1,), (len(tgt) - 2, len(tgt) - 1)))
            i += 2
            continue
        if r < 0.12 and i + 1 < len(pairs):  # merge two target sentences
            vi2, en2 = pairs[i + 1]
            src += [vi, vi2]
            tgt.append(f"{en} {en2}")
            gold.append(((len(src) - 2, len(src) - 1), (len(tgt) - 1,)))
            i += 2
            continue
        if r < 0.15:  # omitted in translation
            src.append(vi)
            gold.append(((len(src) - 1,), ()))
        elif r < 0.17:  # added in translation
            tgt.append(en)
            gold.append(((), (len(tgt) - 1,)))
        else:
            src.append(vi)
            tgt.append(en)
            gold.append(((len(src) - 1,), (len(tgt) - 1,)))
        if rng.random() < 0.03:  # page furniture on one side
            src.append(rng.choice(["- 3 -", "TUYỆT MẬT", "Trang 4"]))
            gold.append(((len(src) - 1,), ()))
        i += 1
    if mode == "ocr":
        src = [ocr_noise(s, rng) for s in src]
    elif mode == "telegram":
        src = [telegram(s) for s in src]
    return src, tgt, gold


def scores(gold: list[Bead], test: list[Bead]) -> dict:
    g = {b for b in gold if b[0] and b[1]}
    t = {b for b in test if b[0] and b[1]}
    strict_p = len(g & t) / max(len(t), 1)
    strict_r = len(g & t) / max(len(g), 1)
    gpairs = {(i, j) for s, tt in g for i in s for j in tt}
    tpairs = {(i, j) for s, tt in t for i in s for j in tt}
    lax_p = sum(1 for s, tt in t if any((i, j) in gpairs for i in s for j in tt)) / max(len(t), 1)
    lax_r = sum(1 for s, tt in g if any((i, j) in tpairs for i in s for j in tt)) / max(len(g), 1)
    f = lambda p, r: 2 * p * r / (p + r) if p + r else 0.0  # noqa: E731
    return {"strict_p": strict_p, "strict_r": strict_r, "strict_f1": f(strict_p, strict_r),
            "lax_p": lax_p, "lax_r": lax_r, "lax_f1": f(lax_p, lax_r), "gold": len(g), "test": len(t)}


def pooled(results: list[tuple[list[Bead], list[Bead]]]) -> dict:
    """Micro-averaged over documents: beads renumbered so documents do not collide."""
    G, T = [], []
    for k, (gold, test) in enumerate(results):
        off = k * 100_000
        G += [(tuple(x + off for x in s), tuple(y + off for y in t)) for s, t in gold]
        T += [(tuple(x + off for x in s), tuple(y + off for y in t)) for s, t in test]
    return scores(G, T)


def gale_church(src: list[str], tgt: list[str]) -> list[Bead]:
    from nltk.translate.gale_church import align_blocks

    pairs = align_blocks([max(1, len(s)) for s in src], [max(1, len(t)) for t in tgt])
    # NLTK returns sentence pairs; group them back into beads
    beads: list[list[set, set]] = []
    for i, j in pairs:
        for b in beads:
            if i in b[0] or j in b[1]:
                b[0].add(i)
                b[1].add(j)
                break
        else:
            beads.append([{i}, {j}])
    out = [(tuple(sorted(a)), tuple(sorted(b))) for a, b in beads]
    covered_s = {i for s, _ in out for i in s}
    covered_t = {j for _, t in out for j in t}
    out += [((i,), ()) for i in range(len(src)) if i not in covered_s]
    out += [((), (j,)) for j in range(len(tgt)) if j not in covered_t]
    return out


def fit_table(calibration) -> dict:
    """Share correct per bead kind and similarity bin, with add-one smoothing."""
    import bisect

    from ingest.align import aligner

    counts: dict = {}
    for link, correct in calibration:
        kind = "1-1" if (len(link.source), len(link.target)) == (1, 1) else "n-m"
        cell = counts.setdefault((kind, bisect.bisect_right(aligner.SIM_BINS, link.similarity)), [0, 0])
        cell[0] += correct
        cell[1] += 1
    return {kind: tuple(round((counts.get((kind, b), [0, 0])[0] + 1) / (counts.get((kind, b), [0, 0])[1] + 2), 2)
                        for b in range(len(aligner.SIM_BINS) + 1)) for kind in ("1-1", "n-m")}


def reliability(pairs: list[tuple[float, int]]) -> list[dict]:
    bins = [(0.0, 0.5), (0.5, 0.8), (0.8, 0.9), (0.9, 0.97), (0.97, 1.01)]
    out = []
    for lo, hi in bins:
        sel = [c for s, c in pairs if lo <= s < hi]
        out.append({"score": f"{lo:.2f}-{min(hi, 1):.2f}", "links": len(sel),
                    "correct": round(sum(sel) / len(sel), 3) if sel else None})
    return out


def links_to_beads(links) -> list[Bead]:
    return [(tuple(l.source), tuple(l.target)) for l in links]


def udhr():
    vi = (UDHR / "udhr.para.vi.txt").read_text(encoding="utf-8").splitlines()
    en = (UDHR / "udhr.para.en.txt").read_text(encoding="utf-8").splitlines()
    gold = []
    for line in (UDHR / "udhr.para.gold").read_text().splitlines():
        a, b = line.split(":")
        gold.append((tuple(json.loads(a)), tuple(json.loads(b))))
    return vi, en, gold


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--talks", type=int, default=8)
    args = parser.parse_args()
    lex = load_lexicon(LEXICON_FILES)
    rng = random.Random(2015)
    docs = talks()[: args.talks]
    table = {}
    calibration: list[tuple[float, int]] = []
    for mode in ("clean", "perturbed", "ocr", "telegram"):
        ours, gc = [], []
        for pairs in docs:
            if mode == "clean":
                src, tgt = [p[0] for p in pairs], [p[1] for p in pairs]
                gold = [((i,), (i,)) for i in range(len(pairs))]
            else:
                src, tgt, gold = perturb(pairs, rng, mode)
            links = align_texts(src, tgt, lexicon=lex)
            ours.append((gold, links_to_beads(links)))
            if mode in ("perturbed", "ocr"):
                gold_set = set(gold)
                calibration += [(l, int((l.source, l.target) in gold_set)) for l in links
                                if l.source and l.target]
            gc.append((gold, gale_church(src, tgt)))
        table[mode] = {"ours": pooled(ours), "gale_church": pooled(gc)}
    vi, en, gold = udhr()
    table["udhr_paragraphs"] = {"ours": scores(gold, links_to_beads(align_texts(vi, en, lexicon=lex))),
                                "gale_church": scores(gold, gale_church(vi, en))}
    # speed: 1,000 x 1,000 sentences
    pool = [p for d in talks("dev2010") + docs for p in d][:1000]
    src, tgt = [p[0] for p in pool], [p[1] for p in pool]
    align_texts(src[:50], tgt[:50], lexicon=lex)  # warm caches
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        align_texts(src, tgt, lexicon=lex)
        runs.append(time.perf_counter() - t0)
    speed = sorted(runs)[1]  # median of three
    table_rel = reliability([(l.score, c) for l, c in calibration])
    print("confidence calibration on perturbed + OCR-noise talks (score bin -> share of links correct):")
    for row in table_rel:
        print(f"  {row['score']}: {row['links']} links, {row['correct']} correct")
    fitted = fit_table(calibration)
    print(f"  table fitted on this run (aligner.CONFIDENCE): {fitted}\n")
    print("| document set | aligner | strict P | strict R | strict F1 | lax F1 |")
    print("|---|---|---:|---:|---:|---:|")
    for name, res in table.items():
        for who, s in res.items():
            print(f"| {name} | {who} | {s['strict_p']:.3f} | {s['strict_r']:.3f} | {s['strict_f1']:.3f} | {s['lax_f1']:.3f} |")
    print(f"\n1,000 x 1,000 sentences aligned in {speed:.2f} s (median of 3) ({platform.machine()}, {os.cpu_count()} cores); "
          f"{len(docs)} talks, lexicon entries {len(lex)}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "align.json").write_text(json.dumps({"scores": table, "seconds_1000x1000": speed, "talks": len(docs),
                                                "calibration": {"bins": table_rel, "fitted": fitted}}, indent=2))


if __name__ == "__main__":
    main()
