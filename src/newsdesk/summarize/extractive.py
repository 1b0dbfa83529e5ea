"""The extractive backend: no model; a brief quotes the planned sentences, cited exactly.

It registers in ``newsdesk.llms`` like the model backends (``--backend
extractive``), and writes the fallback brief when a model fails. Its claims
are the source sentences themselves, in the source language, so they are
supported by construction and no judge reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from newsdesk.errors import ModelError
from newsdesk.model import Claim, Document, Group, Summary, Verdict
from newsdesk.summarize import prompts
from newsdesk.summarize.backends import JSONObject, Messages
from newsdesk.summarize.headings import heading as phrase_heading
from newsdesk.summarize.plan import Plan, Sentence

QUOTED = "quoted from the cited paragraph"


class Extractive:
    """The backend without a model (``model`` is "none")."""

    name = "extractive"
    model = "none"

    def __init__(self, model: str | None = None) -> None:
        """``model`` is taken like any backend's, and means nothing here."""

    def complete_json(
        self, messages: Messages, schema: dict[str, object], max_tokens: int
    ) -> JSONObject:
        """There is no model to ask: a ModelError, as for a model that failed."""
        raise ModelError("the extractive backend has no model to ask")

    def brief(
        self, doc: Document, plan: Plan, *, fallback_from: str = "", note: str = ""
    ) -> Summary:
        """The planned sentences as the brief; ``fallback_from`` names the backend that failed."""
        core = Claim(
            plan.core[0].text, cites(plan.core), Verdict.SUPPORTED, QUOTED, evidence(plan.core)
        )
        groups = tuple(
            Group(
                phrase_heading([s.text for s in sents]) or "Details",
                tuple(
                    Claim(s.text, (s.paragraph,), Verdict.SUPPORTED, QUOTED, (s.text,))
                    for s in sents
                ),
            )
            for sents in plan.groups
        )
        return Summary(
            doc_id=doc.id,
            core_viewpoint=core,
            groups=groups,
            language=doc.language,
            backend=f"extractive (fallback from {fallback_from})" if fallback_from else self.name,
            model=self.model,
            prompt_version=prompts.PROMPT_VERSION,
            created_at=datetime.now(UTC),
            notes=(note,) if note else (),
        )


def cites(sentences: Sequence[Sentence]) -> tuple[int, ...]:
    """The paragraphs of ``sentences``, each once, at most three."""
    return tuple(dict.fromkeys(s.paragraph for s in sentences))[:3]


def evidence(sentences: Sequence[Sentence]) -> tuple[str, ...]:
    """The sentences inside the cited paragraphs (what a claim from them rests on)."""
    cited = cites(sentences)
    return tuple(s.text for s in sentences if s.paragraph in cited)
