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
from newsdesk.search import DEPTH, dense_candidates, fuse, lexical_candidates
from newsdesk.store import Store, open_store
from newsdesk.store.base import DocumentFilter
from newsdesk.text.embed import Embedder, get_embedder
from newsdesk.text.segment import search_tokens

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
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, float]]:
    """nDCG@10, Recall@10, Recall@100 and MRR@10 for each method, keyed by method."""
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
    judged = [q for q in beir.queries if q in beir.qrels][:max_queries]
    vectors = emb.embed([beir.queries[q] for q in judged])
    runs: dict[str, dict[str, list[str]]] = {m: {} for m in METHODS}
    everything = DocumentFilter()
    for i, (qid, qv) in enumerate(zip(judged, vectors, strict=True)):
        tokens = search_tokens(beir.queries[qid])
        lexical, coverage = lexical_candidates(store, tokens, everything, DEPTH)
        dense = dense_candidates(store, qv, emb.name, None, DEPTH)
        hybrid = fuse(lexical, dense, coverage)
        for method, ranked in zip(METHODS, (lexical, dense, hybrid), strict=True):
            runs[method][qid] = [b for d, _ in ranked for b in to_beir.get(d, [])]
        if progress:
            progress(i + 1, len(judged))
    store.close()
    return {m: score_run(runs[m], beir.qrels) for m in METHODS}
