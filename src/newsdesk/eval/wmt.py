"""The WMT21 zh-en news documents, split once by document into a tuning and a report part.

Each record of ``wmt21_zh_en_news_docs.jsonl`` is one Chinese news document:
``zh_segments`` (its paragraphs) and ``en_refs`` (two professional English
translations, A and B, segment by segment). The split rule is fixed before
anything is tuned: a document is in the tuning part when the first byte of the
SHA-256 of its ``doc_id`` is even, else in the report part (46 / 55 of the
101 documents). Tune on ``tune``; read ``report`` only for the final figures.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsdesk.errors import InputError

PARTS = ("tune", "report")


@dataclass(frozen=True, slots=True)
class WmtDoc:
    """One WMT21 document: Chinese segments and the two human translations of each."""

    doc_id: str
    zh: tuple[str, ...]
    refs: tuple[tuple[str, ...], ...]  # refs[k]: the translations (A, B) of segment k


def part_of(doc_id: str) -> str:
    """``tune`` or ``report``: the part a document belongs to (the split rule)."""
    return "tune" if hashlib.sha256(doc_id.encode("utf-8")).digest()[0] % 2 == 0 else "report"


def load(path: Path, part: str) -> Iterator[WmtDoc]:
    """The documents of one part, in file order."""
    if part not in PARTS:
        raise InputError(str(path), f"unknown WMT21 part {part!r} (known: tune, report)")
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            row = json.loads(line)
            if part_of(row["doc_id"]) != part:
                continue
            zh = tuple(row["zh_segments"])
            a, b = row["en_refs"]["A"], row["en_refs"]["B"]
            if not (len(zh) == len(a) == len(b)):
                raise InputError(f"{path}:{lineno}", "segments and references differ in length")
            yield WmtDoc(row["doc_id"], zh, tuple(zip(a, b, strict=True)))
