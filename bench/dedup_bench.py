"""Clustering throughput and peak memory over all of ../shared/data/corpora.

    .venv/bin/python bench/dedup_bench.py [--db PATH]

Documents are ingested first without clustering (and without vectors); then
every document is clustered from scratch in batches of 500, timed; then once
more under tracemalloc for the Python heap's peak (tracemalloc slows Python,
so that pass is not timed), with the process's peak RSS. The
baseline in the same process is datasketch's own in-memory MinHashLSH
(threshold 0.6, 128 permutations) indexing the same signatures: the part of
our work that a bare LSH does, without verification, facts check or storage.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from newsdesk import IngestOptions, ingest, open_store
from newsdesk.dedup import NUM_PERM, SCHEME, assign, signature

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp()) / "dedup.db")
    store = open_store(db)
    if store.count_documents() == 0:
        report = ingest([str(CORPORA)], store, IngestOptions(embed=False, dedup=False))
        print(f"ingested {len(report.items)} items in {report.seconds:.1f} s (no clustering)")
    store.reset_clusters()
    ids = store.unclustered_ids()
    started = time.perf_counter()
    for i in range(0, len(ids), 500):
        assign(store, store.get_many(ids[i : i + 500]))
    seconds = time.perf_counter() - started
    stats = store.stats()
    store.reset_clusters()
    tracemalloc.start()
    for i in range(0, len(ids), 500):
        assign(store, store.get_many(ids[i : i + 500]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"clustered {len(ids)} documents in {seconds:.1f} s: {len(ids) / seconds:,.0f} documents/s"
    )
    print(f"{stats['documents']} documents form {stats['stories']} stories")
    print(
        f"peak Python heap while clustering: {peak / 2**20:.1f} MiB; process peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )

    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.6, num_perm=NUM_PERM)
    for i in range(0, len(ids), 500):
        for doc in store.get_many(ids[i : i + 500]):
            sig = signature(doc)
            mh = MinHash(num_perm=NUM_PERM, seed=7, scheme=SCHEME)
            mh.update_batch([s.encode() for s in sig.shingles])
            lsh.query(mh)
            lsh.insert(doc.id, mh)
    base = time.perf_counter() - started
    print(
        f"baseline datasketch MinHashLSH (signatures + query + insert, in memory): "
        f"{len(ids) / base:,.0f} documents/s; ratio newsdesk/baseline {base / seconds:.2f}"
    )
    store.close()


if __name__ == "__main__":
    main()
