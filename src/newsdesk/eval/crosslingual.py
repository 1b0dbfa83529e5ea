"""The cross-lingual support set: Chinese sentences against English claims (``eval judge``).

Built from one part of WMT21 (see ``eval/wmt.py``): each Chinese segment is
paired with its human translation A (supported) and, where the translation
allows it, with the same translation changed in one way (not supported):

- number: its first figure changed (3 -> 4, 8,000 -> 10,400);
- date: the day of its first date moved by three, or its month changed;
- name: its first romanized Chinese name (two or more pinyin words, "Zhang
  Xiong") replaced by one from another document of the part;
- negation: "not" put after its first auxiliary verb, or its negation removed;
- other: the translation of another segment of the same document.

The gate (``summarize.facts``, ``summarize.words``) and the judge decide
together: a claim is supported when the exact checks pass and P(YES) reaches
the threshold. Balanced accuracy is the mean of the recall on supported pairs
and the share of changed pairs rejected; recall per kind is the share of that
kind rejected.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from newsdesk.eval.wmt import WmtDoc
from newsdesk.summarize import facts
from newsdesk.summarize.verify import exact_problems

KINDS = ("number", "date", "name", "negation", "other")
MIN_CHARS, MIN_WORDS = 12, 6  # shorter segments are titles and bylines: they state little

_FIGURE = re.compile(r"(?<![\w.:,])(?<![A-Za-z]-)\d+(?:,\d{3})*(?:\.\d+)?(?![\w,]*\d)")
_AUX = re.compile(
    r"\b(is|are|was|were|will|can|could|should|must|has|have|had|would|may|did|does|do)\b"
)
_NOT = re.compile(r"\b(?:not|never) (?!only|just|least|but)|n't\b")
_MONTH_NAMES = [m.capitalize() for m in facts.MONTHS if len(m) > 4 or m in ("may", "june", "july")]
_NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}\b")


@dataclass(frozen=True, slots=True)
class Pair:
    """A Chinese source, an English claim, and what kind of pair it is."""

    doc_id: str
    source: str
    claim: str
    kind: str  # "supported" or one of KINDS

    @property
    def supported(self) -> bool:
        """Whether the source states the claim."""
        return self.kind == "supported"


def _number(text: str) -> str | None:
    dates = [d.span() for d in facts._EN_DATE.finditer(text)]
    m = next(
        (f for f in _FIGURE.finditer(text) if not any(a <= f.start() < b for a, b in dates)), None
    )
    if m is None:
        return None
    value = float(m.group(0).replace(",", ""))
    new = value + 1 if value < 20 else round(value * 1.3)
    shown = f"{new:,.0f}" if new == int(new) else f"{new:g}"
    return text[: m.start()] + shown + text[m.end() :]


def _date(text: str) -> str | None:
    m = re.search(rf"\b{facts._MONTH}\s+(\d{{1,2}})", text, re.IGNORECASE)
    if m is not None:
        day = int(m.group(2))
        new = day + 3 if day <= 27 else day - 3
        return text[: m.start(2)] + str(new) + text[m.end(2) :]
    m = re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{facts._MONTH}", text, re.I)
    if m is not None:
        day = int(m.group(1))
        new = day + 3 if day <= 27 else day - 3
        return text[: m.start(1)] + str(new) + text[m.end(1) :]
    m = facts._EN_MONTH.search(text)
    if m is not None and m.group(1).lower() != "may":
        month = facts.MONTHS[m.group(1).lower()]
        other = _MONTH_NAMES[(month + 4) % 12]  # five months on
        return text[: m.start()] + other + text[m.end() :]
    return None


def _negation(text: str) -> str | None:
    m = _NOT.search(text)
    if m is not None:
        head = text[: m.start()]
        if m.group(0) == "n't":  # can't -> can, won't -> will, isn't -> is
            head = head[:-2] + "will" if head.endswith("wo") else head
            head = head + "n" if head.endswith("ca") else head
        return head + text[m.end() :]
    m = _AUX.search(text)
    if m is None:
        return None
    return text[: m.end()] + " not" + text[m.end() :]


def chinese_names(text: str) -> list[str]:
    """Runs of two or three capitalized pinyin words: romanized Chinese names."""
    from newsdesk.summarize.words import is_english, is_pinyin

    out = []
    for run in _NAME.findall(text):
        words = run.split()
        if all(is_pinyin(w) and not is_english(w) for w in words):
            out.append(run)
    return out


def build(docs: Iterable[WmtDoc], per_kind: int, seed: int = 15) -> list[Pair]:
    """Up to ``per_kind`` pairs of each kind (and as many supported), drawn at random."""
    docs = list(docs)
    names = [(d.doc_id, n) for d in docs for a, _b in d.refs for n in chinese_names(a)]
    rng = random.Random(seed)
    found: dict[str, list[Pair]] = {k: [] for k in ("supported", *KINDS)}
    segments = [
        (d, k)
        for d in docs
        for k in range(len(d.zh))
        if len(d.zh[k]) >= MIN_CHARS and len(d.refs[k][0].split()) >= MIN_WORDS
    ]
    rng.shuffle(segments)
    for d, k in segments:
        zh, ref = d.zh[k], d.refs[k][0]
        found["supported"].append(Pair(d.doc_id, zh, ref, "supported"))
        changed: dict[str, str | None] = {"number": _number(ref), "date": _date(ref)}
        changed["negation"] = _negation(ref)
        own = chinese_names(ref)
        others = [n for i, n in names if i != d.doc_id and n not in own]
        if own and others:
            changed["name"] = ref.replace(own[0], rng.choice(others), 1)
        far = [j for j in range(len(d.zh)) if abs(j - k) > 2 and len(d.refs[j][0].split()) >= 6]
        if far:
            changed["other"] = d.refs[rng.choice(far)][0]
        for kind, text in changed.items():
            if text and text != ref:
                found[kind].append(Pair(d.doc_id, zh, text, kind))
    return [p for kind in found for p in found[kind][:per_kind]]


Scored = tuple[Pair, str, float]  # the pair, what the exact checks rejected ("" none), P(YES)


def score(
    pairs: list[Pair],
    judge_p: Callable[[str, str, str], float | None],
    progress: Callable[[int, int], None] | None = None,
) -> list[Scored]:
    """Each pair with the exact checks' findings and the judge's P(YES).

    A pair the exact checks reject is not put to the model (P(YES) = -1): in a
    brief, such a claim never reaches the judge either. A one-sided negation
    is asked as its own question, as in a brief.
    """
    out = []
    for i, p in enumerate(pairs, start=1):
        problems, negation = exact_problems(p.source, p.claim)
        if problems:
            out.append((p, "; ".join(problems), -1.0))
        else:
            yes = judge_p(p.source, p.claim, negation)
            out.append((p, "", -1.0 if yes is None else yes))
        if progress:
            progress(i, len(pairs))
    return out


def figures(scored: list[Scored], threshold: float) -> dict[str, float]:
    """Balanced accuracy and recall per kind of change at one threshold."""

    def accepted(problem: str, p: float) -> bool:
        return not problem and p >= threshold

    pos = [accepted(g, p) for pair, g, p in scored if pair.supported]
    neg = [not accepted(g, p) for pair, g, p in scored if not pair.supported]
    out = {
        "threshold": threshold,
        "pairs": float(len(scored)),
        "supported_recall": sum(pos) / max(1, len(pos)),
        "unsupported_rejected": sum(neg) / max(1, len(neg)),
        # what the exact checks alone reject, before any model call
        "exact_check_rejected": sum(bool(g) for pair, g, _ in scored if not pair.supported)
        / max(1, len(neg)),
        "exact_check_false_rejections": sum(bool(g) for pair, g, _ in scored if pair.supported)
        / max(1, len(pos)),
    }
    out["balanced_accuracy"] = (out["supported_recall"] + out["unsupported_rejected"]) / 2
    for kind in KINDS:
        got = [not accepted(g, p) for pair, g, p in scored if pair.kind == kind]
        out[f"recall_{kind}"] = sum(got) / max(1, len(got))
        out[f"pairs_{kind}"] = float(len(got))
    return out


def best_threshold(scored: list[Scored]) -> tuple[float, dict[str, float]]:
    """The threshold (0.05 steps) of highest balanced accuracy (ties: the lower one)."""
    best = max(
        ((figures(scored, t / 100)["balanced_accuracy"], -t) for t in range(5, 100, 5)),
    )
    t = -best[1] / 100
    return t, figures(scored, t)


def save(scored: list[Scored], path: Path) -> None:
    """The scores as JSONL (doc id, kind, claim, exact-check finding, P(YES)); no source text."""
    with path.open("w", encoding="utf-8") as f:
        for pair, problem, p in scored:
            row = {"doc_id": pair.doc_id, "kind": pair.kind, "problem": problem, "p_yes": p}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A problem the exact checks found in a pair (a human translation: a false rejection)."""

    doc_id: str
    segment: int
    ref: str  # "A" or "B"
    kind: str  # "negation claim only", "negation source only", "number", "date", "name"
    problem: str
    source: str
    claim: str


def _kinds(problem: str) -> str:
    if problem.startswith("negation"):
        return "negation " + problem.split("(")[1].rstrip(")")
    if problem.startswith("number"):
        return "number"
    if problem.startswith("name"):
        return "name"
    return "date"  # date, month, day of the month, time


def exact_rejections(docs: Iterable[WmtDoc]) -> tuple[int, list[Rejection]]:
    """Every segment's two human translations against its own Chinese: (pairs, problems).

    A faithful translation states what its source does, so each problem found
    here is a false rejection by the exact checks (``exact_problems``).
    """
    pairs, out = 0, []
    for d in docs:
        for k, zh in enumerate(d.zh):
            for label, ref in zip("AB", d.refs[k], strict=True):
                if not ref.strip():
                    continue
                pairs += 1
                problems, _negation = exact_problems(zh, ref)
                out += [Rejection(d.doc_id, k, label, _kinds(p), p, zh, ref) for p in problems]
    return pairs, out


def negation_catches(docs: Iterable[WmtDoc]) -> tuple[int, int, int]:
    """(changed, caught, caught by negation): every translation with its negation put in or
    taken out (``_negation``, both references, segments of ``build``'s size), and how many
    the exact checks reject, and reject for a one-sided negation."""
    changed = caught = by_negation = 0
    for d in docs:
        for k, zh in enumerate(d.zh):
            for ref in d.refs[k]:
                if len(zh) < MIN_CHARS or len(ref.split()) < MIN_WORDS:
                    continue
                text = _negation(ref)
                if not text or text == ref:
                    continue
                changed += 1
                problems, negation = exact_problems(zh, text)
                caught += bool(problems)
                by_negation += bool(negation)
    return changed, caught, by_negation
