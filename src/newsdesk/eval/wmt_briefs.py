"""Briefs of unseen news against human translations (``newsdesk eval briefs``).

Each WMT21 document of one part (``eval/wmt.py``) becomes a document whose
paragraph n is segment n (the first segment, the headline, is its title
too), so a citation [n] points at segment n and its two professional English
translations. Every displayed claim (what a user sees: survivors of
verification) is measured against the translations of its cited paragraphs:

- numbers and dates: the share of the claim's figures (``summarize.facts``,
  formats normalized) that the cited translations state;
- content-word overlap: the share of the claim's content words found in the
  cited translations, and its lift over the mean of the uncited paragraphs;
- names: the share of the claim's capitalized words (not sentence-initial)
  found in the cited translations;
- romanized words that are not names: pinyin tokens (``summarize.words``)
  that no translation of the document contains ("Guai Mai", "Shi Fu").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from newsdesk.eval.citations import eval_document
from newsdesk.eval.wmt import WmtDoc
from newsdesk.model import Claim, Document
from newsdesk.summarize import SummaryOptions, summarize_document
from newsdesk.summarize.backends import LLM
from newsdesk.summarize.facts import en_facts, unmatched
from newsdesk.summarize.words import romanized_words
from newsdesk.text.segment import STOPWORDS

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_CAPITAL = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-z]+\b")


def as_document(doc: WmtDoc) -> Document:
    """The WMT21 document as a stored document: paragraph n is segment n."""
    return eval_document("wmt21", doc.doc_id, doc.zh, doc.zh[0][:80])


def content_words(text: str) -> set[str]:
    """Lower-case words of three letters or more that are not stopwords, plural s cut."""
    out = set()
    for w in _WORD.findall(text.lower()):
        w = w.strip("'-")
        if len(w) >= 3 and w not in STOPWORDS:
            out.add(w[:-1] if w.endswith("s") and len(w) > 4 else w)
    return out


@dataclass(frozen=True, slots=True)
class ClaimFigures:
    """The measurements of one displayed claim."""

    doc_id: str
    text: str
    citations: tuple[int, ...]
    figures: int  # numbers and dates in the claim
    figures_found: int  # of those, stated by the cited translations
    overlap: float  # content words found in the cited translations
    uncited_overlap: float  # the same against uncited paragraphs (mean)
    names: int
    names_found: int
    romanized: tuple[str, ...]  # pinyin tokens no translation of the document has
    note: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (claim text and figures; no source or reference text)."""
        return {
            "doc_id": self.doc_id,
            "claim": self.text,
            "citations": list(self.citations),
            "figures": self.figures,
            "figures_found": self.figures_found,
            "overlap": round(self.overlap, 4),
            "uncited_overlap": round(self.uncited_overlap, 4),
            "names": self.names,
            "names_found": self.names_found,
            "romanized": list(self.romanized),
            "note": self.note,
        }


def measure(doc: WmtDoc, claim: Claim) -> ClaimFigures:
    """One claim against the translations of its cited paragraphs."""
    refs = [" ".join(r) for r in doc.refs]
    cited = " ".join(refs[n - 1] for n in claim.citations if 1 <= n <= len(refs))
    uncited = [refs[k] for k in range(len(refs)) if k + 1 not in claim.citations]
    found = en_facts(claim.text)
    missing = unmatched(found, en_facts(cited))
    words = content_words(claim.text)
    cited_words = content_words(cited)
    overlap = len(words & cited_words) / max(1, len(words))
    others = [len(words & content_words(u)) / max(1, len(words)) for u in uncited]
    names = set(_CAPITAL.findall(claim.text)) - {w.capitalize() for w in STOPWORDS}
    lower_cited = cited.lower()
    everything = " ".join(refs).lower()
    everything += " " + everything.replace(" ", "")  # "Fukunbao" for "Fu Kunbao"
    return ClaimFigures(
        doc_id=doc.doc_id,
        text=claim.text,
        citations=claim.citations,
        figures=len(found),
        figures_found=len(found) - len(missing),
        overlap=overlap,
        uncited_overlap=sum(others) / max(1, len(others)),
        names=len(names),
        names_found=sum(n.lower() in lower_cited for n in names),
        romanized=tuple(w for w in romanized_words(claim.text) if w.lower() not in everything),
        note=claim.note,
    )


def evaluate(
    docs: Iterable[WmtDoc],
    llm: LLM | None,
    backend: str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, float], list[ClaimFigures]]:
    """Figures over every displayed claim of the briefs of ``docs``, and the claims themselves."""
    docs = list(docs)
    claims: list[ClaimFigures] = []
    seconds = 0.0
    chars = 0
    fallbacks = 0
    opts = SummaryOptions(backend=backend, language="en")
    for k, doc in enumerate(docs, start=1):
        document = as_document(doc)
        summary = summarize_document(document, opts, llm=llm)
        seconds += summary.seconds
        chars += sum(len(p) for p in document.paragraphs)
        fallbacks += summary.backend.startswith("extractive (")
        claims += [measure(doc, c) for c in summary.claims()]
        if progress:
            progress(k, len(docs))
    return summarize_figures(claims, len(docs), fallbacks, seconds, chars), claims


def summarize_figures(
    claims: list[ClaimFigures], docs: int, fallbacks: int, seconds: float, chars: int
) -> dict[str, float]:
    """The part's figures from its measured claims."""
    n = max(1, len(claims))
    figures = sum(c.figures for c in claims)
    names = sum(c.names for c in claims)
    cited = sum(c.overlap for c in claims) / n
    uncited = sum(c.uncited_overlap for c in claims) / n
    return {
        "documents": float(docs),
        "claims": float(len(claims)),
        "claims_per_document": len(claims) / max(1, docs),
        "figures": float(figures),
        "figures_found_rate": sum(c.figures_found for c in claims) / max(1, figures),
        "content_overlap": cited,
        "uncited_overlap": uncited,
        "overlap_lift": cited - uncited,
        "names_found_rate": sum(c.names_found for c in claims) / max(1, names),
        "romanized_claim_rate": sum(bool(c.romanized) for c in claims) / n,
        "fallback_rate": fallbacks / max(1, docs),
        "seconds_per_1500_chars": seconds / max(1, chars) * 1500,
    }
