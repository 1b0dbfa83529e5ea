"""Pinned minimum retrieval scores on fixed subsets of the shared evaluation sets.

Full figures (every query) come from `newsdesk eval retrieval` and are in the
README; these subsets keep `make test` fast and fail on a regression.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from newsdesk.eval.retrieval import evaluate

from .conftest import shared_data


def subset(src: Path, dst: Path, n_queries: int, n_distractors: int) -> Path:
    """The first n judged queries, their relevant documents and n distractors."""
    dst.mkdir()
    qrels_file = next(iter(sorted(src.glob("*.tsv")) + sorted((src / "qrels").glob("*.tsv"))))
    with qrels_file.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    queries = list(dict.fromkeys(r["query-id"] for r in rows))[:n_queries]
    keep_q = set(queries)
    rows = [r for r in rows if r["query-id"] in keep_q]
    relevant = {r["corpus-id"] for r in rows}
    with (dst / "qrels.tsv").open("w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        f.writelines(f"{r['query-id']}\t{r['corpus-id']}\t{r['score']}\n" for r in rows)
    with (
        (src / "queries.jsonl").open(encoding="utf-8") as f,
        (dst / "queries.jsonl").open("w") as g,
    ):
        g.writelines(line for line in f if json.loads(line)["_id"] in keep_q)
    distractors = 0
    with (src / "corpus.jsonl").open(encoding="utf-8") as f, (dst / "corpus.jsonl").open("w") as g:
        for line in f:
            doc_id = json.loads(line)["_id"]
            if doc_id in relevant or distractors < n_distractors:
                distractors += doc_id not in relevant
                g.write(line)
    return dst


@pytest.mark.slow
def test_cmrc2018_subset_minimum_scores(tmp_path: Path) -> None:
    src = shared_data("eval/retrieval_cmrc2018")
    results = evaluate(subset(src, tmp_path / "cmrc", 300, 400))
    assert results["lexical"]["ndcg@10"] >= 0.96
    assert results["dense"]["ndcg@10"] >= 0.75
    assert results["hybrid"]["ndcg@10"] >= 0.97
    assert results["hybrid"]["ndcg@10"] >= results["lexical"]["ndcg@10"] - 0.002
    assert results["hybrid"]["recall@100"] >= 0.99


@pytest.mark.slow
def test_finna_subset_minimum_scores(tmp_path: Path) -> None:
    src = shared_data("eval/retrieval_finna_known_item")
    results = evaluate(subset(src, tmp_path / "finna", 300, 700))
    assert results["lexical"]["ndcg@10"] >= 0.93
    assert results["dense"]["ndcg@10"] >= 0.80
    assert results["hybrid"]["ndcg@10"] >= 0.93
    assert results["hybrid"]["ndcg@10"] >= results["lexical"]["ndcg@10"] - 0.002


# Measured on this subset (200 queries, every paragraph): dense 0.8387, hybrid 0.8986.
XQUAD_DENSE_MIN = 0.82
XQUAD_HYBRID_MIN = 0.88


@pytest.mark.slow
def test_xquad_en2zh_subset_minimum_scores(tmp_path: Path) -> None:
    # English questions over Chinese paragraphs: fusion must beat the vectors alone.
    src = shared_data("eval/retrieval_xquad_en2zh_dev")
    results = evaluate(subset(src, tmp_path / "xquad", 200, 100))
    assert results["dense"]["ndcg@10"] >= XQUAD_DENSE_MIN
    assert results["hybrid"]["ndcg@10"] >= XQUAD_HYBRID_MIN
    assert results["hybrid"]["ndcg@10"] >= results["dense"]["ndcg@10"] + 0.02
