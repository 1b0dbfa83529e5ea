"""How the hybrid fusion's dense weight was chosen, reproducibly.

    .venv/bin/python bench/tune_fusion.py ../shared/data/eval/retrieval_cmrc2018 \
        ../shared/data/eval/retrieval_finna_known_item

Each BEIR folder's corpus is ingested and every judged query ranked lexically
and densely once. On the first half of each set's queries, each weight's gain
in nDCG@10 over the better single ranker is measured; the rule takes the
smallest weight whose worst-set gain is within 0.001 of the best weight's (a
smaller dense weight trusts BM25 more where the two are equally good). The
second halves are held out: their figures, beside plain reciprocal-rank fusion
(RRF, k=60) computed on the same rankings, are printed last.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from newsdesk.eval.metrics import score_run
from newsdesk.eval.retrieval import build_store, load_beir
from newsdesk.search import DEPTH, dense_candidates, fuse, lexical_candidates
from newsdesk.store.base import DocumentFilter
from newsdesk.text.embed import get_embedder
from newsdesk.text.segment import search_tokens

WEIGHTS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
Pairs = list[tuple[str, float]]


def rrf(lexical: Pairs, dense: Pairs, k: int = 60) -> Pairs:
    """Plain reciprocal-rank fusion, the baseline."""
    score: dict[str, float] = defaultdict(float)
    for ranked in (lexical, dense):
        for i, (d, _) in enumerate(ranked):
            score[d] += 1 / (k + i + 1)
    return sorted(score.items(), key=lambda kv: -kv[1])


class Set:
    """One BEIR set's cached rankings."""

    def __init__(self, folder: Path) -> None:
        emb = get_embedder()
        beir = load_beir(folder)
        store = build_store(beir, None, emb)
        self.name = folder.name
        self.qrels = beir.qrels
        self.to_beir: dict[str, list[str]] = defaultdict(list)
        for line in beir.corpus.open(encoding="utf-8"):
            bid = str(json.loads(line)["_id"])
            did = store.doc_id_for_origin(f"{beir.corpus.name}#{bid}")
            if did:
                self.to_beir[did].append(bid)
        self.judged = [q for q in beir.queries if q in beir.qrels]
        vectors = emb.embed([beir.queries[q] for q in self.judged])
        self.cached: dict[str, tuple[Pairs, Pairs, float]] = {}
        for qid, qv in zip(self.judged, vectors, strict=True):
            tokens = search_tokens(beir.queries[qid])
            lexical, coverage = lexical_candidates(store, tokens, DocumentFilter(), DEPTH)
            dense = dense_candidates(store, qv, emb.name, None, DEPTH)
            self.cached[qid] = (lexical, dense, coverage)
        store.close()
        half = len(self.judged) // 2
        self.tune, self.held = self.judged[:half], self.judged[half:]

    def ndcg(self, queries: list[str], method: str, weight: float = 0.0) -> float:
        runs = {}
        for q in queries:
            lexical, dense, coverage = self.cached[q]
            ranked = {
                "lexical": lexical,
                "dense": dense,
                "rrf": rrf(lexical, dense),
                "ours": fuse(lexical, dense, coverage, dense_weight=weight),
            }[method]
            runs[q] = [b for d, _ in ranked for b in self.to_beir.get(d, [])]
        return score_run(runs, self.qrels)["ndcg@10"]

    def gain(self, queries: list[str], weight: float) -> float:
        best_single = max(self.ndcg(queries, "lexical"), self.ndcg(queries, "dense"))
        return self.ndcg(queries, "ours", weight) - best_single


def main() -> None:
    sets = [Set(Path(p)) for p in sys.argv[1:]]
    worst = {w: min(s.gain(s.tune, w) for s in sets) for w in WEIGHTS}
    print("worst-set gain over the better single ranker, tuning halves:")
    print("  " + ", ".join(f"{w}: {g:+.4f}" for w, g in worst.items()))
    best = max(worst.values())
    chosen = min(w for w in WEIGHTS if worst[w] >= best - 0.001)
    print(f"chosen dense weight: {chosen}")
    for s in sets:
        figures = {m: s.ndcg(s.held, m, chosen) for m in ("lexical", "dense", "rrf", "ours")}
        print(
            f"{s.name} held-out half ({len(s.held)} queries) nDCG@10: "
            + ", ".join(f"{m} {v:.4f}" for m, v in figures.items())
        )


if __name__ == "__main__":
    main()
