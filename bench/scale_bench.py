"""Scaling out: ingest into PostgreSQL single-process against two Dask workers, and
hybrid query latency on PostgreSQL against SQLite at the same size, in one process.

    OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/scale_bench.py [--queries 200]

PostgreSQL 16 with pgvector comes from the pgserver wheel (started here, on a
Unix socket, in a temporary folder) unless --pg names a server. The SQLite
store for the query comparison is a `newsdesk migrate` copy of the PostgreSQL
one, so both answer over the same documents, words and vectors.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from newsdesk import IngestOptions, ingest, open_store
from newsdesk.search import SearchOptions, rank
from newsdesk.store.copy import copy_store
from newsdesk.text.embed import get_embedder
from newsdesk.text.segment import search_tokens

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
ENGLISH = ["rare earth export controls", "magnet prices", "electric vehicle sales", "flood relief"]


def database(admin: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    return (
        admin.replace("/postgres?", f"/{name}?")
        if "/postgres?" in admin
        else admin.rsplit("/", 1)[0] + f"/{name}"
    )


def latency(store: object, queries: list[str]) -> tuple[float, float]:
    samples = []
    for q in queries:
        t = time.perf_counter()
        rank(store, q, SearchOptions(limit=10))  # type: ignore[arg-type]
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pg", help="admin URL of a PostgreSQL server with pgvector")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    if args.pg:
        admin = args.pg
    else:
        import pgserver

        server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")  # type: ignore[attr-defined]
        admin = server.get_uri()
    files = sorted(str(p) for p in CORPORA.glob("*.jsonl"))
    get_embedder().embed(["warm up"])

    one = open_store(database(admin, "bench_single"))
    t = time.perf_counter()
    report = ingest(files, one)
    single_s = time.perf_counter() - t
    n = one.count_documents()
    print(
        f"PostgreSQL, one process: {len(report.items)} items, {n} documents stored and indexed "
        f"(words and vectors) and clustered in {single_s:.1f} s ({n / single_s:.1f} docs/s)"
    )

    from distributed import Client, LocalCluster

    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        client.run(lambda: get_embedder().embed(["warm up"]))  # model load is not ingest time
        two = open_store(database(admin, "bench_dask"))
        t = time.perf_counter()
        ingest(files, two, IngestOptions(dask=client))
        dask_s = time.perf_counter() - t
    print(
        f"PostgreSQL, {args.workers} Dask workers: {two.count_documents()} documents in "
        f"{dask_s:.1f} s ({two.count_documents() / dask_s:.1f} docs/s); "
        f"ratio single/dask {single_s / dask_s:.2f}"
    )

    lite = open_store(str(tmp / "copy.db"))
    t = time.perf_counter()
    copy_store(one, lite)
    print(
        f"newsdesk migrate PostgreSQL -> SQLite: {time.perf_counter() - t:.1f} s, counts verified"
    )

    rng = random.Random(7)
    docs = one.get_many(rng.sample(one.all_ids(), args.queries - len(ENGLISH) * 5))
    queries = [" ".join(search_tokens(d.title)[:3]) for d in docs] + ENGLISH * 5
    queries = [q for q in queries if q.strip()]
    latency(one, queries[:10])
    latency(lite, queries[:10])  # warm caches on both
    pg50, pg95 = latency(one, queries)
    sq50, sq95 = latency(lite, queries)
    print(
        f"hybrid ranking over {n} documents, {len(queries)} queries: PostgreSQL p50 {pg50:.1f} ms "
        f"p95 {pg95:.1f} ms; SQLite p50 {sq50:.1f} ms p95 {sq95:.1f} ms; "
        f"ratio PostgreSQL/SQLite p50 {pg50 / sq50:.2f}"
    )
    agree = sum(
        (r1 := rank(one, q, SearchOptions(limit=10)).ids[:1])
        == rank(lite, q, SearchOptions(limit=10)).ids[:1]
        and bool(r1)
        for q in queries
    )
    print(f"same top result on both stores: {agree} of {len(queries)} queries")


if __name__ == "__main__":
    main()
