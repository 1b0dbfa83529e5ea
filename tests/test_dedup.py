from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk import Document, IngestOptions, SearchOptions, ingest, search
from newsdesk.dedup import assign, cluster_unassigned, same_story, signature
from newsdesk.model import Assignment
from newsdesk.store import DocumentFilter, Store

from .conftest import make_document, shared_data
from .test_cli import Newsdesk

ROOT = Path(__file__).resolve().parent.parent

STORY = [
    "商务部新闻发言人12月25日表示，中方对稀土永磁体相关物项实施出口管制，是依照出口管制法采取的正常措施。",
    "发言人介绍，商务部已依法审批了一批符合规定的出口申请，涉及钕铁硼永磁体和钐钴磁体等产品。",
    "据海关数据，今年前11个月中国稀土永磁体出口量为5.2万吨，同比下降约4%。",
]


def doc(title: str, paragraphs: list[str], source: str, day: int) -> Document:
    when = datetime(2025, 12, day, tzinfo=UTC)
    return make_document(title, paragraphs, source=source, source_display=source, published_at=when)


def buyback(company: str, shares: str, amount: str) -> list[str]:
    return [
        f"{company}发布公告称，公司于2019年8月20日通过集中竞价交易方式回购公司股份{shares}股，"
        f"占公司总股本的0.5%，成交总金额为{amount}元。",
        "本次回购符合公司回购股份方案及相关法律法规的要求，公司将根据市场情况继续实施回购计划。",
    ]


def test_exact_repost_from_another_source_joins_the_story(store: Store) -> None:
    a = doc("稀土出口管制", STORY, "搜狐财经", 26)
    b = doc("稀土出口管制有新进展", STORY, "新浪财经", 27)
    store.add_many([(a, None), (b, None)])
    out = assign(store, [a, b])
    assert [x.reason for x in out] == ["new", "exact"]
    assert store.cluster_id_of(b.id) == store.cluster_id_of(a.id)
    members = store.cluster_members(store.cluster_id_of(a.id) or "")
    assert [m.id for m in members] == [a.id, b.id]  # canonical: earliest published


def test_edited_repost_is_a_near_duplicate() -> None:
    a = doc("稀土出口管制", STORY, "搜狐财经", 26)
    edited = [
        STORY[0].replace("12月25日", "25日"),
        STORY[1],
        STORY[2] + "分析人士认为出口管制将持续。",
    ]
    ok, jac, _ = same_story(signature(a), signature(doc("稀土", edited, "格隆汇", 27)))
    assert ok
    assert jac >= 0.6


def test_same_template_different_event_stays_apart() -> None:
    a = signature(doc("回购", buyback("长实集团", "1000000", "5320万"), "格隆汇", 20))
    b = signature(doc("回购", buyback("中国铁建", "2500000", "2310万"), "格隆汇", 20))
    ok, jac, _ = same_story(a, b)
    assert jac > 0.5  # the template alone makes them look alike
    assert not ok


def test_a_text_that_many_stories_contain_does_not_chain_them(store: Store) -> None:
    notice = (
        "本网声明：凡本网注明来源的所有作品，版权均属于本网，"
        "未经授权不得转载、摘编或利用其它方式使用上述作品。"
    )
    a = doc(
        "甲公司中标",
        ["甲公司公告称中标某地铁项目，中标金额为12亿元，工期为36个月。", notice],
        "x",
        1,
    )
    b = doc(
        "乙公司回购",
        ["乙公司公告称以集中竞价方式回购股份300万股，成交金额为4500万元。", notice],
        "x",
        2,
    )
    hub = doc("声明", [notice], "x", 3)
    store.add_many([(hub, None), (a, None), (b, None)])
    assign(store, [hub, a, b])
    assert store.cluster_id_of(a.id) != store.cluster_id_of(b.id)


def test_reingested_reposts_show_once_in_list_and_search(tmp_path: Path, store: Store) -> None:
    demo = str(ROOT / "examples" / "demo" / "articles.jsonl")
    ingest([demo], store, IngestOptions(embed=False))
    ingest([demo], store, IngestOptions(embed=False))
    stories = store.list_documents(DocumentFilter(one_per_story=True))
    every = store.list_documents(DocumentFilter())
    assert len(every) == 5
    assert len(stories) == 4  # 格隆汇's price story and 新浪财经's repost of it
    hits = search(store, "氧化镨钕 价格", SearchOptions(mode="lexical"))
    titles = [h.doc.title for h in hits]
    assert titles.count("稀土价格走强 氧化镨钕年内上涨三成") == 1
    price = hits[titles.index("稀土价格走强 氧化镨钕年内上涨三成")]
    assert price.reposts == 1
    assert len(price.repost_sources) == 1


def test_incremental_and_rebuild_agree(tmp_path: Path, store: Store) -> None:
    a = doc("稀土出口管制", STORY, "搜狐财经", 26)
    b = doc("稀土出口管制", STORY, "格隆汇", 27)
    store.add_many([(a, None)])
    assign(store, [a])
    store.add_many([(b, None)])
    assign(store, [b])  # joins the stored story without re-clustering the corpus
    before = store.cluster_id_of(b.id)
    store.reset_clusters()
    assert cluster_unassigned(store) == 2
    assert store.cluster_id_of(b.id) == store.cluster_id_of(a.id)
    assert before == store.cluster_id_of(a.id)


def test_cli_dedup_and_show_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    newsdesk = Newsdesk(monkeypatch, capsys)
    db = str(tmp_path / "d.db")
    demo = str(ROOT / "examples/demo/articles.jsonl")
    assert newsdesk("ingest", demo, "--db", db, "--no-embed")[0] == 0
    listed = newsdesk.json("list", "--db", db)
    assert isinstance(listed, list)
    price = next(d for d in listed if d["title"].startswith("稀土价格走强"))
    assert price["reposts"] == 1
    shown = newsdesk.json("show", price["id"], "--db", db, "--cluster")
    assert isinstance(shown, dict)
    assert len(shown["cluster"]) == 2
    rebuilt = newsdesk.json("dedup", "--rebuild", "--db", db)
    assert rebuilt == {"clustered": 5, "stories": 4, "documents": 5}
    code, _, stderr = newsdesk("dedup", "--db", db)
    assert code == 0
    assert "clustered 0 documents; 5 documents form 4 stories" in stderr


def test_an_assignment_round_trips_through_its_dict(store: Store) -> None:
    a = doc("稀土出口管制", STORY, "搜狐财经", 26)
    store.add_many([(a, None)])
    [placed] = assign(store, [a])
    assert placed.reason == "new"
    assert len(placed.bands) == 32
    data = json.loads(json.dumps(placed.to_dict()))
    assert Assignment.from_dict(data) == placed


def test_cluster_unassigned_reports_its_progress(store: Store) -> None:
    docs = [doc(f"稀土{i}", STORY, f"source{i}", 20 + i) for i in range(5)]
    store.add_many([(d, None) for d in docs])
    seen: list[tuple[int, int]] = []
    assert cluster_unassigned(store, batch=2, on_progress=lambda *a: seen.append(a)) == 5
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert store.unclustered_ids() == []


@pytest.mark.slow
def test_dedup_pairs_minimum_scores(store: Store) -> None:
    from newsdesk.eval.dedup import evaluate, load_audit

    paths = [
        str(shared_data(f"corpora/{n}"))
        for n in ("zh_business_2011.jsonl", "zh_finance_2019.jsonl")
    ]
    ingest(paths, store, IngestOptions(embed=False))
    pairs = shared_data("eval/near_dup_pairs.jsonl")
    raw = evaluate(store, pairs)
    assert raw["false_merge_rate"] <= 0.02
    assert raw["by_kind"]["exact_dup"]["merged"] == raw["by_kind"]["exact_dup"]["pairs"]
    audited = evaluate(store, pairs, audit=load_audit(ROOT / "tests/data/near_dup_audit.jsonl"))
    assert audited["recall"] >= 0.95
    assert audited["false_merge_rate"] <= 0.02
