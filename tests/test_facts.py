"""The exact checks in front of the judge, the dictionary fallback and the extractive headings."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.errors import InputError
from newsdesk.eval import crosslingual, wmt, wmt_briefs
from newsdesk.model import Claim, Verdict
from newsdesk.summarize.checks import check
from newsdesk.summarize.facts import cn_numeral, en_facts, en_negated, unmatched, zh_facts
from newsdesk.summarize.headings import heading
from newsdesk.summarize.verify import exact_problems, trace_problems
from newsdesk.summarize.words import (
    clean_sense,
    english,
    leftover_terms,
    names_not_in,
    pinyin_words,
    romanized_words,
    senses,
    translate_leftovers,
)

from .conftest import ScriptedLLM, shared_data


@pytest.mark.parametrize(
    ("text", "value"),
    [("三千二百", 3200), ("十九", 19), ("两万", 20000), ("六", 6), ("二〇二一", 2021), ("十", 10)],
)
def test_chinese_numerals(text: str, value: float) -> None:
    assert cn_numeral(text) == value


def test_numbers_and_dates_compare_across_languages_after_normalization() -> None:
    zh = "12月10日，出口量为5.2万吨，同比下降百分之四，十九届六中全会，收入62亿元。"
    for claim in (
        "On December 10 exports were 52,000 tonnes, down 4 percent.",
        "Exports fell 4% on 10 December.",
        "The sixth plenary session of the 19th Central Committee met.",
        "Income was 6.2 billion yuan.",
        "Income was about 6 billion yuan.",  # a large amount rounded by the claim
    ):
        assert check(zh, claim).missing == (), claim
    assert check(zh, "On the 12th of December exports fell.").missing == (("d", "12-12"),)
    assert check(zh, "Exports were 5.2 million tonnes.").missing == (("n", 5200000.0),)
    assert check(zh, "Exports fell 40 percent.").missing == (("pct", 40.0),)


def test_clock_times_compare_across_languages() -> None:
    assert check("7月25日下午4点多，傅昆宝忙着收拾。", "At 4 p.m. on July 25, Fu Kunbao packed.").ok
    assert check("7月25日下午4点多，傅昆宝忙着收拾。", "7:25 PM, Fu Kunbao packed.").missing == (
        ("t", "19:25"),
    )
    assert check("于7月16日晚7:30登陆卫视", "It airs at 7:30 p.m. on July 16.").ok
    assert check("上午9点半开会", "The meeting began at 9:30.").ok


def test_a_day_alone_in_chinese_matches_a_full_english_date() -> None:
    assert check("俄罗斯各舰队26日举行阅兵式。", "On July 26 the fleets held a parade.").ok
    assert not check("俄罗斯各舰队26日举行阅兵式。", "On July 29 the fleets held a parade.").ok


def test_english_number_words_dates_and_what_is_no_figure() -> None:
    assert en_facts("Two firms signed on March 3rd.") == {("n", 2.0), ("d", "3-3")}
    assert en_facts("COVID-19 cases at 16:00; one of the hosts watched intently.") == {
        ("t", "16:00")
    }
    assert en_facts("The plan may work.") == set()  # the verb, not the month
    assert unmatched({("n", 3.0)}, zh_facts("三家企业")) == []


def test_dates_written_with_a_slash_or_dot_and_scales_of_numbers() -> None:
    assert en_facts("On 7/25 the river rose.") == {("d", "7-25")}  # a date, not 7 and 25
    assert en_facts("1/3 of residents left; 24/7 service") == {
        ("n", 1.0),
        ("n", 3.0),
        ("n", 24.0),
        ("n", 7.0),
    }
    assert en_facts("three hundred people") == {("n", 300.0)}
    assert en_facts("a 5.2bn yuan deal") == {("n", 5.2e9)}
    assert check("河南“7·20”特大暴雨后", "After the July 20 rainstorm in Henan").ok
    assert check("2021.7.25，河水上涨", "On July 25 the river rose.").ok
    assert not check("增长3.5%", "It grew on March 5.").ok  # a decimal with a unit: no date


def test_clock_days_and_glued_figures_of_human_translations() -> None:
    assert en_facts("As of 16: 00 on the 25th") == {("t", "16:00"), ("day", "25")}
    assert en_facts("At 4 o'clock in the afternoon") == {("t", "16:00")}
    assert en_facts("invested RMB3.45 billion in No.3 works") == {("n", 3.45e9), ("n", 3.0)}
    assert unmatched(en_facts("on the 25th"), en_facts("on July 25")) == []
    assert unmatched(en_facts("on the 25th"), en_facts("on July 26")) == [("day", "25")]


def test_chinese_numerals_read_every_way_they_can_be() -> None:
    assert check("确保“十三五”圆满收官", "The 13th Five-Year Plan ends.").ok  # 十三|五
    assert check("一二月份全国物流延时", "Logistics were late in January and February.").ok
    assert check("上世纪八十年代，米勒来到中国", "In the 1980s Miller came to China.").ok
    assert zh_facts("三千二百人") == {("n", 3200.0)}  # no reading of its parts
    assert zh_facts("二〇二一年") == {("n", 2021.0)}


def test_negation_on_one_side_only() -> None:
    assert check("解救被拐儿童十分紧迫。", "Rescuing abducted children is not urgent.").negation
    assert not check(
        "该市决定取消庆祝活动。", "The city decided to cancel the celebrations."
    ).negation
    assert check("企业不得在保护范围内开发。", "Firms may develop inside the zone.").negation
    assert not check(
        "企业不得在保护范围内开发。", "Firms must not develop inside the zone."
    ).negation
    assert not en_negated("Not only exports but imports grew.")
    assert en_negated("The trend is irreversible.")  # 不可逆: negation in an affix
    assert not check(
        "美方不断施压。", "The US kept up the pressure."
    ).negation  # 不断 negates nothing


def test_a_negative_english_word_for_a_source_word_is_no_added_negation() -> None:
    # CC-CEDICT gives "lack", "fail", "unexpected", "irresistible" for these words
    assert check("山区学校缺乏教师。", "Mountain schools lack teachers.").ok
    assert check("这次尝试以失败告终。", "The attempt ended in failure.").ok
    assert check("比赛结果让球迷意想不到。", "The result was unexpected for the fans.").ok
    assert check("节能减排是大势所趋。", "Saving energy is an irresistible trend.").ok
    assert check("新规禁止夜间施工。", "The new rule prohibits building at night.").ok
    # a grammatical negation is never the source's word: one put in is still found
    assert check("山区学校缺乏教师。", "Mountain schools do not lack teachers.").negation
    assert check("新规禁止夜间施工。", "The rule does not prohibit building.").negation
    assert check("山区学校缺乏教师。", "Mountain schools are unable to hire.").negation


def test_mo_words_and_negative_affixes() -> None:
    # 没 read mò (CC-CEDICT): "engulf", "vanish", "confiscate" negate nothing
    assert check("洪水淹没了农田。", "The flood submerged the farmland.").ok
    assert check("警方没收了赃物。", "The police confiscated the loot.").ok
    assert check("他没有来。", "He came.").negation == "source only"
    assert check("原因尚不清楚。", "The reason is unclear.").ok  # not "uncle"
    assert not check("双方举行非正式会谈。", "The sides held informal talks.").negation
    assert check("双方举行正式会谈。", "The sides held informal talks.").negation


def test_the_word_a_negation_character_is_in_decides() -> None:
    # CC-CEDICT's senses of the segmented word: "minor", "Moscow" state no negation
    assert check("禁止向未成年人销售酒类。", "Selling alcohol to minors is prohibited.").ok
    assert check("代表团访问了莫斯科。", "The delegation visited Moscow.").ok
    # 不等于 is cut 不 + 等于: a negation character alone is a negation
    assert check("二者不等于一回事。", "The two are the same thing.").negation == "source only"
    # a sense that negates without an affix: 拒不接受 "refusing to accept"
    assert check("他拒不接受调解。", "He refused mediation.").ok
    assert check("他拒不接受调解。", "He accepted mediation.").negation == "source only"
    # 不法 "illegal": the claim's word is the source's, and both agree
    assert check("网民可举报不法行为。", "Netizens may report illegal acts.").ok
    # "illegal" for 违法 uses that word up: the source's 未 still wants a negation
    assert (
        check(
            "违法收集个人信息问题还未根本解决。",
            "The problem of illegal collection of personal data has been solved.",
        ).negation
        == "source only"
    )
    assert check("中方很不愿意看到关系恶化。", "China is reluctant to see ties worsen.").ok
    # "no other choice but" says "have to" either way: 不得不 and 别无选择 alike
    assert check("中方不得不反制。", "China had no other choice but to hit back.").ok
    assert check("我们别无选择，只能反制。", "We had no other choice but to hit back.").ok
    # a holiday named by its date is that date: 五一 "May Day", May 1; not 国庆 in 全国庆祝
    assert check("它拿下了五一档票房冠军。", "It topped the May 1 box office.").ok
    assert check("国庆节期间游客大增。", "Visitors rose over the October 1 holiday.").ok
    assert not check("全国庆祝活动昨日举行。", "The celebrations were held on October 1.").ok
    assert not check("一九八一年他出生。", "He was born on August 1.").ok
    # each source word licenses one claim word: 无人机 twice, "unmanned" twice
    assert check("无人机拍摄，无人机回传。", "Unmanned craft film, unmanned craft send.").ok
    assert check("无人机拍摄。", "Unmanned craft film, unmanned craft send.").negation
    # and a word that licensed one leaves the source whole: 无法 twice, "unable" once
    assert check("他们无法出行，也无法返乡。", "They are unable to travel or go home.").ok


def test_a_unit_glued_to_its_figure_and_a_name_in_western_order() -> None:
    assert check("隧道全长约12.7千米。", "The tunnel is about 12.7km long.").ok
    assert check("总装机46万千瓦。", "A capacity of 460,000kw in all.").ok
    assert not check("隧道全长约12.7千米。", "The tunnel is about 13.7km long.").ok
    assert names_not_in("演员李明轩出演", "Mingxuan Li starred.") == []
    assert names_not_in("演员李明轩出演", "Mingxuan Wu starred.") == ["Mingxuan Wu"]


def test_romanized_common_words_are_found_and_names_are_not_english() -> None:
    found = romanized_words("Guai Mai of children; enterprise Shi Fu standards; long fan he")
    assert found == ["Guai", "Mai", "Shi", "Fu"]
    assert romanized_words("The Ministry of Commerce in China said the change was long due") == []
    # English words that split into pinyin syllables (chi-ne-se) are not romanized Chinese
    assert romanized_words("Chinese and Asian firms in Canada") == []
    assert romanized_words("Hebei and Beijing") == ["Hebei", "Beijing"]


def test_a_romanized_name_must_be_spelled_by_its_source() -> None:
    assert names_not_in("杨浩东说，", "Rong Haidong said so.") == ["Rong Haidong"]
    assert names_not_in("杨浩东说，", "Yang Hao Dong said so.") == []
    assert names_not_in("杨浩东说，", "Yang Haodong said so.") == []
    assert names_not_in("东一龙出赛", "Wu Na took part.") == ["Wu Na"]
    assert names_not_in("来自香港的医生", "Doctors from Hong Kong") == []  # CC-CEDICT's English


def test_the_exact_checks_reject_figures_and_names_and_report_a_negation() -> None:
    problems, negation = exact_problems(
        "杨浩东说，12月10日出口下降4%。", "Rong Haidong said exports fell."
    )
    assert problems == ["name Rong Haidong not in the source"]
    problems, negation = exact_problems("出口没有下降。", "Exports fell 9% on December 12.")
    assert problems == [
        "date 12-12 not in the source",
        "number 9% not in the source",
        "negation on one side only (source only)",
    ]
    assert negation == "source only"
    assert exact_problems("English source.", "Exports fell 9%.") == ([], "")


def test_dictionary_fallback_translates_names_and_leaves_common_words_to_a_rewrite() -> None:
    assert english("拐卖") == "human trafficking"
    text, romanized, untranslated = translate_leftovers(
        "Police fought 拐卖 of children, 杨浩东 said.", {}
    )
    assert text == "Police fought 拐卖 of children, Yang Haodong said."
    assert (romanized, untranslated) == (["Yang Haodong"], ["拐卖"])
    assert translate_leftovers("The 稀土 market.", {"稀土": "rare earth"}) == (
        "The rare earth market.",
        [],
        [],
    )
    assert "Hong Kong" in translate_leftovers("Doctors in 香港 agreed.", {})[0]
    # The English and its Chinese in brackets: once the Chinese is English, one is enough
    # (the demo's "praseodymium-neodymium oxide ( praseodymium-neodymium oxide )").
    pr = {"氧化镨钕": "praseodymium-neodymium oxide"}
    echo = "The praseodymium-neodymium oxide (氧化镨钕) price rose."
    assert translate_leftovers(echo, pr).text == "The praseodymium-neodymium oxide price rose."
    other = "The oxide (氧化镨钕) price rose (by 5%)."
    assert translate_leftovers(other, pr).text == (
        "The oxide (praseodymium-neodymium oxide) price rose (by 5%)."
    )
    for kept in ("Output rose 15% (5%) on the year.", "Hangzhou (Zhou) spoke."):
        assert translate_leftovers(kept, {}).text == kept  # a figure, a word's part
    assert leftover_terms("The city's 建成 zone.", "城市建成区") == (("建成", "establish/build"),)
    assert leftover_terms("The 发起人 spoke.", "城市建成区") == ()  # not a word of the source


def test_a_dictionary_sense_is_a_translation_or_nothing() -> None:
    assert clean_sense("a danger concealed within sth/hidden damage/misfortune") == "hidden damage"
    assert clean_sense("name of a river in Hebei") is None
    assert clean_sense("surname Pu/variant of 铺[pu4]") is None
    assert clean_sense("(of an exhibition etc) to open/to launch") == "open"
    assert clean_sense("respectful form of address for older men") is None  # explains
    assert english("排查") == "inspect"


def test_leftovers_romanize_only_proper_names_and_never_paste_a_definition() -> None:
    text, romanized, _ = translate_leftovers("傅昆宝 and his wife 周燕 in 江口村", {})
    assert text == "Fu Kunbao and his wife Zhou Yan in Jiangkou Village"
    assert romanized == ["Fu Kunbao", "Zhou Yan"]
    assert translate_leftovers("water went into the 滏阳河", {})[0].endswith("Fuyang River")
    # a word that is no name (普惠性 ends in 性), and a common word (隐患, 排查), is
    # neither given a dictionary sense ("hidden damage inspect") nor romanized
    assert translate_leftovers("普惠性 kindergartens", {}).untranslated == ["普惠性"]
    assert translate_leftovers("a river 隐患排查 was held", {}).untranslated == ["隐患", "排查"]


def test_the_models_own_pinyin_of_a_common_word_is_found_and_asked_again() -> None:
    from newsdesk.summarize.prompts import close_request
    from newsdesk.summarize.verify import repair_language

    source = "企业师傅标准，拐卖儿童是犯罪，张雄说。"
    assert pinyin_words("Enterprise Shi Fu standards.", source) == [("Shi Fu", "师傅")]
    assert pinyin_words("Guai Mai is a crime.", source) == [("Guai Mai", "拐卖")]
    assert pinyin_words("Zhang Xiong said.", source) == []  # a name stays
    claim = Claim("Guai Mai is a crime.", (1,), evidence=(source,))
    rejected = repair_language(ScriptedLLM(), claim)
    assert rejected.verdict is Verdict.UNSUPPORTED
    assert "Guai Mai (拐卖)" in rejected.note
    asked = close_request(source, "en", extra=(("拐卖", senses("拐卖")),))
    assert "拐卖 = human trafficking/abduct and sell/kidnap and sell" in asked


def test_repair_romanizes_only_names_after_the_model_and_notes_them() -> None:
    from newsdesk.summarize.verify import repair_language

    stubborn = ScriptedLLM(repair="杨浩东 said trafficking must stop.")  # the model leaves one
    claim = Claim("杨浩东说拐卖 must stop.", (1,), evidence=("杨浩东说拐卖必须停止。",))
    fixed = repair_language(stubborn, claim)
    assert fixed.text == "Yang Haodong said trafficking must stop."
    assert fixed.note == "names romanized: Yang Haodong"
    left = ScriptedLLM(repair="The number of 普惠性 kindergartens rose.")
    claim = Claim(
        "The number of 普惠性 kindergartens rose.", (1,), evidence=("普惠性幼儿园增加。",)
    )
    rejected = repair_language(left, claim)
    assert rejected.verdict is Verdict.UNSUPPORTED
    assert "普惠性" in rejected.note


def test_extractive_headings_are_whole_words_of_a_clause() -> None:
    h = heading(
        [
            "稀土行业协会副会长贾明星对此表示，稀土价格上涨主要是因为供给收缩。",
            "业内人士指出，稀土价格将继续上涨。",
        ]
    )
    assert h == "稀土价格上涨主要是因为供给收缩"
    for fragment in ("明星", "内人", " · "):
        assert fragment not in h
    lone = heading(["业内人士指出，高性能钕铁硼磁体广泛用于工业机器人。"])
    assert lone.startswith("高性能钕铁硼磁体")
    assert not lone.endswith(("的", "和"))
    assert heading(["The ministry said exports of magnets fell in November."]) == (
        "ministry said exports of magnets fell"  # 48 characters at most, at a word
    )
    assert heading(["。。。"]) == ""


def test_wmt_split_rule_is_fixed_and_covers_every_document() -> None:
    assert wmt.part_of("wmt21-zhen-L0000") in wmt.PARTS
    path = shared_data("eval/wmt21_zh_en_news_docs.jsonl")
    tune = [d.doc_id for d in wmt.load(path, "tune")]
    report = [d.doc_id for d in wmt.load(path, "report")]
    assert (len(tune), len(report)) == (46, 55)
    assert not set(tune) & set(report)


def _doc() -> wmt.WmtDoc:
    zh = (
        "新华社北京7月26日电",
        "张雄家在四川眉山市果园村，2010年他辞掉北京的工作返乡创业。",
        "如今他7月1日创办的家庭农场年收入超过百万元。",
        "仅2019年，四川就培育村后备力量6.1万名。",
    )
    refs = (
        ("BEIJING, July 26 (Xinhua)", "Beijing, July 26 (Xinhua)"),
        (
            "Zhang Xiong lives in Guoyuan Village, Meishan, Sichuan; in 2010 he quit his job.",
            "In 2010 Zhang Xiong left his Beijing job and went home to Guoyuan Village.",
        ),
        (
            "Today his family farm, which was founded on July 1, earns a million yuan a year.",
            "His farm earns 1 million.",
        ),
        ("In 2019 alone Sichuan trained 61,000 village reserves.", "61,000 in 2019."),
    )
    return wmt.WmtDoc("wmt21-test", zh, refs)


def test_a_claim_is_measured_against_the_translations_of_its_cited_paragraphs() -> None:
    doc = _doc()
    good = wmt_briefs.measure(doc, Claim("In 2010 Zhang Xiong quit his job in Beijing.", (2,)))
    assert (good.figures, good.figures_found) == (1, 1)
    assert good.names_found == good.names == 3  # Zhang, Xiong, Beijing
    assert good.overlap > good.uncited_overlap
    assert good.romanized == ()
    bad = wmt_briefs.measure(doc, Claim("In 2012 the Guai Mai farm trained 6,100 people.", (4,)))
    assert (bad.figures, bad.figures_found) == (2, 0)
    assert bad.romanized == ("Guai", "Mai")
    figures = wmt_briefs.summarize_figures([good, bad], 1, 0, 10.0, 1500)
    assert figures["figures_found_rate"] == pytest.approx(1 / 3)
    assert figures["romanized_claim_rate"] == 0.5


def test_cross_lingual_pairs_change_one_thing_each() -> None:
    other = wmt.WmtDoc(
        "wmt21-other",
        ("李明说，项目已经完成。",) * 6,
        (("Li Ming said the project was finished.",) * 2,) * 6,
    )
    docs = [_doc(), other]
    pairs = crosslingual.build(docs, 10)
    kinds = {p.kind for p in pairs}
    assert {"supported", "number", "negation", "date"} <= kinds
    for p in pairs:
        if p.kind == "number":
            assert any(ch.isdigit() for ch in p.claim)
        if p.kind == "negation":
            assert " not" in p.claim or "n't" not in p.claim
    scored = crosslingual.score(pairs, lambda source, claim, focus: 0.9)
    figures = crosslingual.figures(scored, 0.5)
    assert figures["recall_number"] == 1.0  # the exact check alone
    assert figures["recall_date"] == 1.0
    assert figures["supported_recall"] == 1.0
    assert crosslingual.best_threshold(scored)[0] == 0.05


def test_wmt_part_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown WMT21 part"):
        list(wmt.load(tmp_path / "x.jsonl", "dev"))


def test_committed_verdicts_are_well_formed() -> None:
    """Claims read by eye against the human translations (eval/verdicts/).

    "quote": a Chinese source sentence shown verbatim by a brief that fell back to extractive.
    """
    import json

    folder = Path(__file__).resolve().parent.parent / "eval" / "verdicts"
    files = sorted(folder.glob("wmt21_*.jsonl"))
    assert files
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert row["verdict"] in ("correct", "wrong", "garbled", "quote"), path
            assert row["doc_id"].startswith("wmt21-zhen-")
            assert wmt.part_of(row["doc_id"]) in path.name  # tune verdicts in the tune file
            assert row["claim"]
            assert row["citations"]


def test_an_english_name_the_source_does_not_name_is_untraceable() -> None:
    from newsdesk.summarize.entities import untraced

    # CC-CEDICT's English of a name in the source traces it; an invented one does not
    assert untraced("美国得克萨斯州发生枪击事件", "A shooting in Texas, US.") == ([], [])
    assert untraced("美国得克萨斯州发生枪击事件", "A shooting in Georgia, US.") == (["Georgia"], [])
    assert untraced("法国南特市举行活动", "An event in Saint-Nazaire.")[0] == ["Nazaire"]
    assert untraced("法国南特市举行活动", "An event in Nantes, France.") == ([], [])
    # pinyin of the source's characters, a transliterated foreign name, its Latin text
    assert untraced("傅昆宝指了指喷雾器", "Fukunbao pointed; Fu Kunbao said.") == ([], [])
    assert untraced("杜特尔特说", "Duterte said so.") == ([], [])
    assert untraced("新冠肺炎COVID-19疫情", "The COVID-19 epidemic.") == ([], [])
    # English words are no names, capitalized or not
    assert untraced("省政府开会", "The Province Government met.") == ([], [])


def test_a_qualifier_the_source_does_not_state_is_untraceable() -> None:
    from newsdesk.summarize.entities import untraced

    assert untraced("返乡农民工创业", "Young migrant workers return to start firms.")[1] == [
        "young"
    ]
    assert untraced("这是最大的港口", "It is the largest port.") == ([], [])  # 最大
    assert untraced("安徽合肥群众转移", "Villagers in southern China moved.")[1] == ["southern"]
    assert untraced("华南地区群众转移", "Villagers in southern China moved.") == ([], [])
    # made-up sentences: a name holding a direction's character states no direction
    assert untraced("东莞一家工厂停产。", "A plant in eastern China stopped.")[1] == ["eastern"]
    assert untraced("华东一家工厂停产。", "A plant in eastern China stopped.") == ([], [])
    assert untraced("该省东北部降雨。", "Rain fell in the northeast of the province.") == ([], [])


def test_a_kind_noun_the_source_does_not_state_is_untraceable() -> None:
    from newsdesk.summarize.entities import untraced

    # made-up sentences: what a thing is must be what the source calls it
    assert untraced("某台新节目7月20日开播。", "The movie opens on July 20.")[1] == ["movie"]
    assert untraced("某台新电影将于7月20日上映。", "The new film opens on July 20.") == ([], [])
    assert untraced("该镇受灾严重。", "The village was badly hit.")[1] == ["village"]
    assert untraced("该镇三个村受灾。", "Three villages of the town were hit.") == ([], [])
    assert untraced("该县受灾。", "The district was hit.")[1] == ["district"]
    assert untraced("某市市长说", "The governor said")[1] == ["governor"]
    assert untraced("某市水务局局长说", "The director of the city water bureau said") == ([], [])
    assert untraced("某部部长说", "The minister said") == ([], [])


def test_a_negation_on_one_side_only_rejects_the_claim() -> None:
    problems, negation = exact_problems("解救被拐儿童刻不容缓。", "Rescuing children is allowed.")
    assert negation == "source only"
    assert problems == ["negation on one side only (source only)"]
    assert exact_problems("他说，直言不讳地批评了计划。", "He criticized the plan bluntly.") == (
        [],
        "",
    )
    assert exact_problems("无数人参加了比赛。", "Countless people took part.")[0] == []


def test_the_brief_rejects_an_untraceable_name_without_asking_the_judge() -> None:
    from newsdesk.eval.citations import eval_document
    from newsdesk.model import Claim, Verdict
    from newsdesk.summarize.verify import judge_claim

    class Never:
        def supports(self, passage: str, claim: str, focus: str = "") -> bool:
            raise AssertionError("the judge is not asked")

    class Yes:
        def supports(self, passage: str, claim: str, focus: str = "") -> bool:
            return True

    doc = eval_document("t", "k", ("美国得克萨斯州发生枪击事件。",), "枪击")
    bad = Claim("A shooting happened in Georgia.", (1,), evidence=("美国得克萨斯州发生枪击事件。",))
    judged = judge_claim(Never(), doc, bad)
    assert judged.verdict is Verdict.UNSUPPORTED
    assert "name Georgia not traceable to the source" in judged.note
    good = Claim("A shooting happened in Texas.", (1,), evidence=bad.evidence)
    assert judge_claim(Yes(), doc, good).verdict is Verdict.SUPPORTED


def test_the_request_lists_the_dictionary_english_of_the_sentences_names() -> None:
    from newsdesk.summarize.prompts import names_in, terms

    assert names_in("中国通知美国关闭其驻成都总领事馆") == [("成都", "Chengdu")]
    assert "南特 = Nantes" in terms("法国南特市举行活动", "en")
    assert "NEC" not in terms("新华社合肥7月26日电", "en")  # 日电 cut from a dateline
    assert "大学" not in terms("智利大学研究所", "en")  # a common word too


def test_a_claim_cut_off_mid_sentence_is_rejected() -> None:
    from newsdesk.summarize.verify import trace_problems

    cut = "11 athletes competed, which caught the attention of the stage with its"
    assert trace_problems("11位运动少年亮相力量赛道", cut) == ["cut off after 'its'"]
    assert trace_problems("11位运动少年亮相力量赛道", "11 athletes competed.") == []


def test_the_exact_checks_alone_on_the_wmt_tuning_pairs() -> None:
    """Measured 2026-12-03 on the tuning part, 40 pairs of each kind, no model (judge says YES).

    The exact checks reject 95% of changed numbers, every changed date and
    name, 85% of put-in or taken-out negations, and 3 of 40 human
    translations (2 names, 1 negation). (Before 十三五 was read as 13 and 5,
    4 human translations were rejected, and one changed negation with them,
    for its "13th Five-Year Plan": 87.5% of negations.)
    """
    path = shared_data("eval/wmt21_zh_en_news_docs.jsonl")
    pairs = crosslingual.build(wmt.load(path, "tune"), 40)
    scored = crosslingual.score(pairs, lambda source, claim, focus: 1.0)
    got = crosslingual.figures(scored, 0.5)
    assert got["recall_number"] >= 0.95
    assert got["recall_date"] == got["recall_name"] == 1.0
    assert got["recall_negation"] >= 0.85
    assert got["exact_check_false_rejections"] <= 0.075


def test_the_exact_checks_on_every_human_translation_of_the_tuning_part() -> None:
    """Measured without the model (bench/exact_checks.py): of the 1,564 human
    translations, 52 (3.3%) falsely rejected, 32 of them for a one-sided negation
    (54 before 五一 and the like read as dates; 56 and 34 before one source word
    licensed one claim word and "no other choice
    but" read as none; 55 and 32 before the segmented word around a negation character decided, 59
    before 行动不便 "limited mobility" and 暧昧不清 "ambiguous" were read as no
    negation, 78 before "lacks" for 缺乏 and the like were read as the source's
    word, 没 read mò, glued units and Western-order names); of the 1,050
    translations with a negation put in or taken out, 963 caught (936 before the
    segmented word, 932 before that)."""
    docs = list(wmt.load(shared_data("eval/wmt21_zh_en_news_docs.jsonl"), "tune"))
    pairs, found = crosslingual.exact_rejections(docs)
    rejected = {(r.doc_id, r.segment, r.ref) for r in found}
    assert len(rejected) / pairs <= 0.034
    assert sum(r.kind.startswith("negation") for r in found) <= 33
    changed, caught, _by_negation = crosslingual.negation_catches(docs)
    assert caught / changed >= 0.915


def test_the_cached_model_asks_each_question_once(tmp_path: Path) -> None:
    from typing import Any

    from newsdesk.eval.wmt_cache import CachedLLM

    class Fake:
        name, model = "fake", "fake-1"

        def __init__(self) -> None:
            self.calls = 0

        def complete_json(
            self, messages: list[dict[str, str]], schema: dict[str, object], max_tokens: int
        ) -> dict[str, Any]:
            self.calls += 1
            return {"point": messages[-1]["content"].upper()}

        def yes_probability(self, messages: list[dict[str, str]]) -> float | None:
            self.calls += 1
            return 0.75

    fake = Fake()
    path = tmp_path / "answers.jsonl"
    asked = [{"role": "user", "content": "abc"}]
    first = CachedLLM(fake, path)
    assert first.complete_json(asked, {}, 10) == {"point": "ABC"}
    assert first.yes_probability(asked) == 0.75
    again = CachedLLM(fake, path)  # a new process reads the kept answers
    assert again.complete_json(asked, {}, 10) == {"point": "ABC"}
    assert again.yes_probability(asked) == 0.75
    assert again.complete_json(asked, {}, 11) == {"point": "ABC"}  # another limit: asked
    assert (fake.calls, again.hits, again.misses) == (3, 2, 1)


def test_a_latin_letter_is_no_pinyin_syllable() -> None:
    # "Kamov" read as ka-mo-v (V from CC-CEDICT's V领) made the Ka-52's maker a romanized
    # name the source does not spell, and a human translation of 卡-52 was rejected.
    from newsdesk.summarize import words

    assert not words.is_pinyin("Kamov")
    assert words.is_pinyin("Haodong")
    assert words.names_not_in("俄武装直升机卡-52的升级版", "the Kamov Ka-52 upgrade") == []
    assert words.names_not_in("杨浩东说", "Rong Haidong said") == ["Rong Haidong"]


def test_an_ordinal_the_source_states_as_a_number_is_no_date() -> None:
    assert check("第二季度销量增长。", "Sales grew by the 2nd quarter.").missing == ()
    assert check("7月25日，羚羊迁徙。", "On 7/26, antelopes migrated.").missing == (("d", "7-26"),)
    assert check("下午4点开会。", "It met at four o’clock in the afternoon.").missing == ()


def test_a_day_stated_alone_lies_in_the_months_its_source_or_document_states() -> None:
    # made-up sentences: the month of a day stated alone (26日) must be one the text gives
    two_days = "7月25日，某县普降暴雨。26日，救援队进村。"
    assert check(two_days, "On July 26 rescuers entered the village.").ok
    assert check(two_days, "On June 26 rescuers entered the village.").missing == (("d", "6-26"),)
    alone = "26日，救援队进村。"
    assert check(alone, "On June 26 rescuers entered the village.").ok  # nothing says otherwise
    dateline = "本报某市7月26日电 某县连日降雨。"
    assert not check(alone, "On June 26 rescuers entered the village.", dateline).ok
    assert check(alone, "On July 26 rescuers entered the village.", dateline).ok


def test_a_figure_of_a_date_is_no_count() -> None:
    src = "据某区通报，25日该区新增无症状感染者。"
    assert check(src, "25 new asymptomatic cases were reported.").missing == (("n", 25.0),)
    assert check(src, "New asymptomatic cases were reported on the 25th.").ok
    assert check(src, "The 25th saw new asymptomatic cases.").ok
    assert check("10月，某厂产量上升。", "Output rose at 10 plants.").missing == (("n", 10.0),)
    # a span of days, a line's number and a range of dates stay what they are
    assert check("某基金7日年化收益率下降。", "The fund's 7-day annualized yield fell.").ok
    assert check("乘坐3号线的乘客10日内增加。", "Riders on Line 3 rose within 10 days.").ok
    assert check("展会于8月3日至5日举行。", "The fair runs from August 3 to 5.").ok
    assert check("展会于3日至5日举行。", "The fair runs from 3 to 5 August.").ok
    assert en_facts("as of 8:00 on the morning of July 24") == {("t", "8:00"), ("d", "7-24")}


def test_a_share_and_a_count_are_different_figures() -> None:
    assert check("某市出口增长30%。", "Exports rose by 30 tonnes.").missing == (("n", 30.0),)
    assert check("某市出口30吨。", "Exports rose 30%.").missing == (("pct", 30.0),)
    assert check("出口增长百分之三十。", "Exports rose 30 percent.").ok
    assert check("出口增长三成。", "Exports rose 30%.").ok
    assert check("增速提高2个百分点。", "Growth rose 2 percentage points.").ok
    assert check("授粉使某作物增产15%-30%。", "Pollination lifts yields by 15-30%.").ok
    assert check("某厂产量增长5%。", "Output posted a 5-percent rise.").ok


def test_a_name_translated_character_by_character_is_found() -> None:
    from newsdesk.summarize.entities import translated_names

    # made-up sentences: 段 "segment" read where the source spells the surname Duan
    src = "该厂厂长段明琪说，产量提升。"
    assert translated_names(src, "The plant head, Segment Mingqi, said output rose.") == [
        "Segment Mingqi"
    ]
    assert translated_names(src, "The plant head, Duan Mingqi, said output rose.") == []
    assert translated_names("报道说，卡-60将换装。", "The card-60 will be refitted.") == ["card-60"]
    assert translated_names("报道说，卡-60将换装。", "The Ka-60 will be refitted.") == []
    assert translated_names("歼-30亮相。", "The J-30 appeared.") == []
    problems = trace_problems(src, "The plant head, Segment Mingqi, said output rose.")
    assert problems == ["name translated as words: 'Segment Mingqi'"]


def test_a_place_named_as_another_kind_is_found() -> None:
    from newsdesk.summarize.entities import changed_place_kinds

    # made-up sentence: 石桥 is a town (镇), 柳树 a village (村)
    src = "最大降雨量出现在某区石桥镇柳树村。"
    assert changed_place_kinds(src, "Rain peaked in Shiqiao Village.") == ["Shiqiao Village"]
    assert changed_place_kinds(src, "Rain peaked in Liushu Village, Shiqiao Town.") == []
    assert changed_place_kinds(src, "Rain peaked in Shiqiao Township.") == []  # 镇, 乡 alike
    assert changed_place_kinds("某地降雨。", "Rain fell in Shiqiao Village.") == []
    problems = trace_problems(src, "Rain peaked in Shiqiao Village.")
    assert problems == ["'Shiqiao Village' is another kind of place"]


def test_months_after_a_figure_are_a_span_and_one_character_licenses_no_negation() -> None:
    # 1-7月: "the first seven months" states the span, not a count the source lacks.
    assert check("1-7月出口增长。", "Exports grew in the first seven months.").ok
    # 当 has a colloquial sense "to fail (a student)"; 当年 is "that year": "failed" is added.
    assert check("公司当年盈利。", "The company failed to make a profit that year.").negation
    assert check("企业缺乏资金。", "The firm lacks funds.").ok  # 缺乏 is "to lack"


def test_a_sum_in_another_currency_than_its_sources_is_rejected() -> None:
    # Seen in the demo digest: 56万元 (560,000 yuan) written "$560,000"; the figure matches.
    source = "氧化镨钕价格本周升至56万元/吨。"
    assert exact_problems(source, "The price rose to $560,000 per ton this week.")[0] == [
        "currency US dollars not in the source"
    ]
    assert exact_problems(source, "The price rose to 560,000 yuan per ton this week.")[0] == []
    assert check("港股收于20港元。", "The shares closed at HK$20.").ok  # Hong Kong's dollar
    assert not check("融资5亿美元。", "It raised 500 million yuan.").ok
    assert check("投入经费105万余元。", "It invested more than RMB 1.05 million.").ok
    assert check("编剧邓原几经打磨。", "Screenwriter Deng Yuan revised it several times.").ok


def test_a_level_is_not_a_change() -> None:
    # Seen in the demo digest: 上调至55.8万元/吨 ("raised to") written "increased by 558,000
    # yuan per ton"; the figure matches, the fact does not.
    source = "氧化镨钕价格上调至55.8万元/吨。"
    assert exact_problems(source, "The price was increased by 558,000 yuan per ton.")[0] == [
        "change or level 558,000 as a change not in the source"
    ]
    assert check(source, "The price was raised to 558,000 yuan per ton.").ok
    # The demo's own sentence: a unit between 至 and the figure.
    demo = "氧化镨钕挂牌价上调至每吨55.8万元，金属镨钕同步上调。"
    assert not check(demo, "The price has been increased by 558,000 yuan per ton.").ok
    assert check(demo, "The listed price was raised to 558,000 yuan per ton.").ok
    assert not check("价格上涨了5%，达到100元。", "The price rose to 5%.").ok
    assert check("价格上涨了5%，达到100元。", "The price rose by 5% to 100 yuan.").ok
    assert check("同比增长1.2%至3.5万吨。", "Output rose by 1.2% to 35,000 tons.").ok
    # 涨幅为 is the size of a move: "increased by" says so.
    assert check("CPI同比涨幅为5.4%。", "CPI increased by 5.4% year on year.").ok
    assert check("销量增长30%。", "Sales grew 30%.").ok  # no "by" or "to": not judged
    # After a rate's word, 为 and 至 give a move's size: 增长率为, 增速回落至, 降幅收窄至.
    assert check("增长率为5.3%。", "GDP grew by 5.3%.").ok
    assert check("增速回落至5.5%。", "It grew by 5.5%.").ok
    assert check("CPI降幅收窄至0.3%。", "CPI fell by 0.3%.").ok
    # Whole words only ("supported by 40" is no move), and "up to" is a ceiling.
    assert check("支持该倡议的国家达40个。", "The initiative is supported by 40 countries.").ok
    assert check("价格最高涨到10元。", "Prices went up to 10 yuan.").ok
