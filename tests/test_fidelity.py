"""Conditions, hedges and speakers a claim must keep from its Chinese source."""

from __future__ import annotations

from newsdesk.model import Claim, Verdict
from newsdesk.summarize.fidelity import dropped, en_attributed, en_hedged, zh_attributed, zh_hedged
from newsdesk.summarize.prompts import close_request, judge_request
from newsdesk.summarize.verify import fidelity_focus, judge_claim

from .conftest import make_document


def test_conditions_and_expectations_in_chinese_and_english() -> None:
    assert zh_hedged("如果疫情恶化，政府将采取更严格的措施。") == "如果"
    assert zh_hedged("台风预计今晚登陆。") == "预计"
    assert zh_hedged("如浙江省检察院办理的案件") == ""  # 如: "for example"
    assert zh_hedged("若干企业停产。") == ""  # 若干: "several"
    # Hedge words inside other words: 虚拟 (virtual), 主要是 (mainly), 三万一千 (31,000).
    assert zh_hedged("虚拟现实和模拟试验主要是为了三万一千名学生。") == ""
    assert zh_hedged("公司拟收购该厂，万一失败则退出。") == "拟"
    assert en_hedged("If it worsens, stricter measures would follow.") == "If"
    assert en_hedged("The typhoon is expected to make landfall.") == "expected"
    assert en_hedged("The typhoon made landfall.") == ""
    # made-up sentences: the future of 将于/将在 is kept, 将 as 把 ("takes") is none
    assert zh_hedged("新剧将于下周一在某台首播。") == "将"
    assert zh_hedged("会议将在某市举行。") == "将"
    assert zh_hedged("他必将在会上发言。") == ""
    assert zh_hedged("该厂将废水集中处理。") == ""


def test_speakers_in_chinese_and_english() -> None:
    assert zh_attributed("专家认为，越南作出了重要贡献。") == "认为"
    assert zh_attributed("该方法说明了问题，也就是说效果很好。") == ""  # 说明, 也就是说
    assert zh_attributed("数据显示，就业增长。") == ""  # 数据 is no 据
    assert zh_attributed("俄武装直升机（下称武直）卡-52升级。") == ""  # 下称: "hereinafter"
    assert zh_attributed("拥有“塞上江南”美称的宁夏") == ""  # 美称: a fond name
    assert zh_attributed("据新华社报道，会议举行。").startswith("据")
    assert zh_attributed("虽说如此，该企业称霸市场，在他看来很难。") == ""  # no speaker
    assert en_attributed("Experts believe Vietnam contributed.") == "believe"
    assert en_attributed("Vietnam made significant contributions.") == ""


def test_what_a_claim_dropped_is_named() -> None:
    assert dropped("专家认为，越南作出了重要贡献。", "Vietnam made contributions.") == ("", "认为")
    assert dropped("如果恶化，将采取措施。", "It worsened and measures were taken.") == ("如果", "")
    assert dropped("如果恶化，将采取措施。", "If it worsens, measures will be taken.") == ("", "")
    assert fidelity_focus("台风预计今晚登陆。", "The typhoon landed tonight.") == "hedge 预计"


def test_the_first_rewrite_is_rejected_and_the_closer_one_is_asked_about_it() -> None:
    source = "专家认为，越南为此作出了重要贡献。"
    doc = make_document("t", (source,), source="s", source_display="S", published_at=None)

    class Asked:
        def __init__(self) -> None:
            self.focus: list[str] = []

        def supports(self, passage: str, claim: str, focus: str = "") -> bool:
            self.focus.append(focus)
            return True

    judge = Asked()
    first = Claim("Vietnam made important contributions.", (1,), evidence=(source,))
    rejected = judge_claim(judge, doc, first)
    assert rejected.verdict is Verdict.UNSUPPORTED
    assert "speaker dropped (认为)" in rejected.note
    assert judge.focus == []  # rejected before the judge
    close = Claim(first.text, (1,), note="rewritten closely after NO", evidence=(source,))
    assert judge_claim(judge, doc, close).verdict is Verdict.SUPPORTED
    assert judge.focus == ["said 认为"]
    assert "认为" in judge_request(source, first.text, "said 认为")
    assert "认为" in close_request(source, "en", "said 认为")
    assert "认为" not in close_request("越南作出了贡献。", "en")


def test_the_brief_names_every_romanized_name_once() -> None:
    from newsdesk.model import Group
    from newsdesk.summarize.brief import _romanized_note

    core = Claim("Fu Kunbao left.", (1,), note="names romanized: Fu Kunbao")
    points = (
        Claim("Zhou Yan packed.", (2,), note="rewritten closely; names romanized: Zhou Yan"),
        Claim("Fu Kunbao came back.", (3,), note="names romanized: Fu Kunbao"),
        Claim("Exports fell.", (4,)),
    )
    assert _romanized_note(core, [Group("G", points)]) == ["names romanized: Fu Kunbao, Zhou Yan"]
    assert _romanized_note(points[2], [Group("G", points[2:])]) == []


def test_a_general_is_no_future() -> None:
    # 名将 "famous athlete" and 老将 "veteran" hold 将 before 在; only 将于/将在 state a future.
    assert zh_hedged("中国名将在决赛中夺冠。") == ""
    assert zh_hedged("老将在比赛中发挥出色。") == ""
    assert zh_hedged("会议将于明天举行。") == "将"
