"""Pinned minimum judge, brief and ROUGE scores on small fixed subsets.

Full figures (200 + 200 judge pairs, 20 articles, 200 ROUGE items) come from
`newsdesk eval citations` and are in the README; these subsets keep
`make test` within its time and fail on a regression.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.eval.citations import evaluate_briefs, evaluate_judge, evaluate_rouge, rouge
from newsdesk.eval.crosslingual import Pair
from newsdesk.summarize.backends import LocalLLM
from newsdesk.summarize.verify import LLMJudge

from .conftest import shared_data


@pytest.fixture(scope="module")
def local(bundled_model: Path) -> LocalLLM:
    return LocalLLM(model=str(bundled_model))


def test_character_rouge() -> None:
    assert rouge("稀土价格上涨", "稀土价格上涨") == pytest.approx(
        {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    )
    r = rouge("稀土价格", "稀土出口")  # 2 of 4 characters, 1 of 3 bigrams, LCS 2
    assert r["rouge1"] == pytest.approx(0.5)
    assert r["rouge2"] == pytest.approx(1 / 3)
    assert r["rougeL"] == pytest.approx(0.5)


def test_rouge_of_extractive_one_line_summaries() -> None:
    """The lead-sentence baseline on the first 20 finna items (measured 0.431 / 0.298 / 0.384)."""
    r = evaluate_rouge(shared_data("eval/summaries_finna.jsonl"), 20, None, "extractive")
    assert r["rouge_items"] == 20
    assert r["rouge1_f1"] >= 0.40
    assert r["rouge2_f1"] >= 0.27
    assert r["rougeL_f1"] >= 0.35


@pytest.mark.slow
def test_judge_on_the_first_bbc_pairs(local: LocalLLM) -> None:
    r = evaluate_judge(LLMJudge(local), shared_data("eval/summaries_bbc_cited.jsonl"), 15)
    assert r["judge_pairs"] == 30
    assert r["judge_balanced_accuracy"] >= 0.9


@pytest.mark.slow
def test_briefs_of_the_first_rare_earth_articles(local: LocalLLM, tmp_path: Path) -> None:
    corpus = shared_data("corpora/zh_business_2011.jsonl")
    r = evaluate_briefs(corpus, 2, local, "local", tmp_path)
    assert r["articles"] == 2
    assert r["valid_citation_rate"] == 1.0
    assert r["cjk_leak_rate"] == 0.0
    assert r["structure_rate"] == 1.0
    assert r["fallback_rate"] == 0.0
    # Measured 0.70 since the name, qualifier and one-sided-negation checks (issue 15),
    # which reject more claims; 0.83 before them.
    assert r["supported_rate"] >= 0.6


def _tune_pairs(per_kind: int) -> list[Pair]:
    from newsdesk.eval import crosslingual, wmt

    return crosslingual.build(
        wmt.load(shared_data("eval/wmt21_zh_en_news_docs.jsonl"), "tune"), per_kind
    )


def test_exact_checks_on_the_wmt21_tuning_pairs() -> None:
    """No model: what the exact checks alone reject (measured 0.95 / 1.0 / 1.0, 7.5% of
    supported pairs rejected: "unexpected" read as a negation, Kamov for 卡 twice)."""
    from newsdesk.eval import crosslingual

    figures = crosslingual.figures(crosslingual.score(_tune_pairs(40), lambda s, c, f: 1.0), 0.5)
    assert figures["recall_number"] >= 0.95
    assert figures["recall_date"] == 1.0
    assert figures["recall_name"] == 1.0
    assert figures["exact_check_false_rejections"] <= 0.10


@pytest.mark.slow
def test_judge_on_the_first_wmt21_tuning_pairs(local: LocalLLM) -> None:
    """8 pairs of each kind at the threshold in force (measured BA 0.925, negation 0.875)."""
    from newsdesk.eval import crosslingual

    judge = LLMJudge(local)
    figures = crosslingual.figures(crosslingual.score(_tune_pairs(8), judge.score), judge.threshold)
    assert figures["pairs"] == 48
    assert figures["balanced_accuracy"] >= 0.90
    assert figures["recall_number"] == figures["recall_date"] == figures["recall_name"] == 1.0
    assert figures["recall_negation"] >= 0.75


@pytest.mark.slow
def test_brief_of_the_first_wmt21_tuning_document(local: LocalLLM) -> None:
    """The first tuning document: measured 2 claims, lift 0.599, 1 of 1 names (4 claims, lift
    0.375, 1 of 3 names before the name and qualifier checks, which dropped an invented one)."""
    import itertools

    from newsdesk.eval import wmt, wmt_briefs

    docs = itertools.islice(wmt.load(shared_data("eval/wmt21_zh_en_news_docs.jsonl"), "tune"), 1)
    figures, _claims = wmt_briefs.evaluate(docs, local, "local")
    assert figures["fallback_rate"] == 0.0
    assert figures["claims"] >= 2
    assert figures["overlap_lift"] >= 0.5
    assert figures["names_found_rate"] >= 0.5
