from __future__ import annotations

from datetime import UTC, datetime

from newsdesk.model import Claim, Document, Group, Overview, Summary, Verdict
from newsdesk.overview import make_overview
from newsdesk.summarize.verify import LLMJudge
from tests.conftest import KeywordEmbedder, ScriptedLLM, make_document

TOPICS = {"quota": 0, "magnet": 1, "price": 2}


def doc(i: int, text: str) -> Document:
    return make_document(
        f"t{i}",
        (f"导语{i}。", text),
        source="s",
        source_display="S",
        published_at=datetime(2025, 1, i + 1, tzinfo=UTC),
    )


def summary(d: Document, core: str) -> Summary:
    claim = Claim(core, (2,), Verdict.SUPPORTED, evidence=(d.paragraphs[1],))
    return Summary(
        d.id, claim, (Group("g", (claim,)),), "en", "scripted", "s-1", "v", datetime.now(UTC)
    )


def items() -> tuple[list[Document], list[Summary]]:
    texts = ["quota one", "magnet one", "quota two", "price one"]
    docs = [doc(i, t) for i, t in enumerate(texts)]
    return docs, [summary(d, f"The {t}.") for d, t in zip(docs, texts, strict=True)]


def judged_overview(relevance: list[float], llm: ScriptedLLM) -> Overview:
    """The overview of the four items, each with its relevance, judged by ``llm``."""
    docs, sums = items()
    return make_overview(
        docs, sums, relevance, language="en",
        embedder=KeywordEmbedder(TOPICS), llm=llm, judge=LLMJudge(llm),
    )  # fmt: skip


def test_items_on_one_development_become_one_cited_sentence() -> None:
    llm = ScriptedLLM(supported=True)
    o = judged_overview([0.9, 0.8, 0.7, 0.6], llm)
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
    llm = ScriptedLLM(supported=False)
    o = judged_overview([0.5, 0.8, 0.9, 0.6], llm)
    first = o.developments[0]
    assert first.text == "The quota two."  # item 3 is the more relevant of the two
    assert first.citations == ((3, 2),)
    assert "also reported by items 1" in first.note


def test_without_a_model_each_development_is_an_items_core_viewpoint() -> None:
    docs, sums = items()
    o = make_overview(
        docs[:2], sums[:2], [0.9, 0.8], language="en",
        embedder=KeywordEmbedder(TOPICS), llm=None, judge=None,
    )  # fmt: skip
    assert [d.citations for d in o.developments] == [((1, 2),), ((2, 2),)]
    assert o.notes == ("only 2 items: fewer than 3 developments",)
