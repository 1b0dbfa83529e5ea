from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk import IngestOptions, ingest
from newsdesk.search import SearchOptions, fuse, search, self_check
from newsdesk.store import Store
from newsdesk.text.segment import JiebaSegmenter, search_tokens

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"


@pytest.fixture
def demo(store: Store) -> Store:
    report = ingest(
        [
            str(DEMO / "articles.jsonl"),
            str(DEMO / "pages"),
            str(DEMO / "notes-magnet-recycling.md"),
        ],
        store,
    )
    assert not report.failed
    return store


def titles(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.doc.title for h in hits]


def test_chinese_query_finds_segmented_words(demo: Store) -> None:
    hits = search(demo, "出口管制", SearchOptions(mode="lexical"))
    assert hits, "a Chinese word present in the corpus must be found"
    assert hits[0].doc.title == "商务部回应稀土磁体出口管制：依法审批合规申请"
    # A part of a compound is found too: 永磁 inside 永磁体.
    assert search(demo, "永磁", SearchOptions(mode="lexical"))


def test_domain_terms_stay_whole_and_users_can_add_words(tmp_path: Path) -> None:
    assert "钕铁硼" in search_tokens("高性能钕铁硼磁体")
    assert "北方稀土" in search_tokens("北方稀土上调挂牌价")
    extra = tmp_path / "words.txt"
    extra.write_text("磁材龙头 20000\n", encoding="utf-8")
    assert "磁材龙头" in JiebaSegmenter(str(extra)).cut("磁材龙头获调研")


def test_english_query_finds_chinese_articles(demo: Store) -> None:
    hits = search(demo, "rare earth mining quota", SearchOptions(limit=3))
    assert "我国发布稀土开采总量控制指标 重稀土配额维持不变" in titles(hits)
    recycling = search(demo, "magnet recycling", SearchOptions(limit=2))
    assert recycling[0].doc.title == "稀土永磁体回收提速 再生料占比有望提升"
    assert recycling[0].paragraphs  # best paragraphs chosen by vector similarity


def test_hits_carry_paragraphs_and_highlighted_snippets(demo: Store) -> None:
    hit = search(demo, "氧化镨钕 挂牌价", SearchOptions(limit=1))[0]
    assert hit.paragraphs[0] == 2
    assert "挂牌价" in hit.doc.paragraph(hit.paragraphs[0])
    marked = {hit.snippet[s:e] for s, e in hit.highlights}
    assert "挂牌价" in marked


def test_filters_and_sort(demo: Store) -> None:
    zh_only = search(demo, "rare earth magnets", SearchOptions(language="zh", limit=20))
    assert zh_only
    assert {h.doc.language for h in zh_only} == {"zh"}
    sina = search(demo, "稀土价格", SearchOptions(source="Xin Lang Cai Jing"))
    assert [h.doc.source for h in sina] == ["新浪财经"]
    since = datetime(2025, 12, 20, tzinfo=UTC)
    recent = search(demo, "稀土", SearchOptions(since=since, sort="newest", limit=20))
    dates = [h.doc.published_at for h in recent]
    assert all(d is not None and d >= since for d in dates)
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]


def test_fusion_ignores_a_useless_lexical_side() -> None:
    lexical = [("noise1", 3.0), ("noise2", 2.0)]
    dense = [("good", 0.8), ("ok", 0.6), ("noise2", 0.1)]
    assert [d for d, _ in fuse(lexical, dense, coverage=0.0)][:2] == ["good", "ok"]


def test_fusion_keeps_a_confident_lexical_ranking() -> None:
    lexical = [("a", 10.0), ("b", 5.0), ("c", 1.0)]
    dense = [("c", 0.9), ("b", 0.85), ("a", 0.8)]
    assert [d for d, _ in fuse(lexical, dense, coverage=1.0)] == ["a", "b", "c"]


def test_empty_query_and_empty_store(store: Store) -> None:
    assert search(store, "   ") == []
    assert search(store, "稀土") == []


def test_self_check_passes_on_a_segmented_index(demo: Store) -> None:
    assert self_check(demo) == []


def test_no_embed_then_index_fills_vectors(tmp_path: Path, store: Store) -> None:
    from newsdesk.index import index_store
    from newsdesk.text.embed import get_embedder

    ingest([str(DEMO / "articles.jsonl")], store, IngestOptions(embed=False))
    assert search(store, "稀土", SearchOptions(mode="dense")) == []
    assert index_store(store, embedder=get_embedder()) == 5
    assert search(store, "稀土", SearchOptions(mode="dense"))
    assert index_store(store, embedder=get_embedder()) == 0


def test_cli_search_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from newsdesk.cli import app

    db = str(tmp_path / "s.db")
    runner = CliRunner()
    runner.invoke(app, ["ingest", str(DEMO / "articles.jsonl"), "--db", db])
    result = runner.invoke(app, ["search", "钕铁硼", "--db", db, "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert hits[0]["paragraphs"]
    assert "钕铁硼" in hits[0]["snippet"]
    bad = runner.invoke(app, ["search", "x", "--db", db, "--sort", "oldest"])
    assert bad.exit_code == 2


def test_approximate_index_agrees_with_exact_scan(
    demo: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    search_module = importlib.import_module("newsdesk.search")

    exact = [h.doc.id for h in search(demo, "rare earth magnets", SearchOptions(mode="dense"))]
    monkeypatch.setattr(search_module, "FAISS_MIN_VECTORS", 1)
    approx = [h.doc.id for h in search(demo, "rare earth magnets", SearchOptions(mode="dense"))]
    assert approx[:3] == exact[:3]
    filtered = search(demo, "rare earth magnets", SearchOptions(mode="dense", language="en"))
    assert [h.doc.language for h in filtered] == ["en"]
