from __future__ import annotations

import pytest

from newsdesk.ingest.clean import clean_paragraphs, normalize, split_paragraphs
from newsdesk.text.lang import detect_language


def test_share_buttons_bylines_and_editor_lines_are_removed() -> None:
    raw = [
        "QQ空间",
        "新浪微博",
        "分享到 微信 | 朋友圈",
        "中国商务部公布了今年第二批稀土出口配额。",
        "本报记者 吴敏 袁瑞娟",
        "(记者 曾健辉)",
        "责任编辑：王磊",
        "By Jane Smith",
    ]
    result = clean_paragraphs(raw, "稀土配额")
    assert result.paragraphs == ["中国商务部公布了今年第二批稀土出口配额。"]
    assert result.removed == 7


def test_ad_paragraph_removed_whole_but_ad_inside_text_only_trimmed() -> None:
    ad = "2019“银华基金杯”理财师大赛重磅来袭，报名即可领取666元超值好礼。【点击看详情】"
    mixed = "稀土价格本周上涨。【点击看详情】 北方稀土上调挂牌价。"
    result = clean_paragraphs([ad, mixed, "海量资讯、精准解读，尽在新浪财经APP"])
    assert result.paragraphs == ["稀土价格本周上涨。 北方稀土上调挂牌价。"]
    assert result.removed == 2
    assert result.trimmed == 1


def test_related_links_block_is_dropped() -> None:
    raw = ["正文第一段，关于稀土。", "相关报道", "·稀土价格走强", "·商务部回应"]
    assert clean_paragraphs(raw).paragraphs == ["正文第一段，关于稀土。"]


def test_real_sentences_that_mention_reporters_are_kept() -> None:
    raw = ["记者从商务部获悉稀土配额", "记者手记"]
    assert clean_paragraphs(raw).paragraphs == raw


def test_title_repeated_as_first_paragraph_is_dropped() -> None:
    assert clean_paragraphs(["稀土新闻", "正文。"], "稀土新闻").paragraphs == ["正文。"]


def test_source_hint_from_metadata_line() -> None:
    result = clean_paragraphs(["原标题：某公司回购股份 来源：格隆汇", "正文。"])
    assert result.source_hint == "格隆汇"
    assert result.paragraphs == ["正文。"]


def test_normalize_width_and_spaces_but_keeps_chinese_punctuation() -> None:
    assert normalize("\u3000ＡＢＣ１２３，稀土\u200b  磁体。 ") == "ABC123，稀土 磁体。"


def test_split_paragraphs_blank_lines_join_wrapped_lines() -> None:
    text = "First line\nwraps here.\n\nSecond paragraph.\n\n第一行\n接着写。"
    assert split_paragraphs(text) == [
        "First line wraps here.",
        "Second paragraph.",
        "第一行接着写。",
    ]


def test_very_long_paragraph_is_split_at_sentence_ends() -> None:
    sentence = "稀土永磁体是现代工业的关键材料，广泛用于电机和风电。"
    parts = split_paragraphs(sentence * 60)
    assert len(parts) > 1
    assert all(len(p) <= 600 for p in parts)
    assert "".join(parts) == sentence * 60


def test_markdown_decoration_is_stripped() -> None:
    raw = ["引言：封关时代 {#introduction}\n-------", "**钕铁硼** 回收 [链接](http://x)"]
    assert clean_paragraphs(raw, markdown=True).paragraphs == ["引言：封关时代", "钕铁硼 回收 链接"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("中国稀土配额公布 西方国家仍不满足", "zh"),
        ("长实集团(1113.HK)斥252亿元全购Greene King", "zh"),
        ("Rare earth magnet exports fell 4% in November.", "en"),
        ("12345 ---", "und"),
        ("レアアースの輸出規制", "ja"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang
