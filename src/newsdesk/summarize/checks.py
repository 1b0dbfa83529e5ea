"""The exact checks of a claim against its source, in one call.

Each check is exact where it runs (``facts``: figures and negation; ``money``:
currencies; ``change``: a change against a level), so all of them run in front
of the support judge (``verify``), which misses a changed figure often.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsdesk.summarize.change import moves_misread
from newsdesk.summarize.facts import (
    Fact,
    either_way,
    en_facts,
    en_negated,
    unlicensed,
    unmatched,
    zh_facts,
    zh_negated,
)
from newsdesk.summarize.money import currencies_missing


@dataclass(frozen=True, slots=True)
class Check:
    """What the exact checks found: figures the source lacks, a one-sided negation."""

    missing: tuple[Fact, ...]
    negation: str  # "" (agree), "claim only" or "source only"

    @property
    def ok(self) -> bool:
        """No figure missing and the negation agreeing."""
        return not self.missing and not self.negation


def check(source_zh: str, claim_en: str, context_zh: str = "") -> Check:
    """The exact checks of an English claim against its Chinese source sentences
    (``context_zh``: the rest of the document, whose months a day alone may lie in)."""
    context = zh_facts(context_zh) if context_zh else None
    missing = unmatched(en_facts(claim_en), zh_facts(source_zh), context)
    missing += currencies_missing(source_zh, claim_en)
    missing += moves_misread(source_zh, claim_en)
    negation = _one_sided(source_zh, claim_en)
    if negation and (plain := either_way(claim_en)) != claim_en:
        negation = negation if _one_sided(source_zh, plain) else ""  # "no choice but"
    return Check(tuple(missing), negation)


def _one_sided(source_zh: str, claim_en: str) -> str:
    """ "" when both state a negation or neither does, else "claim only" or "source only"."""
    src, clm = zh_negated(source_zh), en_negated(claim_en)
    if clm:  # "lacks" for 缺乏, "illegal" for 违法: the claim's negation may be the source's word
        rest_zh, rest_en = unlicensed(source_zh, claim_en)
        src, clm = zh_negated(rest_zh), en_negated(rest_en)
    return "" if src == clm else ("claim only" if clm else "source only")
