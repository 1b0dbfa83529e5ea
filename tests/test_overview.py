from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np

from newsdesk.model import Claim, Document, Group, Summary, Verdict, document_id
from newsdesk.overview import make_overview
from newsdesk.summarize.backends import BaseLLM, Messages
from newsdesk.summarize.verify import LLMJudge

TOPICS = {"quota": 0, "magnet": 1, "price": 2}


def doc(i: int, text: str) -> Document:
    paragraphs = (f"导语{i}。", text)
    return Document(
        id=document_id("s", f"t{i}", paragraphs),
        title=f"t{i}",
        paragraphs=paragraphs,
        source="s",
        source_display="S",
        published_at=datetime(2025, 1, i + 1, tzinfo=UTC),
        language="zh",
        url=None,
        fetched_at=datetime(2025, 2, 1, tzinfo=UTC),
    )


def summary(d: Document, core: str) -> Summary:
    claim = Claim(core, (2,), Verdict.SUPPORTED, evidence=(d.paragraphs[1],))
    return Summary(
        d.id, claim, (Group("g", (claim,)),), "en", "scripted", "s-1", "v", datetime.now(UTC)
    )


class KeywordEmbedder:
    """Texts about the same keyword are identical vectors; others are orthogonal."""

    name = "kw"
    dim = 4

    def embed(self, texts: Any) -> Any:
        rows = []
        for t in texts:
            v = np.zeros(4, dtype=np.float32)
            v[next((k for w, k in TOPICS.items() if w in t), 3)] = 1
            rows.append(v)
        return np.array(rows)


class Scripted(BaseLLM):
    name = "scripted"
    model = "s-1"

    def __init__(self, supported: bool) -> None:
        self.supported = supported
        self.passages: list[str] = []

    def _chat(self, messages: Messages, schema: dict[str, object], max_tokens: int) -> str:
        props = schema["properties"]
        assert isinstance(props, dict)
        if "development" in props:
            return json.dumps({"development": "Two articles report the quota."})
        self.passages.append(messages[-1]["content"])
        return json.dumps({"answer": "YES" if self.supported else "NO"})


def items() -> tuple[list[Document], list[Summary]]:
    texts = ["quota one", "magnet one", "quota two", "price one"]
    docs = [doc(i, t) for i, t in enumerate(texts)]
    return docs, [summary(d, f"The {t}.") for d, t in zip(docs, texts, strict=True)]


def test_items_on_one_development_become_one_cited_sentence() -> None:
    docs, sums = items()
    llm = Scripted(supported=True)
    o = make_overview(
        docs, sums, [0.9, 0.8, 0.7, 0.6], language="en",
        embedder=KeywordEmbedder(), llm=llm, judge=LLMJudge(llm),
    )  # fmt: skip
    assert [d.text for d in o.developments] == [
        "Two articles report the quota.",
        "The magnet one.",
        "The price one.",
    ]
    assert o.developments[0].citations == ((1, 2), (3, 2))
    assert o.developments[0].verdict is Verdict.SUPPORTED
    # the judge read the source sentences of both items, numbered [item¶paragraph]
    assert "[1¶2] quota one" in llm.passages[0]
    assert "[3¶2] quota two" in llm.passages[0]


def test_an_unsupported_combined_sentence_gives_way_to_the_lead_item() -> None:
    docs, sums = items()
    llm = Scripted(supported=False)
    o = make_overview(
        docs, sums, [0.5, 0.8, 0.9, 0.6], language="en",
        embedder=KeywordEmbedder(), llm=llm, judge=LLMJudge(llm),
    )  # fmt: skip
    first = o.developments[0]
    assert first.text == "The quota two."  # item 3 is the more relevant of the two
    assert first.citations == ((3, 2),)
    assert "also reported by items 1" in first.note


def test_without_a_model_each_development_is_an_items_core_viewpoint() -> None:
    docs, sums = items()
    o = make_overview(
        docs[:2], sums[:2], [0.9, 0.8], language="en",
        embedder=KeywordEmbedder(), llm=None, judge=None,
    )  # fmt: skip
    assert [d.citations for d in o.developments] == [((1, 2),), ((2, 2),)]
    assert o.notes == ("only 2 items: fewer than 3 developments",)
