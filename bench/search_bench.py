"""Search speed over the shared corpora (~19,800 documents): index build rate and
query latency, with bm25s and tantivy as baselines on the same tokens, in one process.

    .venv/bin/python bench/search_bench.py [--db PATH] [--queries 200]

--db keeps the filled store so a second run skips ingest and embedding. The
queries are 150 Chinese titles' key words and 50 English phrases, fixed by seed.
Baselines index exactly our jieba tokens (title + body), so the ratios compare
engines, not tokenizers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import bm25s
import numpy as np
import tantivy

from newsdesk import IngestOptions, ingest, open_store
from newsdesk.index import index_entries, index_store
from newsdesk.search import SearchOptions, rank, search
from newsdesk.store import DocumentFilter
from newsdesk.text.embed import get_embedder
from newsdesk.text.segment import search_tokens
from newsdesk.text.translate import cedict_entries, names_table, reverse_dictionary, translate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find bench/
from bench.queries import ENGLISH

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
T = TypeVar("T")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def timed(fn: Callable[[T], object], queries: Sequence[T]) -> tuple[float, float]:
    samples = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        samples.append(time.perf_counter() - t)
    return percentiles(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp()) / "bench.db")
    store = open_store(db)
    if store.count_documents() == 0:
        t = time.perf_counter()
        report = ingest([str(CORPORA)], store, IngestOptions(embed=False))
        print(f"ingest without vectors: {len(report.items)} items in {report.seconds:.1f} s")
        emb = get_embedder()
        t = time.perf_counter()
        n = index_store(store, embedder=emb)
        print(f"embedding {n} documents: {n / (time.perf_counter() - t):.1f} docs/s")
    ids = store.all_ids()
    docs = store.get_many(ids)
    n = len(docs)
    print(f"documents: {n}")

    # Index build rate on the same documents: our segmentation + FTS5, then the baselines.
    t = time.perf_counter()
    entries = index_entries(docs)
    seg_s = time.perf_counter() - t
    t = time.perf_counter()
    store.save_index(entries)
    fts_s = time.perf_counter() - t
    tokens = [(e.title_tokens + " " + e.body_tokens).split() for e in entries]
    t = time.perf_counter()
    bm = bm25s.BM25()
    bm.index(tokens, show_progress=False)
    bm25s_s = time.perf_counter() - t
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    builder.add_integer_field("row", stored=True)
    schema = builder.build()
    tindex = tantivy.Index(schema)
    t = time.perf_counter()
    writer = tindex.writer(heap_size=200_000_000, num_threads=1)
    for i, toks in enumerate(tokens):
        writer.add_document(tantivy.Document(body=" ".join(toks), row=i))
    writer.commit()
    tindex.reload()
    tantivy_s = time.perf_counter() - t
    print(f"segmentation (jieba, shared by all engines): {n / seg_s:,.0f} docs/s")
    print(
        f"index build, tokens given: FTS5 {n / fts_s:,.0f} docs/s, bm25s {n / bm25s_s:,.0f}, "
        f"tantivy {n / tantivy_s:,.0f}; ratio FTS5/bm25s {bm25s_s / fts_s:.2f}, "
        f"FTS5/tantivy {tantivy_s / fts_s:.2f}"
    )

    rng = random.Random(7)
    sample = rng.sample(docs, min(args.queries - len(ENGLISH) * 5, n))
    queries = [" ".join(search_tokens(d.title)[:3]) for d in sample] + ENGLISH * 5
    queries = [q for q in queries if q.strip()]
    token_lists = [search_tokens(q) for q in queries]
    vocab = set(bm.vocab_dict) if hasattr(bm, "vocab_dict") else None
    everything = DocumentFilter()
    searcher = tindex.searcher()

    def q_bm25s(toks: list[str]) -> None:
        known = [t for t in toks if vocab is None or t in vocab]
        if known:
            bm.retrieve([known], k=100, show_progress=False, n_threads=1)

    def q_tantivy(toks: list[str]) -> None:
        if toks:
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in toks]
            )
            searcher.search(query, 100)

    lex = timed(lambda toks: store.lexical_search(toks, everything, 100), token_lists)
    b25 = timed(q_bm25s, token_lists)
    tan = timed(q_tantivy, token_lists)
    emb = get_embedder()
    emb.embed(["warm up"])
    # An English query's translation: the dictionary cold (the first in a process
    # loads CC-CEDICT) and warm; a first uncached topic (the model, where installed);
    # then every English query cached in the store, as in every later run.
    for cache in (cedict_entries, reverse_dictionary, names_table):
        cache.cache_clear()
    t = time.perf_counter()
    translate(ENGLISH[0])
    cold = time.perf_counter() - t
    warm = timed(translate, ENGLISH)
    t = time.perf_counter()
    rank(store, "offshore wind turbine orders", SearchOptions())
    first_query = time.perf_counter() - t
    # A topic naming a company: CC-CEDICT's names hint the model (格力 for Gree).
    t = time.perf_counter()
    rank(store, "Sony camera sales", SearchOptions())
    named = time.perf_counter() - t
    print(
        f"English query translation: first in a process {cold * 1000:.0f} ms (loads the"
        f" dictionary), then {warm[0]:.2f} ms uncached; a first uncached English topic's"
        f" hybrid ranking {first_query * 1000:.1f} ms (the local model translates it when"
        f" installed, loading on first use); a second, naming a company, {named * 1000:.1f} ms"
    )
    for q in ENGLISH:
        rank(store, q, SearchOptions())  # translations now cached in the store
    hyb = timed(lambda q: rank(store, q, SearchOptions()), queries)
    full = timed(lambda q: search(store, q, SearchOptions(limit=10)), queries)
    dense_only = timed(lambda q: rank(store, q, SearchOptions(mode="dense")), queries)
    print(
        f"queries: {len(queries)} ({len(queries) - len(ENGLISH) * 5} Chinese, {len(ENGLISH) * 5} English)"
    )
    print(
        f"lexical top-100 p50/p95 ms: FTS5 {lex[0]:.2f}/{lex[1]:.2f}, bm25s {b25[0]:.2f}/{b25[1]:.2f}, "
        f"tantivy {tan[0]:.2f}/{tan[1]:.2f}; p50 ratio FTS5/bm25s {lex[0] / b25[0]:.2f}, "
        f"FTS5/tantivy {lex[0] / tan[0]:.2f}"
    )
    print(
        f"dense ranking (query embedding + exact numpy) p50/p95 ms: {dense_only[0]:.1f}/{dense_only[1]:.1f}"
    )
    print(f"hybrid ranking p50/p95 ms: {hyb[0]:.1f}/{hyb[1]:.1f}")
    print(
        f"hybrid search with hits, paragraphs and snippets p50/p95 ms: {full[0]:.1f}/{full[1]:.1f}"
    )
    _, matrix = store.vectors(emb.name)
    qv = np.asarray(emb.embed(["稀土"])[0])
    t = time.perf_counter()
    for _ in range(50):
        matrix @ qv
    print(
        f"exact dense scan of {matrix.shape[0]} vectors: {(time.perf_counter() - t) / 50 * 1000:.2f} ms"
    )
    store.close()


if __name__ == "__main__":
    main()
