"""Fit the line-level decision of qa.flags.decision on the calibration pages only.

    python -m bench.flags_fit [--cache DIR]

Pages: the calibration set of bench.flags_bench (pagegen seed 7, 20 pages, Vietnamese and English
in turn); never the evaluation pages (seed 1968, vietsample1) nor the EHRI typescript. Lines: those
on which at least one rule raised a flag (the decision only removes flags). Two models: 'lexicon'
(every feature; Vietnamese and English pages) and 'neutral' (the language-neutral features only;
pages of other languages). Each is an L2-regularised logistic regression (numpy, Newton steps on
standardised features). The threshold is chosen on out-of-fold scores (5 folds by page, so no line
is scored by a model that saw its page): the highest one keeping AIM_RECALL of the erroneous lines
flagged. Prints the coefficients as Python for qa/flags/decision.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench.flags_bench import page_set, resources, truth_marks
from qa.flags import rules
from qa.flags.decision import LEXICON_FEATURES, NEUTRAL_FEATURES, page_features
from qa.flags.page import page_context, rule_flags

# Above the 90%, for the sampling error of a set of 159 erroneous lines; the scores it is
# read on are out-of-fold, so the aim need not cover the in-sample optimism as well.
AIM_RECALL = 0.92
L2 = 1.0
FOLDS = 5


def line_table(pages: list[dict], res: dict, lexicon: bool) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray]:
    """(features, erroneous?, page index, has a rule flag?) of every line of the pages."""
    feats, ys, groups, flagged = [], [], [], []
    for k, p in enumerate(pages):
        lines = [(t, tuple(b), [(w[0], tuple(w[1]), *w[2:]) for w in ws]) for t, b, ws in p["lines"]]
        ctx = page_context(1, lines, p["lang"], **res)
        flags = rule_flags(ctx)
        if not lexicon:  # the language-neutral model sees only what the neutral rules raise
            flags = [f for f in flags if rules_by_name()[f.type].languages is None]
        feats += page_features(ctx, flags, lexicon)
        ys += truth_marks(p)[0]
        groups += [k] * len(lines)
        flagged += [any(f.line_number == ln for f in flags) for ln in range(len(lines))]
    return feats, np.array(ys, float), np.array(groups), np.array(flagged)


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton steps on standardised columns; coefficients in raw units."""
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + penalty @ w
        hess = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coef = w[1:] / sd
    return coef, float(w[0] - (mu / sd) @ w[1:])


def score(x: np.ndarray, coef: np.ndarray, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ coef + b)))


def rules_by_name() -> dict:
    return {r.name: r for r in rules()}


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    pages = np.unique(groups)
    oof = np.zeros(len(y))
    for f in range(FOLDS):
        held = np.isin(groups, pages[f::FOLDS])
        coef, b = fit(x[~held], y[~held])
        oof[held] = score(x[held], coef, b)
    return oof


def threshold(scores: np.ndarray, y: np.ndarray, flagged: np.ndarray, aim: float = AIM_RECALL) -> float:
    """The highest threshold keeping `aim` of all erroneous lines flagged (a line without a rule
    flag is never flagged: the decision only removes flags)."""
    best = 0.0
    for t in np.unique(scores[flagged]):
        if ((scores >= t) & flagged & (y == 1)).sum() >= aim * y.sum():
            best = max(best, float(t))
    return best


def report(name: str, s: np.ndarray, y: np.ndarray, flagged: np.ndarray, t: float) -> None:
    kept = (s >= t) & flagged
    hit, wrong = int((kept & (y == 1)).sum()), int(y.sum())
    print(f"  {name}: threshold {t:.3f}: {kept.sum()} lines flagged, {hit} of {wrong} erroneous "
          f"({hit / wrong:.1%}), precision {hit / max(1, kept.sum()):.2f}, "
          f"flagged ÷ erroneous {kept.sum() / wrong:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    pages = page_set("calibration", args.cache)
    out = {}
    for model, names in (("lexicon", LEXICON_FEATURES), ("neutral", NEUTRAL_FEATURES)):
        feats, y, groups, flagged = line_table(pages, resources(), model == "lexicon")
        print(f"{model}: {len(pages)} calibration pages, {len(y)} lines, {int(y.sum())} erroneous, "
              f"{int(flagged.sum())} with a rule flag")
        x = np.array([[f[n] for n in names] for f in feats])
        oof = out_of_fold(x, y, groups)
        t = threshold(oof, y, flagged)
        coef, b = fit(x, y)
        report(f"{model} out-of-fold", oof, y, flagged, t)
        report(f"{model} refit (in-sample)", score(x, coef, b), y, flagged, t)
        out[model] = (dict(zip(names, (round(float(c), 4) for c in coef), strict=True)), round(b, 4), round(t, 4))
    print("\nCOEFFICIENTS =", {m: v[0] for m, v in out.items()})
    print("INTERCEPT =", {m: v[1] for m, v in out.items()})
    print("THRESHOLD =", {m: v[2] for m, v in out.items()})


if __name__ == "__main__":
    main()
