"""WMT21 runs with the model's answers kept on disk (what the README's brief figures came from).

    python -m newsdesk.eval.wmt_run briefs --part report --docs 18 --out claims.jsonl
    python -m newsdesk.eval.wmt_run judge --part tune --per-kind 40

The same measurements as ``newsdesk eval briefs`` and ``newsdesk eval
judge``, through ``CachedLLM`` (``--cache``, default ``/tmp/newsdesk-wmt-<part>.jsonl``)
so that a run stopped half way, or repeated after a change to the checks,
asks the model only what it was not asked before. ``briefs`` writes every
displayed claim with its figures, its Chinese paragraphs and their two human
translations (for reading by eye: eval/verdicts/) and prints each brief's
seconds as it goes; ``judge`` prints the figures at the threshold in force
(and, on the tuning part only, the best threshold).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

from newsdesk.eval import crosslingual, wmt, wmt_briefs
from newsdesk.eval.wmt_cache import CachedLLM
from newsdesk.summarize import SummaryOptions, summarize_document
from newsdesk.summarize.backends import get_llm
from newsdesk.summarize.verify import LLMJudge

WMT21 = Path(__file__).resolve().parents[4] / "shared/data/eval/wmt21_zh_en_news_docs.jsonl"


def briefs(docs: list[wmt.WmtDoc], llm: CachedLLM, out: Path) -> dict[str, float]:
    """Brief each document, write its displayed claims with sources and translations."""
    measured: list[wmt_briefs.ClaimFigures] = []
    seconds, chars, fallbacks = 0.0, 0, 0
    opts = SummaryOptions(backend="local", language="en")
    with out.open("w", encoding="utf-8") as f:
        for doc in docs:
            started = time.perf_counter()
            summary = summarize_document(wmt_briefs.as_document(doc), opts, llm=llm)
            took = time.perf_counter() - started
            seconds += took
            chars += sum(len(p) for p in doc.zh)
            fallbacks += summary.backend.startswith("extractive (")
            print(f"{doc.doc_id}: {took:.0f} s, notes {list(summary.notes)}", flush=True)
            for claim in summary.claims():
                m = wmt_briefs.measure(doc, claim)
                measured.append(m)
                row = {
                    **m.to_dict(),
                    "zh": [doc.zh[n - 1] for n in claim.citations],
                    "refs": [list(doc.refs[n - 1]) for n in claim.citations],
                }
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                f.flush()
    return wmt_briefs.summarize_figures(measured, len(docs), fallbacks, seconds, chars)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("what", choices=("briefs", "judge"))
    ap.add_argument("--part", choices=wmt.PARTS, default="tune")
    ap.add_argument("--docs", type=int, default=8, help="briefs: the first N documents")
    ap.add_argument("--skip", type=int, default=0, help="briefs: documents skipped first")
    ap.add_argument("--per-kind", type=int, default=40, help="judge: pairs of each kind")
    ap.add_argument("--wmt", type=Path, default=WMT21)
    ap.add_argument("--cache", type=Path, help="the kept answers (JSONL)")
    ap.add_argument("--out", type=Path, default=Path("wmt_claims.jsonl"), help="briefs: claims")
    args = ap.parse_args()
    cache = args.cache or Path(f"/tmp/newsdesk-wmt-{args.what}-{args.part}.jsonl")
    llm = CachedLLM(get_llm("local"), cache)
    if args.what == "briefs":
        docs = list(
            itertools.islice(wmt.load(args.wmt, args.part), args.skip, args.skip + args.docs)
        )
        results: dict[str, object] = dict(briefs(docs, llm, args.out))
    else:
        judge = LLMJudge(llm)
        pairs = crosslingual.build(wmt.load(args.wmt, args.part), args.per_kind)
        scored = crosslingual.score(pairs, judge.score)
        results = {"at_threshold": crosslingual.figures(scored, judge.threshold)}
        if args.part == "tune":  # the threshold is chosen here, never on the report part
            results["best_threshold"], results["at_best"] = crosslingual.best_threshold(scored)
    results["answers_from_cache"] = llm.hits
    results["answers_from_model"] = llm.misses
    print(json.dumps({"part": args.part, **results}, indent=1))


if __name__ == "__main__":
    main()
