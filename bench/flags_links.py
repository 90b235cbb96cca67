"""Link rules of the flags benchmark: do the link flags point at wrong sentence links?

Perturbed IWSLT15 talks as in bench.align_bench (merges, splits, omissions, furniture, OCR noise),
each perturbed unit given to ingest.align.align_documents as a passage; a predicted sentence link is
right when all its sentences lie in one gold bead and it is one-sided only where that bead is.
"""

from __future__ import annotations

import random


def link_eval(talks: int) -> dict:
    from bench.align_bench import LEXICON_FILES, perturb
    from bench.align_bench import talks as load_talks
    from ingest.align import align_documents
    from ingest.align.lexicon import load_lexicon
    from ingest.align.textprep import is_furniture
    from qa.flags import flag_links

    lex = load_lexicon(LEXICON_FILES)
    rng = random.Random(2016)  # not align_bench's 2015: other perturbations of the same talks
    c = dict.fromkeys(("links", "wrong", "flagged", "wrong_flagged", "flagged_correct_one_sided",
                       "gold_one_sided_not_furniture", "gold_one_sided_flagged"), 0)
    by_type: dict[str, list[int]] = {}
    for mode in ("perturbed", "ocr"):
        for pairs in load_talks()[:talks]:
            src, tgt, gold = perturb(pairs, rng, mode)
            doc = align_documents(src, tgt, lexicon=lex)
            s_unit = [p for p, _ in doc.source_sentences]
            t_unit = [p for p, _ in doc.target_sentences]
            bead_of_s = {u: b for b, (ss, _) in enumerate(gold) for u in ss}
            bead_of_t = {u: b for b, (_, tt) in enumerate(gold) for u in tt}
            links = [(list(l.source), list(l.target), l.score) for l in doc.sentences]
            flags = flag_links(links, [s.text for _, s in doc.source_sentences],
                               [s.text for _, s in doc.target_sentences])
            flagged = {f.link for f in flags}
            for k, (s_ids, t_ids, _) in enumerate(links):
                su = tuple(sorted({s_unit[i] for i in s_ids}))
                tu = tuple(sorted({t_unit[j] for j in t_ids}))
                beads = {bead_of_s[u] for u in su} | {bead_of_t[u] for u in tu}
                # right: inside one gold bead, and one-sided only where the gold bead is
                wrong = len(beads) != 1 or ((not s_ids or not t_ids) and all(gold[b][0] and gold[b][1] for b in beads))
                c["links"] += 1
                c["wrong"] += wrong
                c["flagged"] += k in flagged
                c["wrong_flagged"] += wrong and k in flagged
                if not wrong and k in flagged and (not s_ids or not t_ids):
                    c["flagged_correct_one_sided"] += 1
                if not wrong and (not s_ids or not t_ids):
                    text = " ".join(src[u] for u in su) or " ".join(tgt[u] for u in tu)
                    if not is_furniture(text):
                        c["gold_one_sided_not_furniture"] += 1
                        c["gold_one_sided_flagged"] += k in flagged
                for f in flags:
                    if f.link == k:
                        by_type.setdefault(f.type, [0, 0])
                        by_type[f.type][0] += 1
                        by_type[f.type][1] += wrong
    c["recall"] = round(c["wrong_flagged"] / max(1, c["wrong"]), 4)
    c["flagged_per_wrong"] = round(c["flagged"] / max(1, c["wrong"]), 4)
    c["precision"] = round(c["wrong_flagged"] / max(1, c["flagged"]), 4)
    c["flags_by_type"] = {t: {"flags": n, "on_wrong_links": w} for t, (n, w) in sorted(by_type.items())}
    return c


