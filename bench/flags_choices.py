"""What the flags lose without Tesseract's per-character choices (hOCR `lstm_choice_mode=2`).

    python -m bench.flags_choices --cache DIR

Side measurement for the speed issue (dropping the choices saves ~11% of Tesseract CPU per page):
the cached readings of bench.flags_bench with every word's second choice removed (as the pipeline
would read them without choices), so the close_alternative rule never fires and the alt_conf and
alt_lowest features are 0. The decision is refitted the same way as bench.flags_fit (calibration
pages only, same L2, folds and 92% aim, without the two choice features), then the held-out sets
are counted once with that refit. Nothing is stored: qa/flags/decision.py keeps the model with
choices.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench import flags_fit
from bench.flags_bench import count, page_flags, page_set, resources
from qa.flags import decision

CHOICE_FEATURES = ("alt_conf", "alt_lowest")


def without_choices(pages: list[dict]) -> list[dict]:
    """The pages with each word as (text, box, confidence) only."""
    return [{**p, "lines": [(t, b, [w[:3] for w in ws]) for t, b, ws in p["lines"]]} for p in pages]


def refit(pages: list[dict], res: dict) -> None:
    """Fit both models without the choice features on the (choice-free) calibration pages and put
    them in qa.flags.decision for this process."""
    for model, names in (("lexicon", decision.LEXICON_FEATURES), ("neutral", decision.NEUTRAL_FEATURES)):
        names = tuple(n for n in names if n not in CHOICE_FEATURES)
        feats, y, groups, flagged = flags_fit.line_table(pages, res, model == "lexicon")
        x = np.array([[f[n] for n in names] for f in feats])
        oof = flags_fit.out_of_fold(x, y, groups)
        t = flags_fit.threshold(oof, y, flagged)
        flags_fit.report(f"{model} without choices, out-of-fold", oof, y, flagged, t)
        coef, b = flags_fit.fit(x, y)
        decision.COEFFICIENTS[model] = dict(zip(names, (float(c) for c in coef), strict=True))
        decision.INTERCEPT[model], decision.THRESHOLD[model] = b, t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, required=True)
    args = parser.parse_args()
    res = resources()
    refit(without_choices(page_set("calibration", args.cache)), res)
    held = without_choices(page_set("evaluation", args.cache))
    groups = {"held-out, generated (seed 1968) + vietsample1": held,
              "held-out real typescript (EHRI dan/ces; neutral model)": without_choices(page_set("ehri", args.cache))}
    for lv in sorted({p["level"] for p in held}):
        groups[f"held-out, level {lv}"] = [p for p in held if p["level"] == lv]
    print("| pages | lines | erroneous | flagged | erroneous flagged | flagged ÷ erroneous | precision |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, pages in groups.items():
        c = count(pages, [page_flags(p, res) for p in pages])
        print(f"| {name} | {c['lines']} | {c['lines_wrong']} | {c['lines_flagged']} | {c['lines_recall']:.1%} | "
              f"{c['lines_flagged_per_wrong']:.2f} | {c['lines_precision']:.1%} |")


if __name__ == "__main__":
    main()
