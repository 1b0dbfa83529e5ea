"""The topic overview: 3-6 key developments across a digest's stories.

Each development comes from the verified core viewpoints of the digest's
items. Items whose core viewpoints say much the same thing (embedding
similarity) form one development; a development of one item is that item's
core viewpoint, verified with its brief; a development of several is one
sentence the model writes from their core viewpoints, checked by the support
judge against the source sentences of every item it cites, and replaced by the
strongest item's own core viewpoint when the judge does not find it there.
Citations name the item and the paragraph: ``[2¶5]`` is paragraph 5 of the
digest's second item.
"""

from __future__ import annotations

from collections.abc import Sequence

from newsdesk.errors import ModelError
from newsdesk.model import Claim, Development, Document, Overview, Summary, Verdict
from newsdesk.summarize import prompts
from newsdesk.summarize.backends import LLM
from newsdesk.summarize.verify import Judge, has_cjk, passage, repair_language
from newsdesk.text.embed import Embedder

MAX_DEVELOPMENTS = 6
# Core viewpoints at least this similar report the same development (USE
# multilingual vectors; paraphrases of one event score 0.7-0.9, different
# events on one topic 0.3-0.6).
SAME_DEVELOPMENT = 0.7


DEVELOPMENT_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"development": {"type": "string", "maxLength": 400}},
    "required": ["development"],
}


def development_request(statements: Sequence[str], language: str) -> str:
    """Ask for one sentence stating what several articles' statements report together."""
    target = prompts.LANGUAGES.get(language, language)
    numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(statements, start=1))
    return (
        f"Statements from several news articles:\n{numbered}\n\n"
        f'Return JSON: "development", one {target} sentence of at most 35 words stating the '
        "development these statements report together, using only their facts."
    )


def group_items(
    cores: Sequence[Claim], embedder: Embedder, order: Sequence[int]
) -> list[list[int]]:
    """Indices of items grouped by development; ``order`` is the strongest first."""
    vecs = embedder.embed([c.text for c in cores])
    groups: list[list[int]] = []
    for i in order:
        for g in groups:
            if float(vecs[g[0]] @ vecs[i]) >= SAME_DEVELOPMENT:
                g.append(i)
                break
        else:
            groups.append([i])
    groups.sort(key=lambda g: -len(g))  # most widely reported first; stable otherwise
    return groups[:MAX_DEVELOPMENTS]


def make_overview(
    docs: Sequence[Document],
    summaries: Sequence[Summary],
    relevance: Sequence[float],
    *,
    language: str,
    embedder: Embedder,
    llm: LLM | None,
    judge: Judge | None,
) -> Overview:
    """Key developments across a digest's items (``docs[k-1]`` is item k)."""
    cores = [s.core_viewpoint for s in summaries]
    if not cores:
        return Overview(
            (),
            llm.name if llm else "extractive",
            notes=("no items",),
            prompt_version=prompts.PROMPT_VERSION,
        )
    order = sorted(range(len(cores)), key=lambda i: -relevance[i])
    developments = []
    notes: list[str] = []
    for members in group_items(cores, embedder, order):
        lead = members[0]
        own = Development(
            cores[lead].text,
            tuple((lead + 1, p) for p in cores[lead].citations),
            cores[lead].verdict,
            "also reported by items " + ", ".join(str(m + 1) for m in members[1:])
            if len(members) > 1
            else "",
        )
        if len(members) == 1 or llm is None:
            developments.append(own)
            continue
        try:
            developments.append(
                _combined(members, docs, cores, language=language, llm=llm, judge=judge)
            )
        except ModelError as e:
            notes.append(f"development of items {[m + 1 for m in members]}: {e}")
            developments.append(own)
    if len(cores) < 3:
        notes.append(f"only {len(cores)} items: fewer than 3 developments")
    return Overview(
        tuple(developments),
        llm.name if llm else "extractive",
        llm.model if llm else "none",
        tuple(notes),
        prompts.PROMPT_VERSION,
    )


def _combined(
    members: list[int],
    docs: Sequence[Document],
    cores: Sequence[Claim],
    *,
    language: str,
    llm: LLM,
    judge: Judge | None,
) -> Development:
    """One model sentence for several items, verified; the lead's own core if not supported."""
    answer = llm.complete_json(
        [
            {"role": "system", "content": prompts.system_prompt(language)},
            {
                "role": "user",
                "content": development_request([cores[m].text for m in members], language),
            },
        ],
        DEVELOPMENT_SCHEMA,
        max_tokens=120,
    )
    text = str(answer.get("development", "")).strip()
    if not text:
        raise ModelError(f"{llm.name} model {llm.model} wrote an empty development")
    claim = Claim(text, (1,))
    if language == "en" and has_cjk(text):
        claim = repair_language(llm, claim)
    cites = tuple((m + 1, p) for m in members for p in cores[m].citations)
    if judge is None:
        return Development(claim.text, cites, Verdict.UNCHECKED, claim.note)
    evidence = "\n".join(
        line.replace("[", f"[{m + 1}¶", 1)
        for m in members
        for line in passage(docs[m], cores[m]).splitlines()
    )
    if judge.supports(evidence, claim.text):
        return Development(claim.text, cites, Verdict.SUPPORTED, claim.note)
    lead = members[0]
    others = ", ".join(str(m + 1) for m in members[1:])
    return Development(
        cores[lead].text,
        tuple((lead + 1, p) for p in cores[lead].citations),
        cores[lead].verdict,
        f"also reported by items {others}; the combined sentence was not supported",
    )
