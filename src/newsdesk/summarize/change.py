"""A change and its level: "rose by N" against a source's 涨至N (an exact check, checks.check).

The figure of "the price was increased by 558,000 yuan per ton" matches the
source's 上调至55.8万元/吨, and the claim is still wrong: the source says the
price rose *to* that sum. A figure the claim gives as a change ("by N") that
the source gives only as a level (至, 到, 达 N), or a level ("to N") the source
gives only as a change (涨了 N, 增加 N), is another fact.
"""

from __future__ import annotations

import re

from newsdesk.summarize.facts import Fact, en_facts, unmatched, zh_facts

_MOVE = (
    r"\b(?:increas|rais|ris|rose|grew|grow|gain|climb|jump|surg|soar|fell|fall|drop|declin|"
    r"decreas|cut|lower|reduc|slid|shrank|shrink|expand|narrow|widen|up|down)\w*"
)
_EN_SUM = r"((?:US)?\$?\s?\d[\d,.]*(?:\s?(?:%|percent|per cent|million|billion|trillion))?)"
_EN_BY = re.compile(_MOVE + r"\s+by\s+(?:about |around |nearly |almost |some |over )?" + _EN_SUM)
_EN_TO = re.compile(
    _MOVE + r"(?<!\bup)\s+to\s+(?:about |around |nearly |almost |some |over )?" + _EN_SUM
)

_ZH_NUMBER = r"([\d.,〇零一二两三四五六七八九十百千万亿]+[余多]?\s*(?:[%％]|个百分点)?)"
# The level a move reaches (涨至, 升到, 达到, 降为) and the size of a move (涨了, 增加,
# 上调); a unit or an approximation may stand before the figure (上调至每吨55.8万元,
# 增加约3成). After a rate's word (增长率为, 增速回落至, 降幅收窄至, 涨幅达) 为, 至 and 达
# give the size of a move too (_values).
_BEFORE = r"(?:每[吨公斤克桶股件辆台个斤升]|约|近|超过|逾|了)?"
_ZH_LEVEL = re.compile(r"(?:至|到|达|为)" + _BEFORE + _ZH_NUMBER)
_ZH_CHANGE = re.compile(
    r"(?:涨|升|增|降|跌|减|提高|上调|下调|增长|增加|减少|下降|上涨|下跌|扩大|缩小)"
    + _BEFORE
    + _ZH_NUMBER
)
_RATE = re.compile(r"[率速幅]")
RATE_REACH = 6  # characters before a level's 至 in which a rate's word makes it a move's size


def _values(text: str) -> tuple[set[Fact], set[Fact]]:
    """The figures ``text`` gives as levels, and those it gives as the size of a move."""
    levels: set[Fact] = set()
    changes = {f for m in _ZH_CHANGE.finditer(text) for f in zh_facts(m.group(1))}
    for m in _ZH_LEVEL.finditer(text):
        rate = _RATE.search(text[max(0, m.start() - RATE_REACH) : m.start()])
        (changes if rate else levels).update(zh_facts(m.group(1)))
    return levels, changes


def moves_misread(source_zh: str, claim_en: str) -> list[tuple[str, str]]:
    """The claim's figures read as a change where the source has a level, or the reverse."""
    levels, changes = _values(source_zh)
    out = []
    for pattern, said, other, kind in (
        (_EN_BY, changes, levels, "change"),
        (_EN_TO, levels, changes, "level"),
    ):
        for m in pattern.finditer(claim_en):
            facts = en_facts(m.group(1))
            # Every figure a level (change) of the source's, and none its change (level).
            if facts and not unmatched(facts, other) and len(unmatched(facts, said)) == len(facts):
                out.append(("move", f"{m.group(1).strip()} as a {kind}"))
    return out
