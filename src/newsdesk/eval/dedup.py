"""Dedup evaluation over labelled document pairs (``near_dup_pairs.jsonl``).

Each pair names two documents by ``prefix:id``; a prefix maps to the JSONL file
they were ingested from (``eb`` -> zh_business_2011.jsonl, ``finqa`` ->
zh_finance_2019.jsonl), so ``eb:X`` is the document stored under origin
``zh_business_2011.jsonl#X``. A pair counts as merged when both documents sit
in one cluster of the store. Positives are ``exact_dup`` and ``near_dup``;
negatives are ``overlap`` (mostly one template, two events); ``containment/
partial`` is reported on its own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from newsdesk.errors import ConfigError
from newsdesk.store.base import Store

DEFAULT_PREFIXES = {"eb": "zh_business_2011.jsonl", "finqa": "zh_finance_2019.jsonl"}
POSITIVE = frozenset({"exact_dup", "near_dup"})
NEGATIVE = frozenset({"overlap"})


def _resolve(store: Store, ref: str, prefixes: Mapping[str, str]) -> str | None:
    prefix, _, ident = ref.partition(":")
    if prefix not in prefixes:
        known = ", ".join(sorted(prefixes))
        raise ConfigError(
            f"pair id {ref!r}: unknown prefix {prefix!r} (known: {known}; see --prefix)"
        )
    return store.doc_id_for_origin(f"{prefixes[prefix]}#{ident}")


class KindCount(TypedDict):
    """The labelled pairs of one kind, and how many of them one cluster holds."""

    pairs: int
    merged: int


class DedupReport(TypedDict):
    """What ``evaluate`` measured (the JSON ``newsdesk eval dedup --json`` prints)."""

    recall: float
    false_merge_rate: float
    precision: float
    pairs: int
    missing: int  # pairs with a document that is not in the store
    relabelled: int  # pairs whose kind the audit changed
    by_kind: dict[str, KindCount]
    missed: list[dict[str, object]]  # up to 20 positive pairs left apart, as labelled
    false_merges: list[dict[str, object]]  # up to 20 negative pairs merged


AUDIT_KINDS = {"same_story": "near_dup", "different_event": "overlap"}


def load_audit(path: Path) -> dict[tuple[str, str], str]:
    """Verdicts read by eye: (doc_a, doc_b) -> the kind the pair really is."""
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                out[(row["doc_a"], row["doc_b"])] = AUDIT_KINDS[row["verdict"]]
    return out


def evaluate(
    store: Store,
    pairs_path: Path,
    prefixes: Mapping[str, str] | None = None,
    audit: Mapping[tuple[str, str], str] | None = None,
) -> DedupReport:
    """Recall on positives, false-merge rate on negatives, precision, and per-kind rates.

    With ``audit``, pairs whose label was found wrong on reading are counted
    under the kind the audit gives them (``relabelled`` says how many).
    """
    prefixes = prefixes or DEFAULT_PREFIXES
    relabelled = 0
    merged: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missing = 0
    examples: dict[str, list[dict[str, object]]] = {"missed": [], "false_merges": []}
    with pairs_path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            pair = json.loads(line)
            a = _resolve(store, pair["doc_a"], prefixes)
            b = _resolve(store, pair["doc_b"], prefixes)
            if a is None or b is None:
                missing += 1  # a document that was not ingested (empty after cleaning)
                continue
            kind = pair["kind"]
            if audit and (pair["doc_a"], pair["doc_b"]) in audit:
                new = audit[(pair["doc_a"], pair["doc_b"])]
                relabelled += new != kind
                kind = new
            same = a == b or (store.cluster_id_of(a) or a) == (store.cluster_id_of(b) or b)
            total[kind] += 1
            merged[kind] += same
            if kind in POSITIVE and not same:
                examples["missed"].append(pair)
            if kind in NEGATIVE and same:
                examples["false_merges"].append(pair)
    pos = sum(total[k] for k in POSITIVE)
    pos_merged = sum(merged[k] for k in POSITIVE)
    neg = sum(total[k] for k in NEGATIVE)
    neg_merged = sum(merged[k] for k in NEGATIVE)
    return {
        "recall": pos_merged / pos if pos else 0.0,
        "false_merge_rate": neg_merged / neg if neg else 0.0,
        "precision": pos_merged / (pos_merged + neg_merged) if pos_merged + neg_merged else 0.0,
        "pairs": sum(total.values()),
        "missing": missing,
        "relabelled": relabelled,
        "by_kind": {k: {"pairs": total[k], "merged": merged[k]} for k in sorted(total)},
        "missed": examples["missed"][:20],
        "false_merges": examples["false_merges"][:20],
    }
