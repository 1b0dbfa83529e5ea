"""Citation and summary evaluation (``newsdesk eval citations``).

a. The support judge on BBC articles with gold sentence-to-paragraph links
   (summaries_bbc_cited.jsonl, 0-based paragraph indices): each gold
   (sentence, its paragraph) pair must be judged supported; the same sentence
   with the paragraph of the article sharing the fewest words with it must be
   judged unsupported.
b. Briefs of rare-earth articles from zh_business_2011.jsonl: valid citations,
   claims judged supported before dropping, leftover Chinese after repair,
   structure within the contract, seconds per article.
c. Reference: character-level ROUGE-1/2/L of Chinese one-sentence summaries
   (the core viewpoint, target zh) against summaries_finna.jsonl.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.ingest.pipeline import IngestOptions, ingest
from newsdesk.model import Document, Verdict, document_id
from newsdesk.store import open_store
from newsdesk.summarize import RETRIED, SummaryOptions, core_viewpoint, summarize_document
from newsdesk.summarize.backends import LLM
from newsdesk.summarize.verify import Judge, has_cjk

_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - {"the", "a", "an", "of", "to", "in", "and", "is"}


MIN_WORDS = 4  # the gold splits off stray fragments (a lone '"'): they state nothing


def judge_pairs(path: Path, n: int, skip_articles: int = 0) -> list[tuple[str, str, bool]]:
    """Up to n positive and n negative (paragraph, sentence, supported) pairs, in file order.

    ``skip_articles`` starts further into the file: the judge's threshold is
    chosen on pairs from articles after those the evaluation reads.
    """
    pos: list[tuple[str, str, bool]] = []
    neg: list[tuple[str, str, bool]] = []
    with path.open(encoding="utf-8") as f:
        for k, line in enumerate(f):
            if k < skip_articles:
                continue
            art = json.loads(line)
            paras = art["paragraphs"]
            for item in art.get("summary_sentences", []):
                gold = [i for i in item["paragraph_indices"] if 0 <= i < len(paras)]
                sentence = item["sentence"]
                if not gold or len(sentence.split()) < MIN_WORDS:
                    continue
                if len(pos) < n:
                    pos.append((paras[gold[0]], sentence, True))
                others = [i for i in range(len(paras)) if i not in gold and len(paras[i]) > 80]
                if others and len(neg) < n:
                    words = _words(sentence)
                    far = min(others, key=lambda i: len(words & _words(paras[i])))
                    neg.append((paras[far], sentence, False))
            if len(pos) >= n and len(neg) >= n:
                break
    return pos + neg


def articles_used(path: Path, n: int) -> int:
    """How many articles from the start of the file the n + n evaluation pairs draw on."""
    pos = neg = 0
    with path.open(encoding="utf-8") as f:
        for k, line in enumerate(f, start=1):
            art = json.loads(line)
            for item in art.get("summary_sentences", []):
                if item["paragraph_indices"] and len(item["sentence"].split()) >= MIN_WORDS:
                    pos += 1
                    neg += 1
            if pos >= n and neg >= n:
                return k
    return k


def evaluate_judge(
    judge: Judge, path: Path, n: int, progress: Callable[[int, int], None] | None = None
) -> dict[str, float]:
    """Precision, recall and balanced accuracy of the judge on n + n pairs."""
    pairs = judge_pairs(path, n)
    tp = fp = tn = fn = 0
    started = time.perf_counter()
    for i, (passage, claim, truth) in enumerate(pairs, start=1):
        said = judge.supports(passage, claim)
        tp += said and truth
        fp += said and not truth
        tn += not said and not truth
        fn += not said and truth
        if progress:
            progress(i, len(pairs))
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    return {
        "judge_pairs": float(len(pairs)),
        "judge_precision": tp / (tp + fp) if tp + fp else 0.0,
        "judge_recall": recall,
        "judge_specificity": specificity,
        "judge_balanced_accuracy": (recall + specificity) / 2,
        "judge_seconds_per_check": (time.perf_counter() - started) / max(1, len(pairs)),
    }


def rare_earth_records(path: Path, n: int) -> list[dict[str, object]]:
    """The first n articles whose title mentions 稀土, with at least 4 paragraphs."""
    out: list[dict[str, object]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if "稀土" in (rec.get("title") or "") and len(rec.get("paragraphs", [])) >= 4:
                out.append(rec)
                if len(out) >= n:
                    break
    return out


def evaluate_briefs(
    corpus: Path,
    n: int,
    llm: LLM | None,
    backend: str,
    workdir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Contract, citation and language figures of briefs of n rare-earth articles."""
    records = rare_earth_records(corpus, n)
    sample = workdir / "rare_earth.jsonl"
    sample.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    store = open_store(str(workdir / "briefs.db"))
    report = ingest([str(sample)], store, IngestOptions(embed=False, dedup=False))
    ids = list(dict.fromkeys(i.doc_id for i in report.items if i.doc_id))
    counts: Counter[str] = Counter()
    seconds = 0.0
    chars = 0
    opts = SummaryOptions(backend=backend, language="en", keep_unverified=True)
    for k, doc in enumerate(store.get_many(ids), start=1):
        s = summarize_document(doc, opts, llm=llm)
        seconds += s.seconds
        chars += sum(len(p) for p in doc.paragraphs)
        claims = s.claims()
        counts["articles"] += 1
        counts["claims"] += len(claims)
        counts["valid"] += sum(
            all(1 <= c <= len(doc.paragraphs) for c in x.citations) and bool(x.citations)
            for x in claims
        )
        counts["supported"] += sum(x.verdict is Verdict.SUPPORTED for x in claims)
        counts["second"] += sum(
            x.verdict is Verdict.SUPPORTED and RETRIED in x.note for x in claims
        )
        counts["leak"] += any(has_cjk(x.text) for x in claims) or any(
            has_cjk(g.title) for g in s.groups
        )
        counts["fallback"] += s.backend.startswith("extractive (")
        counts["contract"] += (
            2 <= len(s.groups) <= 5
            and all(1 <= len(g.points) <= 3 for g in s.groups)
            and 1 <= len(s.core_viewpoint.citations) <= 3
        )
        if progress:
            progress(k, len(ids))
    store.close()
    a = max(1, counts["articles"])
    return {
        "articles": float(counts["articles"]),
        "valid_citation_rate": counts["valid"] / max(1, counts["claims"]),
        "supported_rate": counts["supported"] / max(1, counts["claims"]),
        # supported at the first rewrite (the rest after one closer rewrite)
        "first_attempt_supported_rate": (counts["supported"] - counts["second"])
        / max(1, counts["claims"]),
        "cjk_leak_rate": counts["leak"] / a,
        "structure_rate": counts["contract"] / a,
        "fallback_rate": counts["fallback"] / a,
        "seconds_per_article": seconds / a,
        "seconds_per_1500_chars": seconds / max(1, chars) * 1500,
    }


def _ngrams(text: str, n: int) -> Counter[str]:
    chars = [c for c in text if not c.isspace()]
    return Counter("".join(chars[i : i + n]) for i in range(len(chars) - n + 1))


def _lcs(a: str, b: str) -> int:
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge(candidate: str, reference: str) -> dict[str, float]:
    """Character-level ROUGE-1, ROUGE-2 and ROUGE-L F1."""
    out = {}
    for n in (1, 2):
        c, r = _ngrams(candidate, n), _ngrams(reference, n)
        overlap = sum((c & r).values())
        p = overlap / max(1, sum(c.values()))
        rec = overlap / max(1, sum(r.values()))
        out[f"rouge{n}"] = 2 * p * rec / (p + rec) if p + rec else 0.0
    a, b = "".join(candidate.split()), "".join(reference.split())
    lcs = _lcs(a, b)
    p, rec = lcs / max(1, len(a)), lcs / max(1, len(b))
    out["rougeL"] = 2 * p * rec / (p + rec) if p + rec else 0.0
    return out


def eval_document(source: str, key: str, paragraphs: tuple[str, ...], title: str) -> Document:
    """A Chinese document built in memory for an evaluation (paragraph n is paragraphs[n-1])."""
    return Document(
        id=document_id(source, key, paragraphs),
        title=title,
        paragraphs=paragraphs,
        source=source,
        source_display=source,
        published_at=None,
        language="zh",
        url=None,
        fetched_at=datetime.now(UTC),
    )


def evaluate_rouge(
    path: Path,
    n: int,
    llm: LLM | None,
    backend: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Mean ROUGE of the Chinese core viewpoint against the reference one-line summary."""
    totals: Counter[str] = Counter()
    items = 0
    started = time.perf_counter()
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(n), f, strict=False)]
    for k, row in enumerate(rows, start=1):
        text = row.get("text") or row.get("article") or row.get("content") or ""
        reference = row.get("summary") or ""
        paragraphs = tuple(p for p in re.split(r"\n+", text) if p.strip()) or (text,)
        doc = eval_document("eval", "", paragraphs, paragraphs[0][:30])
        core = core_viewpoint(doc, SummaryOptions(backend=backend, language="zh"), llm=llm)
        for key, v in rouge(core.text, reference).items():
            totals[key] += v  # type: ignore[assignment]
        items += 1
        if progress:
            progress(k, len(rows))
    return {f"{k}_f1": v / max(1, items) for k, v in totals.items()} | {
        "rouge_items": float(items),
        "rouge_seconds_per_item": (time.perf_counter() - started) / max(1, items),
    }
