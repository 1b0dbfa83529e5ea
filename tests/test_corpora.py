"""Every corpus in ../shared/data ingests without a crash (needs the shared data)."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk import IngestOptions, ingest
from newsdesk.store import Store

from .conftest import shared_data


@pytest.mark.slow
def test_all_corpora_ingest_without_crash(corpora_store: tuple[Store, Any]) -> None:
    store, report = corpora_store
    summary = report.summary()
    assert sum(summary.values()) == len(report.items) > 19_000
    assert summary["added"] > 19_500
    # The only failures are records with no text (empty, "undefined", share buttons
    # only), each named as file:line.
    assert summary["failed"] < 150
    assert {i.message.split(" (")[0] for i in report.failed} == {"no text left after cleaning"}
    assert all(i.origin.rsplit(":", 1)[1].isdigit() for i in report.failed)
    assert store.check() == []


def test_rare_earth_article_is_cleaned_and_numbered(store: Store) -> None:
    path = shared_data("corpora/zh_business_2011.jsonl")
    report = ingest([str(path)], store, IngestOptions(embed=False, dedup=False))
    assert report.boilerplate_removed > 3000
    docs = store.get_many([i.doc_id for i in report.items if i.doc_id])
    quota = next(d for d in docs if d.title == "中国稀土配额公布 西方国家仍不满足")
    assert quota.language == "zh"
    assert quota.published_at is not None
    assert quota.published_at.utcoffset() is not None
    assert all("QQ空间" not in p and p != "新浪微博" for p in quota.paragraphs)
    assert "稀土配额" in quota.paragraph(2)
