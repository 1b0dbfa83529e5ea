"""Structured briefs with verified paragraph citations (the seed page's summaries).

The pipeline is ``summarize.brief``; this package re-exports its public API.
"""

from newsdesk.summarize.brief import (
    RETRIED,
    STAGE_SECONDS,
    UNJUDGED,
    Claim,
    Group,
    Summary,
    SummaryOptions,
    Verdict,
    _model_name,
    cached_summary,
    core_viewpoint,
    model_for,
    summarize,
    summarize_document,
    use_model,
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
    "_model_name",
    "cached_summary",
    "core_viewpoint",
    "model_for",
    "summarize",
    "summarize_document",
    "use_model",
]
