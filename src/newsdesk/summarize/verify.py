"""Verification of every claim before a user sees it.

1. A citation outside 1..n (n paragraphs) is removed; a claim left without one
   is dropped.
2. A support judge (the LLM answering YES/NO, one short call per claim with
   its cited paragraphs) decides whether the paragraphs state the claim;
   embedding similarity cannot tell "rose 30%" from "rose 50%".
3. An English claim with leftover Chinese characters gets one repair call;
   what remains after it (names the model does not know) is romanized with
   pinyin, and the claim carries the note "names romanized".
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

from newsdesk import config
from newsdesk.errors import ModelError
from newsdesk.model import Document
from newsdesk.summarize import prompts
from newsdesk.summarize.backends import LLM
from newsdesk.summarize.schema import Claim, Verdict

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Characters of each cited paragraph the judge reads: enough for the sentence a
# claim came from, short enough to keep one check near 2 s on 2 cores.
JUDGE_CHARS = 400


class Judge(Protocol):
    """Decides whether a passage supports a claim (pluggable)."""

    def supports(self, passage: str, claim: str) -> bool:
        """True when the passage states the claim."""
        ...


class LLMJudge:
    """The language model as the support judge.

    Where the backend reports log-probabilities (llama.cpp, most OpenAI-compatible
    servers), the judge reads P(YES) of a one-token answer and says YES only at
    ``threshold`` or above: a small model leans to YES, and a threshold above
    0.5, chosen on held-out pairs, corrects that. Elsewhere it asks for a
    schema-constrained YES or NO.
    """

    def __init__(self, llm: LLM, threshold: float | None = None) -> None:
        self.llm = llm
        self.threshold = threshold if threshold is not None else config.get_float("judge_threshold")

    def score(self, passage: str, claim: str) -> float | None:
        """P(YES) from the model, or None where the backend cannot tell."""
        ask = getattr(self.llm, "yes_probability", None)
        if ask is None:
            return None
        messages = [
            {"role": "system", "content": prompts.JUDGE_SYSTEM},
            {
                "role": "user",
                "content": prompts.judge_request(passage, claim) + prompts.JUDGE_ONE_WORD,
            },
        ]
        try:
            p = ask(messages)
        except ModelError:
            return None
        return float(p) if p is not None else None

    def supports(self, passage: str, claim: str) -> bool:
        """Ask the model; an unusable answer counts as NO."""
        p = self.score(passage, claim)
        if p is not None:
            return p >= self.threshold
        messages = [
            {"role": "system", "content": prompts.JUDGE_SYSTEM},
            {"role": "user", "content": prompts.judge_request(passage, claim)},
        ]
        try:
            answer = self.llm.complete_json(messages, prompts.JUDGE_SCHEMA, max_tokens=8)
        except ModelError:
            return False
        return str(answer.get("answer", "")).upper() == "YES"


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds any Han character."""
    return _HAN.search(text) is not None


def valid_citations(claim: Claim, n_paragraphs: int) -> Claim:
    """The claim without citations outside 1..n (duplicates removed, order kept)."""
    kept = tuple(dict.fromkeys(c for c in claim.citations if 1 <= c <= n_paragraphs))
    return replace(claim, citations=kept)


def passage(doc: Document, claim: Claim) -> str:
    """What the judge reads: the claim's source sentences, or its cited paragraphs.

    A claim written from known sentences is checked against those sentences
    alone, and only when each lies inside a cited paragraph: what a sentence
    states, its paragraph states. Reading one sentence instead of 400
    characters makes a check about three times faster on 2 cores, and the
    judge is not distracted by the rest of the paragraph.
    """
    cited = [doc.paragraph(n) for n in claim.citations]
    if claim.evidence and all(any(e in p for p in cited) for e in claim.evidence):
        numbered = []
        for e in claim.evidence:
            n = next(n for n, p in zip(claim.citations, cited, strict=True) if e in p)
            numbered.append(f"[{n}] {e}")
        return "\n".join(numbered)
    return "\n".join(
        f"[{n}] {p[:JUDGE_CHARS]}" for n, p in zip(claim.citations, cited, strict=True)
    )


def romanize_leftovers(text: str) -> str:
    """Pinyin for every run of Han characters left in an English sentence.

    What the model leaves untranslated after its repair attempt is almost always
    a name it does not know (a person, a company, a place): pinyin with capitals
    is how English news writes those (崔新生 -> Cui Xin Sheng).
    """
    from newsdesk.ingest.names import romanize

    return _HAN_RUN.sub(lambda m: " " + romanize(m.group(0)) + " ", text).replace("  ", " ").strip()


_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def repair_language(llm: LLM, claim: Claim) -> Claim:
    """One model attempt to remove leftover Chinese, then pinyin for what remains (noted)."""
    if not has_cjk(claim.text):
        return claim
    messages = [
        {"role": "system", "content": prompts.system_prompt("en")},
        {"role": "user", "content": prompts.repair_request(claim.text)},
    ]
    try:
        fixed = str(llm.complete_json(messages, prompts.REPAIR_SCHEMA, max_tokens=160)["text"])
    except ModelError:
        fixed = claim.text
    if fixed.strip() and not has_cjk(fixed):
        return replace(claim, text=fixed.strip())
    text = fixed.strip() or claim.text
    note = "; ".join(n for n in (claim.note, "names romanized") if n)
    return replace(claim, text=romanize_leftovers(text), note=note)


def judge_claim(judge: Judge | None, doc: Document, claim: Claim) -> Claim:
    """The claim with the judge's verdict (unchanged without a judge, or if flagged)."""
    if judge is None or claim.verdict is Verdict.FLAGGED:
        return claim
    ok = judge.supports(passage(doc, claim), claim.text)
    return claim.with_verdict(Verdict.SUPPORTED if ok else Verdict.UNSUPPORTED)
