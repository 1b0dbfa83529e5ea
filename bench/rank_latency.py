"""Hybrid ranking latency alone, for comparing two checkouts on one store back to back.

    PYTHONPATH=src .venv/bin/python bench/rank_latency.py STORE.db

The queries are bench/search_bench.py's: 150 stored titles' first three words
(seed 7) and its 10 English phrases five times; 20 warm-up queries first (they
also cache the English translations). Prints p50/p95 of two passes; run the
other checkout right after on the same store and compare within the run.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

from newsdesk import open_store
from newsdesk.search import SearchOptions, rank
from newsdesk.text.embed import get_embedder
from newsdesk.text.segment import search_tokens

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find bench/
from bench.queries import ENGLISH


def main() -> None:
    store = open_store(sys.argv[1])
    rng = random.Random(7)
    docs = store.get_many(rng.sample(store.all_ids(), 150))
    queries = [" ".join(search_tokens(d.title)[:3]) for d in docs] + ENGLISH * 5
    queries = [q for q in queries if q.strip()]
    get_embedder().embed(["warm up"])
    for q in queries[:20] + ENGLISH:
        rank(store, q, SearchOptions())
    for _ in range(2):
        samples = []
        for q in queries:
            t = time.perf_counter()
            rank(store, q, SearchOptions())
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        p95 = samples[int(0.95 * (len(samples) - 1))]
        print(f"hybrid ranking p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
