from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk import IngestOptions, ingest
from newsdesk.search import (
    LexicalEvidence,
    QueryConcept,
    SearchOptions,
    cached_translation,
    combine_concepts,
    fuse,
    group_concepts,
    is_topic_query,
    query_concepts,
    rank,
    search,
    self_check,
)
from newsdesk.search.concepts import _LEFT_ENGLISH, _abbreviations, _spans
from newsdesk.store import Store
from newsdesk.store.base import DocumentFilter
from newsdesk.text.segment import JiebaSegmenter, search_tokens
from newsdesk.text.translate import NAME as TRANSLATOR
from newsdesk.text.translate import find_names, plain_org_names, reverse_dictionary, translate

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
    search_module = importlib.import_module("newsdesk.search.dense")

    exact = [h.doc.id for h in search(demo, "rare earth magnets", SearchOptions(mode="dense"))]
    monkeypatch.setattr(search_module, "FAISS_MIN_VECTORS", 1)
    approx = [h.doc.id for h in search(demo, "rare earth magnets", SearchOptions(mode="dense"))]
    assert approx[:3] == exact[:3]
    filtered = search(demo, "rare earth magnets", SearchOptions(mode="dense", language="en"))
    assert [h.doc.language for h in filtered] == ["en"]


def test_compound_and_its_parts_are_one_concept() -> None:
    groups = group_concepts(search_tokens("高性能稀土永磁体"))
    assert sorted(max(g, key=len) for g in groups) == ["稀土永磁体", "高性能"]
    magnet = next(g for g in groups if "稀土永磁体" in g)
    assert {"稀土", "永磁体", "磁体"} <= set(magnet)
    assert "性能" not in magnet
    assert group_concepts(["rare", "earth", "稀土"]) == [["rare"], ["earth"], ["稀土"]]


def _evidence(*lists: list[tuple[str, float]], weights: tuple[float, ...]) -> LexicalEvidence:
    concepts = tuple(QueryConcept(("w",), w, True) for w in weights)
    return LexicalEvidence(concepts, tuple(tuple(x) for x in lists), 1.0)


def test_repeating_a_generic_concept_cannot_beat_covering_the_specific_one() -> None:
    # "generic" matches many times in doc g (BM25 30), "specific" once in doc s (BM25 3).
    evidence = _evidence([("g", 30.0), ("s", 1.0)], [("s", 3.0)], weights=(4.0, 4.0))
    assert combine_concepts(evidence)[0][0] == "s"
    # The query vector tells the topic from the modifier: agreement scales the weights.
    assert combine_concepts(evidence, agreement=[0.05, 0.4])[0][0] == "s"
    assert combine_concepts(evidence, agreement=[0.4, 0.0])[0][0] == "g"


def test_topic_queries_are_told_from_questions() -> None:
    assert is_topic_query("高性能稀土永磁体")
    assert is_topic_query("high-performance rare earth magnets")
    assert not is_topic_query("What is the capital of the province where the river rises?")
    assert not is_topic_query("稀土永磁体的主要应用领域包括哪些方面以及未来发展")


def test_dictionary_translates_english_topic_words() -> None:
    concepts = {c.english: c for c in translate("rare earth magnets and iron ore prices")}
    assert "稀土" in concepts["rare", "earth"].chinese
    assert "铁矿石" in concepts["iron", "ore"].chinese
    assert "磁铁" in concepts["magnets",].chinese  # plural found through the singular
    assert "价格" in concepts["prices",].chinese
    assert ("and",) not in concepts


def test_translation_is_cached_in_the_store(store: Store) -> None:
    first = cached_translation(store, "Rare  earth exports")
    assert store.get_translation(TRANSLATOR, "Rare earth exports") is not None
    assert cached_translation(store, "Rare earth exports") == first


def test_cc_cedict_names_companies_and_brands() -> None:
    gree = find_names("Gree Electric earnings")
    assert [(n.english, n.org) for n in gree] == [(("Gree",), True)]
    assert "格力" in gree[0].chinese
    assert "腾讯" in find_names("Tencent gaming business")[0].chinese  # through its "see" entry
    hong_kong = find_names("Hong Kong property prices")
    assert "香港" in hong_kong[0].chinese
    assert not hong_kong[0].org
    assert find_names("Chinese liquor industry competition") == []  # a demonym, not a name
    assert find_names("gree electric earnings") == []  # only capitalized words are names


def test_dictionary_gives_a_company_its_name_not_its_gloss_words() -> None:
    gree = translate("Gree Electric earnings")[0]
    assert gree.org
    assert gree.chinese[0] == "格力"
    assert not any(c.org for c in translate("green power earnings"))


def test_a_named_company_outweighs_the_generic_words_of_its_topic() -> None:
    # "Huawei smartphone market share": smartphone stories without Huawei (doc p) matched
    # the generic concepts best; the named company's concept now decides.
    concepts = (
        QueryConcept(("华为",), 5.5, True, "model", name=True),
        QueryConcept(("智能手机",), 5.2, True, "model"),
        QueryConcept(("市场",), 5.0, True, "model"),
    )
    lists = ((("h", 8.0),), (("p", 9.0), ("h", 2.0)), (("p", 9.0), ("h", 2.0)))
    evidence = LexicalEvidence(concepts, lists, 1.0)
    assert combine_concepts(evidence, name_weight=1.0)[0][0] == "p"
    assert combine_concepts(evidence)[0][0] == "h"


def test_the_model_gets_names_in_chinese_and_cannot_drop_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "gree.jsonl"
    row = {
        "title": "格力电器发布业绩预告",
        "date": "2019-01-02",
        "source": "s",
        "paragraphs": ["格力电器今日发布业绩预告，净利润增长。"],
    }
    docs.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    ingest([str(docs)], store, IngestOptions(embed=False))
    prompts: list[str] = []
    search_module = importlib.import_module("newsdesk.search.translation")

    def model(query: str) -> str:
        prompts.append(query)
        return "电器业绩"  # a model that drops the name it was given

    monkeypatch.setattr(search_module, "model_translate", model)
    translation = search_module.cached_model_translation(store, "Gree Electric earnings")
    assert prompts == ["格力 Electric earnings"]
    assert translation is not None
    assert translation.chinese == "格力电器业绩"
    assert translation.names == ("格力",)
    again = search_module.cached_model_translation(store, "Gree Electric earnings")
    assert again == translation
    assert len(prompts) == 1


def test_the_model_cannot_spell_out_a_name_it_was_given(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The news writes 冬奥会 (CC-CEDICT "Winter Olympics"); the model, given it, wrote
    # 冬季奥运会, which finds the summer games' stories: the name leads the translation.
    _store_with(store, tmp_path, ["北京冬奥会筹备工作顺利", "冬奥会场馆建设"])
    search_module = importlib.import_module("newsdesk.search.translation")
    prompts: list[str] = []

    def model(query: str) -> str:
        prompts.append(query)
        return "冬季奥运会准备"

    monkeypatch.setattr(search_module, "model_translate", model)
    translation = search_module.cached_model_translation(store, "Winter Olympics preparations")
    assert prompts == ["冬奥会 preparations"]
    assert translation is not None
    assert translation.chinese == "冬奥会冬季奥运会准备"
    assert translation.names == ()  # an event, no organization


def test_a_place_is_called_by_its_name_alone() -> None:
    # 海南 is "Hainan Province" in CC-CEDICT, and 三亚 "Sanya ..., Hainan": "Hainan" is
    # 海南 first, for a name and for the dictionary's words, not a city in it.
    (hainan,) = find_names("Hainan free trade port")
    assert hainan.chinese[0] in {"海南", "海南省"}
    assert "三亚" not in hainan.chinese
    assert {"海南", "海南省"} <= set(reverse_dictionary()["hainan"][0][:2])
    # Only a place named by its own romanization of two syllables or more: no king (金县
    # "King County"), lion (狮城 "Lion City") or Premier Li (理县 "Li County") is a place.
    assert find_names("Premier Li speech") == []
    assert "金县" not in reverse_dictionary()["king"][0]
    assert "狮城" not in reverse_dictionary()["lion"][0]
    # Two-word glosses still head their last word ("computer chip" -> chip).
    assert reverse_dictionary()["chip"][1]


def test_english_topic_matches_chinese_words_through_the_dictionary(demo: Store) -> None:
    ranking = rank(demo, "rare earth magnets", SearchOptions(limit=5))
    assert "稀土" in ranking.tokens
    assert ranking.lexical, "the translated words should match the Chinese demo articles"


def test_no_agreement_falls_back_to_idf() -> None:
    # A store without vectors (ingest --no-embed) measures no agreement: IDF alone ranks.
    evidence = _evidence([("g", 30.0), ("s", 1.0)], [("s", 3.0)], weights=(4.0, 4.0))
    assert combine_concepts(evidence, agreement=[0.0, 0.0]) == combine_concepts(evidence)


def test_a_named_organization_takes_the_best_agreement() -> None:
    # 百度搜索广告收入: Baidu's stories cover many subjects, so their vectors agree less
    # with the query than advertising stories do; the name keeps its weight all the same.
    concepts = (
        QueryConcept(("百度",), 5.5, True, name=True),
        QueryConcept(("广告",), 4.5, True),
    )
    lists = ((("b", 8.0),), (("a", 9.0), ("b", 2.0)))
    evidence = LexicalEvidence(concepts, lists, 1.0)
    assert combine_concepts(evidence, agreement=[0.05, 0.4])[0][0] == "b"
    plain = (QueryConcept(("百度",), 5.5, True), concepts[1])
    assert combine_concepts(LexicalEvidence(plain, lists, 1.0), agreement=[0.05, 0.4])[0][0] == "a"


def _store_with(store: Store, tmp_path: Path, titles: list[str]) -> Store:
    docs = tmp_path / "docs.jsonl"
    rows = [
        {"title": t, "date": "2019-01-02", "source": "s", "paragraphs": [t + "。"]} for t in titles
    ]
    docs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    ingest([str(docs)], store, IngestOptions(embed=False))
    return store


def test_an_organization_is_searched_by_its_names_not_its_parts(
    store: Store, tmp_path: Path
) -> None:
    # The segmenter splits 香港交易所 into 香港 + 交易所, which find every Hong Kong story;
    # CC-CEDICT names the exchange and gives its short name 港交所, which the stories use.
    titles = ["港交所新股上市", "香港楼市上涨", "深圳交易所公告", "微博用户增长"]
    _store_with(store, tmp_path, titles)
    concepts, _, _, _ = query_concepts(store, "香港交易所新上市")
    exchange = next(c for c in concepts if c.name)
    assert exchange.words == ("港交所",)
    assert not any("香港" in c.words or "交易所" in c.words for c in concepts)
    assert not any(c.name for c in query_concepts(store, "大众消费升级")[0])  # 大众: a word too
    # A name inside other words is none: 新浪 in 科技创新浪潮 (创新 + 浪潮), 格力 in 价格力度.
    assert not any(c.name for c in query_concepts(store, "科技创新浪潮")[0])
    assert not any(c.name for c in query_concepts(store, "价格力度加大")[0])
    assert "仫佬" not in plain_org_names()  # an ethnic group, not a company group
    # No story spells 新浪微博 as one word (the segmenter splits it): its parts stay concepts.
    assert ("微博",) in [c.words for c in query_concepts(store, "新浪微博用户")[0]]


def test_a_compound_of_two_words_gets_its_usual_short_form() -> None:
    groups = group_concepts(search_tokens("高速铁路建设投资"))
    rail = next(g for g in groups if "高速铁路" in g)
    assert _abbreviations(rail) == ["高铁"]
    assert _abbreviations(["建设"]) == []
    # A short form that is a word of another sense is no short form: 一一 is "one by one".
    assert _abbreviations(["一带", "一路", "一带一路"]) == []
    assert _abbreviations(["人民", "生活", "人民生活"]) == []


def test_a_compound_gets_the_short_forms_the_dictionary_gives_it() -> None:
    # CC-CEDICT's "abbr. for": 央行 for 中央银行, 个税 for 个人所得税.
    assert "央行" in _abbreviations(["中央", "银行", "中央银行"])
    assert "个税" in _abbreviations(["个人", "所得税", "个人所得税"])
    # A headword of the compound's characters with the same sense: 通胀 is 通货膨胀 ("inflation").
    assert "通胀" in _abbreviations(["通货", "膨胀", "通货膨胀"])
    # ... but not one with another sense or more of it: 中行 is the Bank of China,
    # 房产 is "real estate, property" (a house), not just 房地产 "real estate".
    assert "中行" not in _abbreviations(["中央", "银行", "中央银行"])
    assert "中银" not in _abbreviations(["中央", "银行", "中央银行"])  # "Bank of China" too
    # The segmenter splits 锂离子电池 (锂离子 + 电池); the news writes 锂电池, "lithium battery".
    groups = group_concepts(search_tokens("锂离子电池需求"))
    spans = _spans("锂离子电池需求", groups)
    assert "锂电池" in _abbreviations(groups[0], spans[0])
    assert _abbreviations(["房地产"]) == []


def test_regulators_and_a_names_abbreviation_are_organizations() -> None:
    # 证监会: "China Securities Regulatory Commission", a name in any Chinese query.
    assert "证监会" in plain_org_names()
    # 波音's common sense is only music's ("mordent"): Boeing is a name in a Chinese query.
    assert "波音" in plain_org_names()
    assert "大众" not in plain_org_names()  # "the masses" is a common word
    # Organizations (British spelling too): 上合 is the SCO's short name. Not a country
    # whose gloss has a "Federation" or a "Union" (联邦德国, 苏联).
    assert {"上海合作组织", "上合", "世界贸易组织"} <= plain_org_names()
    assert not {"德国", "苏联", "俄罗斯联邦"} & plain_org_names()
    # 联通 is "China United Telecommunications Corporation ... abbr. for 中国联通": the
    # two are one organization, so "China Unicom" finds both forms.
    # An organization's gloss "China Petroleum and Chemical Corporation, Sinopec": Sinopec
    # is its name too; "..., Chinese e-commerce company" or a place's region is none.
    assert "中石化" in find_names("Sinopec fuel prices")[0].chinese
    assert find_names("Chinese liquor industry") == []
    # An abbreviation of several names is none of them: 北上广 is 北京, 上海 and 广州.
    assert "上海" not in find_names("Beijing housing prices")[0].chinese
    # A person whose gloss names a commission or a department is no organization.
    assert not find_names("Liu Yunshan speech")[0].org
    # A pinyin name is found with or without its syllable mark (Xiong'an, Xiongan).
    assert "雄安新区" in find_names("Xiongan New Area construction")[0].chinese
    (unicom,) = find_names("China Unicom broadband users")
    assert unicom.org
    assert {"中国联通", "联通"} <= set(unicom.chinese)


def test_english_the_model_left_untranslated_is_put_in_chinese(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_with(store, tmp_path, ["乡村振兴战略实施", "农村公路建设", "乡村旅游发展"])
    search_module = importlib.import_module("newsdesk.search.translation")
    monkeypatch.setattr(search_module, "model_translate", lambda q: "农村 revitalization战略")
    concepts_module = importlib.import_module("newsdesk.search.concepts")
    monkeypatch.setattr(concepts_module, "model_available", lambda: True)
    monkeypatch.setenv("NEWSDESK_QUERY_TRANSLATOR", "auto")
    concepts, _, _, translation = query_concepts(store, "rural revitalization strategy")
    assert translation == "农村 振兴战略"  # "revitalization" -> revitalize -> 振兴
    assert _LEFT_ENGLISH.findall("农村revitalization战略") == ["revitalization"]  # glued too
    assert any("振兴" in c.words for c in concepts)
    assert not any("revitalization" in c.words for c in concepts)


def test_the_news_word_for_two_english_words_joins_a_translated_topic(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model spells "oil and gas" out (石油和天然气); the news writes 油气, which
    # CC-CEDICT glosses "oil and gas": it joins 石油 and 天然气 as one concept. 快件
    # ("express delivery") says no more than 快递 does, and 原油 ("crude oil") only one word.
    _store_with(
        store,
        tmp_path,
        [
            "油气勘探取得突破 石油天然气储量增加",
            "渤海油气勘探新发现 石油产量提升",
            "南海油气勘探进展 天然气田投产",
            "原油价格上涨 石油需求回升",
            "天然气价格上涨 天然气供应偏紧",
            "快递快件量增长",
        ],
    )
    search_module = importlib.import_module("newsdesk.search.translation")
    monkeypatch.setattr(search_module, "NEWS_WORD_MIN_DOCS", 2)
    monkeypatch.setattr(search_module, "NEWS_WORD_DOCS", 5)
    monkeypatch.setattr(search_module, "model_translate", lambda q: "石油和天然气勘探")
    concepts_module = importlib.import_module("newsdesk.search.concepts")
    monkeypatch.setattr(concepts_module, "model_available", lambda: True)
    monkeypatch.setenv("NEWSDESK_QUERY_TRANSLATOR", "auto")
    found = search_module.news_words(store, "oil and gas exploration", ["石油", "天然气", "勘探"])
    assert [(n.word, n.english) for n in found] == [("油气", ("gas", "oil"))]
    concepts, _, _, _ = query_concepts(store, "oil and gas exploration")
    merged = next(c for c in concepts if "油气" in c.words)
    assert {"石油", "天然气"} <= set(merged.words)
    assert not any(c is not merged and ("石油" in c.words or "天然气" in c.words) for c in concepts)
    # Cached in the store: the documents are read once; not from a store too small to say.
    key = "oil and gas exploration => 石油 天然气 勘探"
    assert store.get_translation(search_module.NEWS_WORDS, key)
    # Keyed by the translation too: another model's Chinese is read again.
    assert search_module.news_words(store, "oil and gas exploration", ["油气", "勘探"]) == []
    monkeypatch.setattr(search_module, "NEWS_WORD_DOCS", 50)
    assert search_module.news_words(store, "natural gas exploration", ["天然气", "勘探"]) == []
    unsaid = "natural gas exploration => 天然气 勘探"
    assert store.get_translation(search_module.NEWS_WORDS, unsaid) is None
    assert not search_module.news_words(store, "express delivery growth", ["快递", "增长"])
    assert search_module.akin("security", "securities")
    assert search_module.akin("regulator", "regulatory")
    assert not search_module.akin("price", "prime")
    assert not search_module.akin("market", "marker")
    # A person or a place is never the news's word; a proper noun of another kind may be.
    names = importlib.import_module("newsdesk.text.translate").people_and_places()
    assert {"马化腾", "北京"} <= names
    assert not {"冬奥会", "春节", "央行"} & names


def test_a_character_the_segmenter_split_off_is_searched_beside_its_neighbour(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 保障房建设 is segmented 保障 + 房 + 建设, and 房 alone is any house (房价, 新房):
    # it is searched as the phrase "保障 房", in both stores.
    titles = [
        "保障房建设加快推进",
        "社会保障体系完善 房价平稳",
        "今年粗钢产量下降",
        "粗钢出口增加",
        "A股市场回暖",
    ]
    _store_with(store, tmp_path, titles)
    assert search_tokens("保障房建设") == ["保障", "房", "建设"]
    concepts, _, _, _ = query_concepts(store, "保障房建设")
    house = next(c for c in concepts if any("房" in w for w in c.words))
    assert "保障 房" in house.words
    assert "房" not in house.words
    found = [d for d, _ in store.lexical_search(["保障 房"], DocumentFilter(), 10)]
    assert [d.title for d in store.get_many(found)] == ["保障房建设加快推进"]
    assert store.document_frequencies(["保障 房"])[1] == {"保障 房": 1}
    # 粗钢产量 is 粗 + 钢产量; the stories that write 粗钢 alone hold it as a word.
    concepts_module = importlib.import_module("newsdesk.search.concepts")
    monkeypatch.setattr(concepts_module, "SPLIT_WORD_MIN_DOCS", 1)
    concepts, _, _, _ = query_concepts(store, "粗钢产量")
    assert any("粗钢" in c.words for c in concepts)
    assert not any(c.words == ("粗",) for c in concepts)
    # 股 after a letter is A股's word (the index holds 股 there), not a split compound.
    assert search_tokens("A股市场") == ["股", "市场"]
    concepts, _, _, _ = query_concepts(store, "A股市场")
    assert any(c.words == ("股",) for c in concepts)


def test_both_stores_order_a_phrase_and_its_words_alike(tmp_path: Path, postgres: object) -> None:
    # A phrase is one term (its IDF over the stories that hold it), not its words
    # counted wherever they stand: 社会保障建设 holds 保障 and 建设 but not "保障 房".
    from newsdesk import open_store
    from tests.conftest import fresh_database

    titles = ["保障房建设加快推进", "社会保障建设", "新房建设提速", "保障房 保障房 分配", "平稳"]
    orders = []
    for url in (str(tmp_path / "p.db"), fresh_database(postgres)):
        s = _store_with(open_store(url), tmp_path, titles)
        for tokens in (["保障 房", "建设"], ["保障 房"]):
            found = s.lexical_search(tokens, DocumentFilter(), 10)
            orders.append([d.title for d in s.get_many([d for d, _ in found])])
        s.close()
    assert orders[:2] == orders[2:]
    assert orders[1] == ["保障房 保障房 分配", "保障房建设加快推进"]
    assert set(orders[0][:2]) == set(orders[1])  # the phrase's stories first
