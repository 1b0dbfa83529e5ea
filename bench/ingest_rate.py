"""Ingest rate and boilerplate removal on one corpus file.

    .venv/bin/python bench/ingest_rate.py [../shared/data/corpora/zh_business_2011.jsonl]

Prints documents/s for `newsdesk ingest --no-embed` (clean, number, romanize,
segment for the word index, cluster reposts, store) and for the default ingest
that also embeds every document, and,
as the baseline measured in the same process, a bare loader that parses the
same JSONL and inserts the raw paragraphs into SQLite with no cleaning: the
ratio is the cost of newsdesk's cleaning and bookkeeping.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from newsdesk import IngestOptions, ingest, open_store

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/corpora/zh_business_2011.jsonl"


def bare_load(path: Path, db: Path) -> tuple[int, float]:
    """Baseline: json.loads + one INSERT per paragraph, one transaction."""
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE p (doc INTEGER, n INTEGER, text TEXT)")
    n = 0
    with conn, path.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            record = json.loads(line)
            body = record.get("paragraphs") or [record.get("text") or record.get("content") or ""]
            conn.executemany(
                "INSERT INTO p VALUES (?, ?, ?)", [(i, k, t) for k, t in enumerate(body)]
            )
            n += 1
    conn.close()
    return n, time.perf_counter() - started


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"{path} not found: pass a JSONL file")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "bench.db"))
        report = ingest([str(path)], store, IngestOptions(embed=False))
        store.close()
        ours = len(report.items) / report.seconds
        store = open_store(str(Path(tmp) / "full.db"))
        full = ingest([str(path)], store)
        store.close()
        n, base_seconds = bare_load(path, Path(tmp) / "bare.db")
        base = n / base_seconds
    print(f"corpus: {path.name}, {len(report.items)} items: {report.summary()}")
    print(f"newsdesk ingest --no-embed: {ours:,.0f} documents/s ({report.seconds:.2f} s)")
    print(f"newsdesk ingest (with vectors): {len(full.items) / full.seconds:,.0f} documents/s")
    print(f"baseline bare json+sqlite load: {base:,.0f} documents/s ({base_seconds:.2f} s)")
    print(f"ratio newsdesk/baseline: {ours / base:.3f}")
    print(f"boilerplate paragraphs removed: {report.boilerplate_removed}")


if __name__ == "__main__":
    main()
