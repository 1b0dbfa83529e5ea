"""Cleaning: normalization, paragraph segmentation and boilerplate removal.

Cleaning runs once, before a document is stored; its paragraphs are then the
numbered paragraphs that citations refer to. Each rule removes whole
paragraphs (or an ad sentence inside one) and is counted, so its effect can be
measured on a corpus (``newsdesk ingest`` reports the total).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Full-width ASCII letters, digits and a few symbols become half-width; Chinese
# punctuation (，。：；？！（）) stays, since it is the normal form of Chinese text.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
for _keep in "，。：；？！（）【】《》「」『』、～":
    _FULLWIDTH.pop(ord(_keep), None)
_FULLWIDTH[0x3000] = 0x20  # ideographic space
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[ \t\u00a0\u2002-\u200a\u202f\u205f]+")
_HAN = r"\u3400-\u9fff\uf900-\ufaff"
_PUNCT_ZH = "，。：；？！（）【】《》「」『』、“”‘’"
_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{_HAN}{_PUNCT_ZH}]) (?=[{_HAN}{_PUNCT_ZH}])")


def normalize(text: str) -> str:
    """Normalize one paragraph: width, zero-width characters, whitespace."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH).translate(_FULLWIDTH)
    text = _SPACES.sub(" ", text.replace("\r", "")).strip()
    return text


def normalize_title(title: str) -> str:
    """A title on one line, normalized like a paragraph."""
    return normalize(" ".join(title.split()))


# Markdown decoration that is not text: heading marks, setext underlines,
# {#anchor} ids, emphasis markers, images and link targets.
_MD_ANCHOR = re.compile(r"\s*\{#[^}]*\}")
_MD_SETEXT = re.compile(r"\n[-=]{3,}\s*$")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def strip_markdown(paragraph: str) -> str:
    """Plain text of one Markdown paragraph."""
    p = _MD_SETEXT.sub("", paragraph)
    p = _MD_ANCHOR.sub("", p)
    p = _MD_HEADING.sub("", p)
    p = _MD_IMAGE.sub("", p)
    p = _MD_LINK.sub(r"\1", p)
    return _MD_EMPHASIS.sub(r"\2", p)


_BLANK_LINE = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；])|(?<=[.] )")
# Paragraphs longer than this are split at sentence ends, so that a citation
# points at a readable span (THUCNews stores whole articles as one line).
MAX_PARAGRAPH = 600


def split_paragraphs(text: str) -> list[str]:
    """Split a plain-text body into paragraphs.

    Blank lines separate paragraphs when the text has them, and single line
    breaks inside one are joined (with a space in English, none in Chinese);
    otherwise every line is a paragraph. Very long paragraphs are split at
    sentence ends.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return []
    if _BLANK_LINE.search(text):
        blocks = [_join_lines(b) for b in _BLANK_LINE.split(text)]
    else:
        blocks = text.split("\n")
    out: list[str] = []
    for b in blocks:
        out.extend(split_long(b))
    return [p for p in out if p.strip()]


def _join_lines(block: str) -> str:
    lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
    joined = ""
    for ln in lines:
        if joined and re.search(rf"[{_HAN}{_PUNCT_ZH}]$", joined) and re.match(rf"[{_HAN}]", ln):
            joined += ln
        else:
            joined = f"{joined} {ln}" if joined else ln
    return joined


def split_long(paragraph: str, limit: int = MAX_PARAGRAPH) -> list[str]:
    """Split a paragraph longer than ``limit`` characters at sentence ends."""
    if len(paragraph) <= limit:
        return [paragraph]
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if current and len(current) + len(sentence) > limit:
            parts.append(current.strip())
            current = ""
        current += sentence
    if current.strip():
        parts.append(current.strip())
    return parts


# --- boilerplate -----------------------------------------------------------

_SHARE_WORDS = frozenset(
    [
        "QQ空间",
        "新浪微博",
        "腾讯微博",
        "人人网",
        "开心网",
        "豆瓣",
        "豆瓣网",
        "微信",
        "朋友圈",
        "QQ好友",
        "分享",
        "分享到",
        "更多",
        "客户端",
        "表情",
        "打印",
        "关闭",
        "收藏",
        "返回顶部",
        "转发",
        "评论",
        "点赞",
        "字号",
        "大",
        "中",
        "小",
        "Facebook",
        "Twitter",
        "LinkedIn",
        "WhatsApp",
        "Email",
        "Share",
        "Print",
        "Tweet",
    ]
)
_SHARE_SPLIT = re.compile(r"[\s|/、,，:：]+")
_NAV_HEADINGS = frozenset(
    [
        "相关报道",
        "相关新闻",
        "相关阅读",
        "延伸阅读",
        "新闻推荐",
        "最新新闻",
        "热门推荐",
        "推荐阅读",
        "猜你喜欢",
        "热点新闻",
        "Related",
        "Related",
        "articles",
        "Related",
        "stories",
        "More",
        "on",
        "this",
        "story",
        "Read",
        "more",
    ]
)
_BULLET_LINK = re.compile(r"^[·•▪►]\s*\S")
_ONLY_SYMBOLS = re.compile(r"^[\W_]+$")
_BYLINE_ZH = re.compile(
    r"^[（(【\[]?\s*(?:本报|本刊|新华社|中新社)?\s*(?:特约|实习)?(?:记者|通讯员|实习生|撰稿人?)"
    r"(?!手记|观察|调查)[\s:：]*[\u4e00-\u9fff·]{2,4}(?:[\s、，,]+[\u4e00-\u9fff·]{2,4}){0,3}\s*(?:报道|摄影?|采写)?"
    r"\s*[）)】\]]?$"
)
_META_ZH = re.compile(
    r"^[（(]?\s*(?:责任编辑|责编|编辑|校对|审核|审校|作者|撰文|文|摄影|图片来源|头图来源|图源|来源|"
    r"文章来源|原标题|标签|关键词|声明)\s*[:：/]"
)
_WIDGET_EN = re.compile(
    r"^(?:Share(?: this(?: article| story| page)?)?|Advertisement|Read more|Related|"
    r"Sign up(?: for our newsletter)?|Follow us(?: on \w+)?)[.:!]?$",
    re.I,
)
_BYLINE_EN = re.compile(
    r"^(?:By|BY)\s+[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|and|&))*\s*(?:,.*)?$"
    r"|^(?:Reporting|Editing|Writing|Additional reporting)\s+by\b.{0,120}$"
)
_AD_CTA = re.compile(
    r"【[^】]{0,12}(?:点击|详情|投票|下载|开户|领取|查看|报名|订阅|福利|戳这里)[^】]{0,12}】"
    r"|尽在新浪财经APP|扫描?二维码|关注(?:微信)?公众号|(?:QQ|微信)群?\s*[:：]\s*\w+"
    r"|商圈\s*[:：]\s*\d+|未经[^，。]{0,8}授权[^。]{0,12}转载|您至少需输入\d+个字"
    r"|Advertisement$|Sign up for|Subscribe to our"
)
# Site notices of any length: 【版权提示】..., 【本文来源：Ebrun Go。...】, 【免责声明】...
_NOTICE = re.compile(
    r"^[【\[](?:版权|免责|本文来源|文章来源|声明|特别声明|风险提示)"
    r"|^.{0,12}声明[:：].{0,40}(?:凡本网注明|版权|转载|授权)"
)
_SENTENCE = re.compile(r"[^。！？!?】]*[。！？!?】]?")

# A paragraph this short that also matches an ad or metadata rule is dropped
# whole; a longer one only loses the matching sentence. Chosen by reading the
# ad paragraphs of zh_finance_2019 (the longest whole ad is ~130 characters).
_AD_WHOLE_MAX = 160


@dataclass(slots=True)
class CleanResult:
    """Cleaned paragraphs and what cleaning took away."""

    paragraphs: list[str]
    removed: int = 0  # whole boilerplate paragraphs removed
    trimmed: int = 0  # ad sentences cut out of longer paragraphs
    source_hint: str | None = None  # a source named by a 来源：line, when there was one


def _is_share_line(p: str) -> bool:
    words = [w for w in _SHARE_SPLIT.split(p) if w]
    return bool(words) and all(w in _SHARE_WORDS for w in words)


def _is_boilerplate(p: str) -> bool:
    if _is_share_line(p) or _ONLY_SYMBOLS.match(p) or _NOTICE.match(p) or _WIDGET_EN.match(p):
        return True
    if len(p) <= 60 and (_BULLET_LINK.match(p) or _BYLINE_ZH.match(p)):
        return True
    if len(p) <= 200 and _BYLINE_EN.match(p):
        return True
    if len(p) > _AD_WHOLE_MAX:
        return False
    if _META_ZH.match(p):
        return True
    # An ad paragraph ends in its call to action: "...上新浪头条。【点击看详情】".
    ends = [m.end() for m in _AD_CTA.finditer(p)]
    return bool(ends) and ends[-1] >= len(p.rstrip()) - 2


_SOURCE_HINT = re.compile(r"(?:^|\s)(?:文章)?来源[:：]\s*([^\s()（）]{2,20})")


def clean_paragraphs(raw: list[str], title: str = "", markdown: bool = False) -> CleanResult:
    """Normalize paragraphs and remove boilerplate; see the module docstring."""
    result = CleanResult(paragraphs=[])
    norm_title = normalize_title(title)
    in_nav = False
    previous = None
    for item in raw:
        for para in split_paragraphs(item) if "\n" in item else split_long(item):
            text = normalize(strip_markdown(para) if markdown else para)
            if not text:
                continue
            hint = _SOURCE_HINT.search(text)
            if hint and result.source_hint is None and len(text) <= _AD_WHOLE_MAX:
                result.source_hint = hint.group(1)
            if text.rstrip("：:") in _NAV_HEADINGS:
                in_nav = True  # a related-links block: drop its short lines that follow
                result.removed += 1
                continue
            if in_nav and len(text) <= 60:
                result.removed += 1
                continue
            in_nav = False
            if (
                _is_boilerplate(text)
                or text == previous
                or (not result.paragraphs and text == norm_title)
            ):
                result.removed += 1
                continue
            if _AD_CTA.search(text):
                kept = "".join(s for s in _SENTENCE.findall(text) if not _AD_CTA.search(s))
                kept = kept.strip()
                if len(kept) < 10:
                    result.removed += 1
                    continue
                result.trimmed += 1
                text = kept
            result.paragraphs.append(text)
            previous = text
    return result
