"""Choose the support judge's P(YES) threshold on held-out BBC pairs.

The pairs come from articles after those `newsdesk eval citations` reads
(--skip 500), so the threshold is not tuned on the evaluation. Prints every
candidate threshold's balanced accuracy and the best one.

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
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
