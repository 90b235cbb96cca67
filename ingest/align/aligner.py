"""Align an original with its translation: passages first, then sentences inside them.

Each possible link ("bead": 0-1, 1-0, up to 3-3 units) is scored from a bilingual lexicon (both
directions), anchors (numbers, dates, enumerations, names), the length ratio and, when given,
machine translations of the source units. Dynamic programming over a band around the diagonal
picks the cheapest chain of beads. All pair features are computed once as (banded) matrices, so a
bead's features are block sums read off 2-D prefix sums.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from .anchors import anchors
from .lexicon import Lexicon, en_tokens, load_lexicon
from .sentences import Sentence, split_sentences
from .textprep import is_furniture, normalize_vi, without_insertions

METHOD = "lexicon+anchors+length dp"
VERSION = "1"
BEADS = ((1, 1), (1, 0), (0, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (2, 3), (3, 2), (3, 3))
K_INSERT = BEADS.index((0, 1))
# Length model (Gale & Church's c and s²): English characters per Vietnamese character is 0.96 on
# 2,110 IWSLT15 sentence pairs (vi/en 1.04), the variance of the normalised difference 2.7 there;
# s² is set wider because OCR noise and merged beads spread it (tuned with bench/align_bench.py).
LENGTH_RATIO = 0.97
LENGTH_VARIANCE = 9.0
# Merged beads pay for their size, or the coverage of bigger blocks would always win; tuned on
# five perturbed talks of IWSLT15 tst2010 (bench/align_bench.py reports on eight, other seeds).
BEAD_PENALTY = {(1, 1): 0.0, (1, 2): 0.25, (2, 1): 0.25, (2, 2): 0.625, (1, 3): 0.625, (3, 1): 0.625,
                (2, 3): 0.875, (3, 2): 0.875, (3, 3): 1.125}
SKIP_COST = 0.5  # per unit left unlinked: a translation omitted or added
FURNITURE_SKIP = 0.1  # page furniture is expected to be one-sided
# Confidence = share of links found right on the benchmark's perturbed and OCR-noise talks, by
# bead kind and similarity bin (bench/align_bench.py --calibrate prints this table). Raw similarity
# alone is not a probability: short sentences rightly linked by position score low, and merged
# beads score high yet are wrong more often.
SIM_BINS = (0.2, 0.35, 0.5, 0.65, 0.8)
CONFIDENCE = {
    "1-1": (0.76, 0.95, 0.98, 0.99, 0.99, 0.95),
    "n-m": (0.50, 0.91, 0.95, 0.96, 0.75, 0.20),
}


@dataclass(frozen=True)
class Link:
    source: tuple[int, ...]
    target: tuple[int, ...]
    score: float  # calibrated confidence 0..1 (0 for one-sided links)
    similarity: float = 0.0  # the raw bead similarity the score was read from

    def to_dict(self) -> dict:
        return {"source": list(self.source), "target": list(self.target), "score": round(self.score, 4)}


@dataclass
class DocumentAlignment:
    passages: list[Link]
    sentences: list[Link]  # ids index source_sentences / target_sentences
    source_sentences: list[tuple[int, Sentence]] = field(default_factory=list)  # (passage, sentence)
    target_sentences: list[tuple[int, Sentence]] = field(default_factory=list)
    method: str = METHOD
    version: str = VERSION


@dataclass
class _Side:
    lengths: np.ndarray
    content: np.ndarray  # content units per unit (denominator of coverage)
    anchor_counts: np.ndarray
    furniture: np.ndarray


def _prefix2(a: np.ndarray) -> np.ndarray:
    p = np.zeros((a.shape[0] + 1, a.shape[1] + 1), dtype=np.float64)
    p[1:, 1:] = a.cumsum(0).cumsum(1)
    return p


def _prefix1(a: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(a, dtype=np.float64)])


def _band(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns [lo, hi) each row may use: the diagonal widened by the larger of 12 units and 5%."""
    width = max(12, int(0.05 * max(n, m)))
    rows = np.arange(n + 1)
    centre = rows * (m / max(n, 1))
    lo = np.clip(np.floor(centre - width).astype(int), 0, m)
    hi = np.clip(np.ceil(centre + width).astype(int) + 1, 0, m + 1)
    # consecutive rows must overlap, or a very uneven pair (2 vs 30 units) has no path through
    hi[:-1] = np.minimum(np.maximum(hi[:-1], lo[1:] + 1), m + 1)
    return lo, hi


def align_texts(source_units: list[str], target_units: list[str], *, lexicon: Lexicon | None = None,
                mt: list[str] | None = None) -> list[Link]:
    """Align Vietnamese units (sentences or passages) with English ones, in order."""
    n, m = len(source_units), len(target_units)
    if n == 0 or m == 0:
        return [Link((i,), (), 0.0) for i in range(n)] + [Link((), (j,), 0.0) for j in range(m)]
    lex = lexicon or load_lexicon()
    src = [normalize_vi(s) for s in source_units]
    tgt = [without_insertions(t) for t in target_units]
    src_units = [lex.units(s) for s in src]
    tgt_tokens = [set(en_tokens(t)) for t in tgt]
    src_trans = [frozenset().union(*(st for _, st in u)) if u else frozenset() for u in src_units]
    src_keys = [{k for k, _ in u} for u in src_units]
    tgt_back = [lex.vi_keys_for(list(t)) for t in tgt_tokens]
    src_anchor = [anchors(s, "vi") for s in src]
    tgt_anchor = [anchors(t, "en") for t in tgt]
    mt_tokens = [set(en_tokens(t)) for t in mt] if mt is not None else None

    lo, hi = _band(n, m)
    cov_en = np.zeros((n, m), np.float32)  # English content tokens of j covered by i's translations
    cov_vi = np.zeros((n, m), np.float32)  # Vietnamese units of i that j's words translate back to
    anc = np.zeros((n, m), np.float32)
    mtm = np.zeros((n, m), np.float32) if mt_tokens is not None else None
    for i in range(n):
        # the DP reads pair features only for cells its beads can reach from this row's band
        j0, j1 = max(0, int(lo[i]) - 3), min(m, int(hi[min(i + 3, n)]))
        ti, ki, ai = src_trans[i], src_keys[i], src_anchor[i]
        row_en, row_vi, row_an = cov_en[i], cov_vi[i], anc[i]
        if ti:
            row_en[j0:j1] = [len(x & ti) for x in tgt_tokens[j0:j1]]
        if ki:
            row_vi[j0:j1] = [len(ki & x) for x in tgt_back[j0:j1]]
        if ai:
            row_an[j0:j1] = [len(ai & x) for x in tgt_anchor[j0:j1]]
        if mtm is not None and mt_tokens is not None:  # both or neither (mtm exists when mt_tokens does)
            mtm[i, j0:j1] = [len(mt_tokens[i] & x) for x in tgt_tokens[j0:j1]]
    s = _Side(np.array([len(x) for x in src], float), np.array([len(k) for k in src_keys], float),
              np.array([len(a) for a in src_anchor], float), np.array([is_furniture(x) for x in src]))
    t = _Side(np.array([len(x) for x in tgt], float), np.array([len(k) for k in tgt_tokens], float),
              np.array([len(a) for a in tgt_anchor], float), np.array([is_furniture(x) for x in tgt]))
    mt_len = np.array([len(x) for x in mt_tokens], float) if mt_tokens is not None else None
    return _dp(n, m, lo, hi, _prefix2(cov_en), _prefix2(cov_vi), _prefix2(anc),
               _prefix2(mtm) if mtm is not None else None, s, t, mt_len)


def _dp(n, m, lo, hi, P_en, P_vi, P_an, P_mt, s: _Side, t: _Side, mt_len) -> list[Link]:
    """Cheapest chain of beads from (0, 0) to (n, m) inside the band; every bead's cost for every
    band cell is computed at once with numpy, the recursion then runs row by row."""
    W = int((hi - lo).max())
    rows = np.arange(n + 1)[:, None]
    J = lo[:, None] + np.arange(W)[None, :]  # column of each band cell
    inside = J < hi[:, None]
    Jc = np.minimum(J, m)
    pre = dict(S_len=_prefix1(s.lengths), T_len=_prefix1(t.lengths), S_con=_prefix1(s.content),
               T_con=_prefix1(t.content), S_anc=_prefix1(s.anchor_counts), T_anc=_prefix1(t.anchor_counts),
               M_len=_prefix1(mt_len) if mt_len is not None else None)
    S_fur, T_fur = _prefix1(s.furniture.astype(float)), _prefix1(t.furniture.astype(float))
    costs, sims = [], []
    for a, b in BEADS:
        valid = inside & (rows >= a) & (Jc >= b)
        i0 = np.maximum(rows - a, 0)
        j0 = np.maximum(Jc - b, 0)
        if a == 0 or b == 0:
            fur = (T_fur[Jc] - T_fur[j0]) if a == 0 else (S_fur[rows] - S_fur[i0])
            cost = np.where(fur >= a + b, FURNITURE_SKIP, SKIP_COST) * (a + b)
            sim = np.zeros_like(cost)
        else:
            sim = _similarity(rows, i0, Jc, j0, P_en, P_vi, P_an, P_mt, pre)
            cost = (1.0 - sim) * (a + b) / 2.0 + BEAD_PENALTY[(a, b)]
        costs.append(np.where(valid, np.broadcast_to(cost, J.shape), np.inf))
        sims.append(np.broadcast_to(sim, J.shape))
    D = np.full((n + 1, m + 1), np.inf)
    back = np.full((n + 1, m + 1), -1, np.int8)
    D[0, 0] = 0.0
    for i in range(n + 1):
        l, w = lo[i], hi[i] - lo[i]
        best = D[i, l:l + w].copy()
        arg = back[i, l:l + w].copy()
        for k, (a, b) in enumerate(BEADS):
            if a > i or (a, b) == (0, 1):
                continue
            c = costs[k][i, :w]
            # predecessor cells D[i - a, j - b] for j in [l, l + w); columns below 0 are invalid
            start = l - b
            prev = np.full(w, np.inf)
            if start + w > 0:
                src0 = max(start, 0)
                prev[src0 - start:] = D[i - a, src0:start + w]
            total = prev + c
            better = total < best
            best[better] = total[better]
            arg[better] = k
        # runs of target-only units inside a row: a prefix-minimum scan, since each step's cost
        # depends only on its column (D[i, j] = min over k <= j of D[i, k] + cost of k+1..j)
        c = costs[K_INSERT][i, :w].copy()
        c[0] = 0.0
        c[~np.isfinite(c)] = 1e9
        cum = np.cumsum(c)
        chained = cum + np.minimum.accumulate(best - cum)
        better = chained < best - 1e-12
        best[better] = chained[better]
        arg[better] = K_INSERT
        D[i, l:l + w] = best
        back[i, l:l + w] = arg
    if not np.isfinite(D[n, m]):
        raise RuntimeError("alignment band too narrow")  # cannot happen: the band reaches (n, m)
    links: list[Link] = []
    i, j = n, m
    while i > 0 or j > 0:
        k = back[i, j]
        a, b = BEADS[k]
        link_sim = float(sims[k][i, j - lo[i]]) if a and b else 0.0
        links.append(Link(tuple(range(i - a, i)), tuple(range(j - b, j)), confidence(a, b, link_sim), link_sim))
        i, j = i - a, j - b
    links.reverse()
    return links


def confidence(a: int, b: int, sim: float) -> float:
    if not a or not b:
        return 0.0
    table = CONFIDENCE["1-1" if (a, b) == (1, 1) else "n-m"]
    return table[bisect.bisect_right(SIM_BINS, sim)]


def _similarity(i, i0, j, j0, P_en, P_vi, P_an, P_mt, pre) -> np.ndarray:
    """Similarity 0..1 of source blocks [i0, i) with target blocks [j0, j) (arrays broadcast)."""
    def block(P):
        return P[i, j] - P[i0, j] - P[i, j0] + P[i0, j0]

    t_con = pre["T_con"][j] - pre["T_con"][j0]
    s_con = pre["S_con"][i] - pre["S_con"][i0]
    cov_en = np.minimum(1.0, block(P_en) / np.maximum(t_con, 1.0))
    cov_vi = np.minimum(1.0, block(P_vi) / np.maximum(s_con, 1.0))
    lex = (cov_en + cov_vi) / 2.0
    ls = pre["S_len"][i] - pre["S_len"][i0]
    lt = pre["T_len"][j] - pre["T_len"][j0]
    delta = (lt - LENGTH_RATIO * ls) / np.sqrt(LENGTH_VARIANCE * (ls + lt) / 2.0 + 1.0)
    length = np.exp(-delta * delta / 2.0)
    sa = pre["S_anc"][i] - pre["S_anc"][i0]
    ta = pre["T_anc"][j] - pre["T_anc"][j0]
    has = (sa + ta) > 0
    anchor = np.where(has, 2.0 * block(P_an) / np.maximum(sa + ta, 1.0), 0.0)
    sim = np.where(has, 0.55 * lex + 0.2 * length + 0.25 * anchor, (0.55 * lex + 0.2 * length) / 0.75)
    if P_mt is not None:
        mt_len = pre["M_len"][i] - pre["M_len"][i0]
        mt_sim = 2.0 * block(P_mt) / np.maximum(mt_len + t_con, 1.0)
        sim = 0.6 * sim + 0.4 * np.minimum(1.0, mt_sim)
    return sim


def sentence_units(passages: list[str], lang: str) -> list[tuple[int, Sentence]]:
    return [(p, s) for p, text in enumerate(passages) for s in split_sentences(text, lang)]


def align_documents(source_passages: list[str], target_passages: list[str], *, lexicon: Lexicon | None = None,
                    mt_passages: list[str] | None = None) -> DocumentAlignment:
    """Passages first; then the sentences of each linked passage group among themselves."""
    lex = lexicon or load_lexicon()
    plinks = align_texts(source_passages, target_passages, lexicon=lex, mt=mt_passages)
    src_sent = sentence_units(source_passages, "vi")
    tgt_sent = sentence_units(target_passages, "en")
    by_src: dict[int, list[int]] = {}
    by_tgt: dict[int, list[int]] = {}
    for k, (p, _) in enumerate(src_sent):
        by_src.setdefault(p, []).append(k)
    for k, (p, _) in enumerate(tgt_sent):
        by_tgt.setdefault(p, []).append(k)
    slinks: list[Link] = []
    for pl in plinks:
        s_ids = [k for p in pl.source for k in by_src.get(p, [])]
        t_ids = [k for p in pl.target for k in by_tgt.get(p, [])]
        inner = align_texts([src_sent[k][1].text for k in s_ids], [tgt_sent[k][1].text for k in t_ids], lexicon=lex)
        for link in inner:
            slinks.append(Link(tuple(s_ids[x] for x in link.source), tuple(t_ids[y] for y in link.target),
                               link.score, link.similarity))
    return DocumentAlignment(plinks, slinks, src_sent, tgt_sent)
