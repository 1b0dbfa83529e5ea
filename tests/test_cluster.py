"""Dask distributed batch runs (``--dask``): two local workers give what one process gives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from newsdesk import IngestOptions, ingest
from newsdesk.store import Store, open_store
from newsdesk.summarize import SummaryOptions, summarize
from tests.conftest import ROOT, fresh_database
from tests.test_cli import Newsdesk

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
DEMO = ROOT / "examples" / "demo"
INPUTS = [
    str(DEMO / "articles.jsonl"),
    str(DEMO / "pages"),
    str(DEMO / "notes-magnet-recycling.md"),
    str(DEMO / "feed" / "rss.xml"),
]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as c,  # type: ignore[no-untyped-call]
    ):
        yield c


def stories(store: Store) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for doc in store.get_many(store.all_ids()):
        groups.setdefault(doc.cluster_id or doc.id, set()).add(doc.id)
    return {frozenset(g) for g in groups.values()}


def content(store: Store) -> list[Any]:
    """Every stored document but for when it was fetched."""
    return [replace(d, fetched_at=EPOCH) for d in store.get_many(store.all_ids())]


def brief(s: Any) -> dict[str, Any]:
    d: dict[str, Any] = s.to_dict()
    return {k: v for k, v in d.items() if k not in ("created_at", "seconds")}


def test_two_workers_equal_one_process(client: Any, postgres: Any) -> None:
    single, spread = open_store(fresh_database(postgres)), open_store(fresh_database(postgres))
    one = ingest(INPUTS, single)
    two = ingest(INPUTS, spread, IngestOptions(dask=client))
    assert one.summary() == two.summary()
    assert sorted(i.origin for i in one.items) == sorted(i.origin for i in two.items)
    assert single.all_ids() == spread.all_ids()
    assert content(single) == content(spread)
    for table in ("paragraphs", "search_index", "embeddings", "origins"):
        assert single.count_rows(table) == spread.count_rows(table), table
    assert stories(single) == stories(spread)
    # briefs written on the workers, cached in the shared store
    opts = SummaryOptions(backend="extractive")
    ids = single.all_ids()[:6]
    local = summarize(single, ids, opts)
    remote = summarize(spread, ids, opts, dask=client)
    assert [brief(s) for s in local] == [brief(s) for s in remote]
    assert spread.get_summary(ids[0], "extractive", "none", remote[0].prompt_version, "en")
    single.close()
    spread.close()


def test_the_command_line_sends_ingest_to_the_workers(
    client: Any,
    postgres: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local = open_store(fresh_database(postgres))
    expected = ingest(INPUTS, local, IngestOptions(embed=False)).summary()
    db = fresh_database(postgres)
    address = client.cluster.scheduler_address
    newsdesk = Newsdesk(monkeypatch, capsys)
    code, _, stderr = newsdesk("ingest", *INPUTS, "--db", db, "--no-embed", "--dask", address)
    assert code == 0, stderr
    assert "added {added}, updated {updated}, duplicate {duplicate}".format(**expected) in stderr
    spread = open_store(db)
    assert spread.all_ids() == local.all_ids()
    assert stories(spread) == stories(local)
    local.close()
    spread.close()


def test_a_dead_scheduler_is_a_clear_error() -> None:
    from newsdesk.dask_workers import connect
    from newsdesk.errors import ConfigError

    with pytest.raises(ConfigError, match="no Dask scheduler"):
        connect("tcp://127.0.0.1:9")
    with pytest.raises(ConfigError, match="tcp://HOST:PORT"):
        connect("127.0.0.1:8786")
