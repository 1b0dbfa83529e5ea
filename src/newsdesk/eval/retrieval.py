"""Retrieval evaluation over a BEIR-layout folder: corpus.jsonl, queries.jsonl, qrels/*.tsv.

The corpus goes through the real ingest pipeline (cleaning, segmentation,
embedding) into a store, and every query is ranked three ways: lexical (BM25),
dense (vectors) and hybrid (the fusion ``newsdesk search`` uses).
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsdesk.errors import ConfigError
from newsdesk.eval.metrics import score_run
from newsdesk.ingest.pipeline import IngestOptions, ingest
from newsdesk.search import SearchOptions, rank
from newsdesk.store import Store, open_store
from newsdesk.text.embed import Embedder, get_embedder

METHODS = ("lexical", "dense", "hybrid")


@dataclass(frozen=True, slots=True)
class BeirSet:
    """A BEIR folder's files."""

    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path) -> BeirSet:
    """Read queries and relevance judgments; the corpus is ingested from its path."""
    corpus = folder / "corpus.jsonl"
    queries_path = folder / "queries.jsonl"
    qrels_files = sorted(folder.glob("*.tsv")) + sorted((folder / "qrels").glob("*.tsv"))
    if not corpus.exists() or not queries_path.exists() or not qrels_files:
        raise ConfigError(f"{folder}: expected corpus.jsonl, queries.jsonl and a qrels .tsv")
    queries = {}
    with queries_path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                q = json.loads(line)
                queries[str(q["_id"])] = str(q["text"])
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with qrels_files[0].open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels[row["query-id"]][row["corpus-id"]] = int(row["score"])
    return BeirSet(corpus, queries, dict(qrels))


def split_half(queries: list[str], half: str | None) -> list[str]:
    """The first or second half of ``queries`` (all of them when ``half`` is None)."""
    if half is None:
        return queries
    if half not in ("first", "second"):
        raise ConfigError(f"half must be first or second, not {half!r}")
    middle = len(queries) // 2
    return queries[:middle] if half == "first" else queries[middle:]


def build_store(beir: BeirSet, db: str | None, embedder: Embedder) -> Store:
    """Ingest the corpus into ``db`` (a temporary file when None); reuses a filled store."""
    target = db or str(Path(tempfile.mkdtemp(prefix="newsdesk-eval-")) / "eval.db")
    store = open_store(target)
    mapping = {"id": "_id", "title": "title", "text": "text"}
    ingest(
        [str(beir.corpus)], store, IngestOptions(mapping=mapping, embedder=embedder, source="eval")
    )
    return store


def evaluate(
    folder: Path,
    *,
    db: str | None = None,
    max_queries: int | None = None,
    half: str | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, float]]:
    """nDCG@10, Recall@10, Recall@100 and MRR@10 for each method, keyed by method.

    ``half`` is "first" (the tuning half of bench/tune_fusion.py) or "second"
    (held out from tuning): the judged queries in file order, split in two.
    """
    beir = load_beir(folder)
    emb = embedder or get_embedder()
    store = build_store(beir, db, emb)
    to_beir: dict[str, list[str]] = defaultdict(list)
    with beir.corpus.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                beir_id = str(json.loads(line)["_id"])
                doc_id = store.doc_id_for_origin(f"{beir.corpus.name}#{beir_id}")
                if doc_id:
                    to_beir[doc_id].append(beir_id)
    judged = split_half([q for q in beir.queries if q in beir.qrels], half)[:max_queries]
    vectors = emb.embed([beir.queries[q] for q in judged])
    runs: dict[str, dict[str, list[str]]] = {m: {} for m in METHODS}
    hybrid = SearchOptions(mode="hybrid")
    for i, (qid, qv) in enumerate(zip(judged, vectors, strict=True)):
        r = rank(store, beir.queries[qid], hybrid, embedder=emb, query_vector=qv)
        fused = list(zip(r.ids, r.scores, strict=True))
        for method, ranked in zip(METHODS, (r.lexical, r.dense, fused), strict=True):
            runs[method][qid] = [b for d, _ in ranked for b in to_beir.get(d, [])]
        if progress:
            progress(i + 1, len(judged))
    store.close()
    return {m: score_run(runs[m], beir.qrels) for m in METHODS}
