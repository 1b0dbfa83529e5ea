"""Structured briefs with verified paragraph citations (the seed page's summaries).

The pipeline is ``summarize.brief`` (plan, rewrite, verify, cache); the
backends are ``summarize.backends`` (local, openai) and
``summarize.extractive``, all registered in ``newsdesk.llms``. This package
re-exports the public API.
"""

from newsdesk.model import Claim, Group, Summary, Verdict
from newsdesk.summarize.brief import (
    RETRIED,
    STAGE_SECONDS,
    UNJUDGED,
    SummaryOptions,
    cached_summary,
    chat_model,
    core_viewpoint,
    summarize,
    summarize_document,
)

__all__ = [
    "RETRIED",
    "STAGE_SECONDS",
    "UNJUDGED",
    "Claim",
    "Group",
    "Summary",
    "SummaryOptions",
    "Verdict",
    "cached_summary",
    "chat_model",
    "core_viewpoint",
    "summarize",
    "summarize_document",
]
