"""Money: the currency of a claim's sums against its source's (an exact check, checks.check)."""

from __future__ import annotations

import re

# A sum in another currency than its source's is another sum, though its figure
# matches (56万元 written "$560,000"). US dollars: "$" after no letter (HK$ is
# Hong Kong's), US$, USD, "US dollar"; yuan: yuan (lower case: Deng Yuan is a
# name), RMB, renminbi, CNY. In the source: 美元 or 美金, and 元 after a figure
# (105万余元), or 人民币.
_EN_CURRENCY = {
    "US dollars": re.compile(r"(?<![A-Za-z])\$|\bUS\$|\bUSD|\bUS dollars?\b"),
    "yuan": re.compile(r"\byuan\b|\bRMB|\b[Rr]enminbi\b|\bCNY"),  # not the name Yuan
}
_ZH_CURRENCY = {
    "US dollars": re.compile(r"美元|美金|\$|USD"),
    "yuan": re.compile(r"[\d〇零一二两三四五六七八九十百千万亿][余多]?\s*元|人民币|RMB|CNY"),
}


def currencies_missing(source_zh: str, claim_en: str) -> list[tuple[str, str]]:
    """The currencies the claim's sums are in that its source names none of."""
    return [
        ("currency", name)
        for name, pattern in _EN_CURRENCY.items()
        if pattern.search(claim_en) and not _ZH_CURRENCY[name].search(source_zh)
    ]
