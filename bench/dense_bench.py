"""Where an approximate vector index starts to pay: exact numpy vs faiss HNSW.

    .venv/bin/python bench/dense_bench.py

Random unit vectors of USE's 512 dimensions at growing corpus sizes: build
time, query p50 for top-100, and faiss's recall@10 against the exact answer.
The crossover sets FAISS_MIN_VECTORS in newsdesk/search/dense.py.
"""

from __future__ import annotations

import statistics
import time

import faiss
import numpy as np

DIM = 512
SIZES = (20_000, 50_000, 100_000)  # the 100,000 build takes minutes


def main() -> None:
    rng = np.random.default_rng(0)
    queries = rng.standard_normal((50, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    for n in SIZES:
        m = rng.standard_normal((n, DIM)).astype(np.float32)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
        exact_t, exact_top = [], []
        for q in queries:
            t = time.perf_counter()
            s = m @ q
            top = np.argpartition(-s, 99)[:100]
            top = top[np.argsort(-s[top])]
            exact_t.append(time.perf_counter() - t)
            exact_top.append(top)
        t = time.perf_counter()
        index = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 64
        index.add(m)
        build = time.perf_counter() - t
        index.hnsw.efSearch = 128
        faiss_t, recall = [], []
        for q, top in zip(queries, exact_top, strict=True):
            t = time.perf_counter()
            _, found = index.search(q[None, :], 100)
            faiss_t.append(time.perf_counter() - t)
            recall.append(len(set(found[0][:10]) & set(top[:10])) / 10)
        print(
            f"{n:>7} vectors: numpy exact p50 {statistics.median(exact_t) * 1000:6.2f} ms; "
            f"faiss HNSW p50 {statistics.median(faiss_t) * 1000:6.2f} ms, build {build:6.1f} s, "
            f"recall@10 {statistics.mean(recall):.3f}; ratio numpy/faiss "
            f"{statistics.median(exact_t) / statistics.median(faiss_t):.1f}"
        )


if __name__ == "__main__":
    main()
