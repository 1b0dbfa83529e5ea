"""False rejections of the exact checks on the WMT21 tuning part, without the model.

Every segment's two human translations are checked against their own Chinese
sentence (``verify.exact_problems``: figures, dates, romanized names, a
negation on one side only); a faithful translation should pass, so every
problem is a false rejection. Then every translation with its negation put in
or taken out (``crosslingual._negation``) is checked: the share still caught
is the negation recall the fixes must keep; last, the share of every changed
pair ``crosslingual.build`` can make that the exact checks alone reject. The
report part is never read.

    PYTHONPATH=src python bench/exact_checks.py [--cases]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from newsdesk.eval import crosslingual, wmt

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("negation claim only", "negation source only", "number", "date", "name")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--wmt", type=Path, default=ROOT.parent / "shared/data/eval/wmt21_zh_en_news_docs.jsonl"
    )
    ap.add_argument("--cases", action="store_true", help="list every false rejection")
    ap.add_argument("--kind", help="list only this kind's cases")
    args = ap.parse_args()
    docs = list(wmt.load(args.wmt, "tune"))
    if not docs:
        raise SystemExit(f"{args.wmt}: no documents of the tuning part")
    pairs, found = crosslingual.exact_rejections(docs)
    rejected = {(r.doc_id, r.segment, r.ref) for r in found}
    print(
        f"{pairs} human translations of the tuning part, {len(rejected)} rejected "
        f"({len(rejected) / pairs:.2%})"
    )
    by_kind = Counter(r.kind for r in found)
    for kind in KINDS:
        print(f"  {kind:22s} {by_kind[kind]:4d}  {by_kind[kind] / pairs:.2%}")
    changed, caught, by_negation = crosslingual.negation_catches(docs)
    print(
        f"negation put in or taken out: {changed} translations, {caught} rejected "
        f"({caught / changed:.2%}), {by_negation} for the negation ({by_negation / changed:.2%})"
    )
    pairs_all = crosslingual.build(docs, 10**6)
    scored = crosslingual.score(pairs_all, lambda source, claim, focus: 1.0)
    print("every changed pair build() makes, rejected by the exact checks alone:")
    for kind in ("supported", "number", "date", "name", "negation"):
        got = [bool(g) for pair, g, _ in scored if pair.kind == kind]
        print(f"  {kind:10s} {sum(got):4d} of {len(got):4d}  {sum(got) / max(1, len(got)):.2%}")
    if args.cases or args.kind:
        for r in found:
            if args.kind and r.kind != args.kind:
                continue
            print(f"\n[{r.kind}] {r.doc_id} #{r.segment} {r.ref}: {r.problem}")
            print(f"  zh: {r.source}")
            print(f"  en: {r.claim}")


if __name__ == "__main__":
    main()
