"""Choose the support judge's P(YES) threshold: on the WMT21 tuning part, or held-out BBC pairs.

--wmt (the threshold in force): the cross-lingual pairs of the WMT21 tuning
part (`newsdesk eval judge --part tune --save S` writes the same scores;
--scores S re-reads them without the model). The report part is never read.
Without --wmt: English-English BBC pairs from articles after those
`newsdesk eval citations` reads (--skip 500). Prints every candidate
threshold's balanced accuracy and the best one.

    OMP_WAIT_POLICY=PASSIVE python bench/tune_judge.py --wmt --per-kind 40
    python bench/tune_judge.py --scores /tmp/judge_tune.jsonl
    OMP_WAIT_POLICY=PASSIVE python bench/tune_judge.py --pairs 100
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from newsdesk.eval.citations import judge_pairs
from newsdesk.summarize.backends import get_llm
from newsdesk.summarize.verify import LLMJudge

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=100, help="pairs of each kind")
    ap.add_argument("--skip", type=int, default=500, help="articles skipped first")
    ap.add_argument("--backend", default="local")
    ap.add_argument(
        "--bbc", type=Path, default=ROOT.parent / "shared/data/eval/summaries_bbc_cited.jsonl"
    )
    ap.add_argument("--save", type=Path, help="write the scores here (JSON)")
    ap.add_argument("--wmt", action="store_true", help="the WMT21 tuning part's pairs")
    ap.add_argument("--per-kind", type=int, default=40, help="WMT21 pairs of each kind")
    ap.add_argument("--scores", type=Path, help="scores saved by `newsdesk eval judge --save`")
    args = ap.parse_args()
    if args.wmt or args.scores:
        wmt_table(args)
        return
    judge = LLMJudge(get_llm(args.backend))
    pairs = judge_pairs(args.bbc, args.pairs, skip_articles=args.skip)
    started = time.perf_counter()
    scored = []
    for passage, claim, truth in pairs:
        p = judge.score(passage, claim)
        if p is None:
            raise SystemExit(f"the {args.backend} backend reports no log-probabilities")
        scored.append((p, truth))
    seconds = (time.perf_counter() - started) / max(1, len(pairs))
    if args.save:
        args.save.write_text(json.dumps(scored))
    best = (0.0, 0.5)
    print(f"{len(pairs)} pairs, {seconds:.2f} s per check")
    print("threshold  recall  specificity  balanced")
    for t in [x / 100 for x in range(5, 100, 5)]:
        pos = [p >= t for p, truth in scored if truth]
        neg = [p < t for p, truth in scored if not truth]
        recall, spec = sum(pos) / len(pos), sum(neg) / len(neg)
        ba = (recall + spec) / 2
        best = max(best, (ba, t))
        print(f"{t:9.2f}  {recall:6.3f}  {spec:11.3f}  {ba:8.3f}")
    print(f"best threshold {best[1]:.2f}: balanced accuracy {best[0]:.3f} on the held-out pairs")


def wmt_table(args: argparse.Namespace) -> None:
    """Balanced accuracy and recall per kind at every threshold, on the tuning part."""
    from newsdesk.eval import crosslingual, wmt

    if args.scores:
        scored = []
        for line in args.scores.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            pair = crosslingual.Pair(row["doc_id"], "", "", row["kind"])
            scored.append((pair, row["problem"], float(row["p_yes"])))
    else:
        path = ROOT.parent / "shared/data/eval/wmt21_zh_en_news_docs.jsonl"
        judge = LLMJudge(get_llm(args.backend))
        pairs = crosslingual.build(wmt.load(path, "tune"), args.per_kind)
        scored = crosslingual.score(pairs, judge.score)
        if args.save:
            crosslingual.save(scored, args.save)
    print("threshold  supported  rejected  balanced  number  date  name  negation  other")
    for t in [x / 100 for x in range(5, 100, 5)]:
        f = crosslingual.figures(scored, t)
        print(
            f"{t:9.2f}  {f['supported_recall']:9.3f}  {f['unsupported_rejected']:8.3f}"
            f"  {f['balanced_accuracy']:8.3f}  {f['recall_number']:6.3f}  {f['recall_date']:4.2f}"
            f"  {f['recall_name']:4.2f}  {f['recall_negation']:8.3f}  {f['recall_other']:5.3f}"
        )
    best, f = crosslingual.best_threshold(scored)
    print(
        f"best threshold {best:.2f}: balanced accuracy {f['balanced_accuracy']:.3f} (tuning part)"
    )


if __name__ == "__main__":
    main()
