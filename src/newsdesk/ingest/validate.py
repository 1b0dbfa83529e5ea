"""Every record is validated once, here, where it enters; later stages trust the model types.

Text is normalized (NUL and other control characters removed, lone surrogates
replaced by U+FFFD), a URL is kept only with a safe scheme (http, https),
publish dates outside a sane range are dropped with a warning, and the
paragraphs are held to the budget (characters per paragraph, paragraphs per
document).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from newsdesk.errors import OverBudget
from newsdesk.ingest.budget import Budget
from newsdesk.ingest.policy import WEB_SCHEMES
from newsdesk.ingest.sources import RawArticle

# C0 controls except tab and line breaks; vertical tab and form feed become
# line breaks. DEL stays: harmless, and two stored corpus paragraphs carry one
# (removing it would give their documents new ids on the next ingest).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
_SURROGATE = re.compile("[\ud800-\udfff]")

# Publish times before this or later than this past now are errors of the
# record (a zero timestamp, a year typed wrong), not news: stored undated.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)  # feeds in a zone ahead of ours, clocks a little off
MAX_DATE_CHARS = 200  # no date we parse is longer; dateutil on a megabyte would crawl


def clean_text(text: str) -> str:
    """``text`` without control characters and lone surrogates."""
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub("", text.translate(_LINE_BREAKS))


def _optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def validate_raw(raw: RawArticle, budget: Budget) -> RawArticle:
    """The record with its text normalized and unsafe fields dropped (with warnings)."""
    warnings = list(raw.warnings)
    nonblank = sum(1 for p in raw.paragraphs if p.strip())
    if nonblank > 2 * budget.max_paragraphs:
        raise OverBudget(raw.where, _too_many(nonblank, budget))
    url = _optional(raw.url)
    if url is not None and urlsplit(url.strip()).scheme.lower() not in WEB_SCHEMES:
        warnings.append(f"url {url[:80]!r} dropped: only http and https URLs are kept")
        url = None
    date = _optional(raw.date)
    if date is not None and len(date) > MAX_DATE_CHARS:
        warnings.append(f"unrecognized date of {len(date)} characters: stored undated")
        date = None
    return replace(
        raw,
        paragraphs=[clean_text(p) for p in raw.paragraphs],
        title=_optional(raw.title),
        date=date,
        source=_optional(raw.source),
        url=url,
        origin=_optional(raw.origin),
        warnings=warnings,
    )


def _too_many(n: int, budget: Budget) -> str:
    return (
        f"over budget: {n} paragraphs, more than {budget.max_paragraphs} (NEWSDESK_MAX_PARAGRAPHS)"
    )


def bound_paragraphs(paragraphs: list[str], budget: Budget, where: str) -> list[str]:
    """Cut paragraphs longer than the budget (at a space where there is one); cap their count."""
    limit = budget.max_paragraph_chars
    out: list[str] = []
    for p in paragraphs:
        while len(p) > limit:
            cut = p.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            out.append(p[:cut].strip())
            p = p[cut:].strip()
        if p:
            out.append(p)
        if len(out) > budget.max_paragraphs:
            raise OverBudget(
                where,
                f"over budget: more than {budget.max_paragraphs} paragraphs after splitting "
                "(NEWSDESK_MAX_PARAGRAPHS)",
            )
    return out


def sane_date(published: datetime, now: datetime) -> bool:
    """Whether a parsed publish time lies between 1900 and just after ``now``."""
    try:
        return EARLIEST <= published <= now + FUTURE_SLACK
    except (OverflowError, ValueError):
        return False
