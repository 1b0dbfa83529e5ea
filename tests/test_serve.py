"""A server that holds its load: the store pool, shared vectors, limits, workers, SIGTERM.

The servers here listen on 127.0.0.1 only; every load is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from newsdesk import IngestOptions, ingest
from newsdesk.errors import Overloaded
from newsdesk.search import SearchOptions, SearchState, search
from newsdesk.store import open_store
from newsdesk.store.pool import StorePool
from newsdesk.text.embed import CachingEmbedder, get_embedder
from newsdesk.web import limits as budget
from newsdesk.web.limits import Budget, LimitMiddleware, Limits
from tests.conftest import ROOT, DemoSite


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Any, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


@pytest.fixture
def site_copy(demo_site: DemoSite, tmp_path: Path) -> str:
    """A private copy of the demo store (these tests write to it)."""
    db = tmp_path / "site.db"
    with sqlite3.connect(demo_site.db) as a, sqlite3.connect(db) as b:
        a.backup(b)
    return str(db)


# --- the store pool and the shared index ----------------------------------------------------


def test_a_second_open_writes_nothing(site_copy: str) -> None:
    open_store(site_copy).close()  # migrated
    monitor = sqlite3.connect(site_copy)
    before = monitor.execute("PRAGMA data_version").fetchone()[0]
    open_store(site_copy).close()
    assert monitor.execute("PRAGMA data_version").fetchone()[0] == before  # no commit
    monitor.close()


def test_pool_shares_vectors_and_follows_another_process_ingest(
    site_copy: str, tmp_path: Path
) -> None:
    pool = StorePool(site_copy)
    model = get_embedder().name
    with pool.store() as store:
        ids, matrix = store.vectors(model)
        count = store.document_frequencies(["稀土"])[0]
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(_vectors(pool, model)))
    thread.start()
    thread.join(10)
    assert seen[0][1] is matrix  # another thread's connection, the same loaded vectors
    new = tmp_path / "new.jsonl"
    record = {
        "title": "共享向量缓存测试：稀土回收新工艺投产",
        "paragraphs": ["一家企业宣布稀土回收新工艺投产，回收率提高到百分之九十五。"],
        "source": "测试来源",
        "date": "2026-01-05",
    }
    new.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    other = open_store(site_copy)  # another connection, as another process would be
    ingest([str(new)], other, IngestOptions())
    fresh_ids, fresh = other.vectors(model)
    other.close()
    assert len(fresh_ids) == len(ids) + 1

    def caught_up() -> bool:
        got = _vectors(pool, model)
        return len(got[0]) == len(fresh_ids)

    assert wait_for(caught_up, 10)  # a background refresh applied the change log
    got_ids, got = _vectors(pool, model)
    assert got_ids == fresh_ids
    assert (got == fresh).all()
    with pool.store() as store:
        assert wait_for(lambda: store.document_frequencies(["稀土"])[0] == count + 1, 10)
    pool.close()


def _vectors(pool: StorePool, model: str) -> Any:
    with pool.store() as store:
        return store.vectors(model)


def test_a_stopped_request_interrupts_its_query(site_copy: str) -> None:
    pool = StorePool(site_copy, should_stop=budget.should_stop, on_stopped=budget.check)
    gone = Budget(time.monotonic() + 60, 60, Limits())
    gone.gone = True
    token = budget.BUDGET.set(gone)
    try:
        with pytest.raises(Overloaded, match="client went away"), pool.store() as store:
            # a query long enough to reach the progress handler
            store.conn.execute(  # type: ignore[attr-defined]
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
                " SELECT count(*) FROM (SELECT i FROM n LIMIT 100000000)"
            ).fetchone()
    finally:
        budget.BUDGET.reset(token)
    with pool.store() as store:  # the connection still works for the next request
        assert store.count_documents() > 0
    pool.close()


def test_served_search_equals_in_process_ranking(site_copy: str) -> None:
    pool = StorePool(site_copy)
    state = SearchState(CachingEmbedder(get_embedder()))
    store = open_store(site_copy)
    for q in ("稀土永磁体", "rare earth magnets", "出口管制"):
        plain = search(store, q, SearchOptions())
        with pool.store() as pooled:
            served = search(pooled, q, SearchOptions(), state=state)
        assert [h.doc.id for h in served] == [h.doc.id for h in plain]
        assert [round(h.score, 6) for h in served] == [round(h.score, 6) for h in plain]
    store.close()
    pool.close()


# --- limits: disconnects, the queue, deadlines (a small app under uvicorn on 127.0.0.1) ------


class Served:
    """A uvicorn server in a thread, with the app's counters."""

    def __init__(self, app: Any, limits: Limits) -> None:
        self.port = free_port()
        self.limits = limits
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        assert wait_for(lambda: self.server.started, 10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def slow_app() -> Iterator[tuple[Served, dict[str, int]]]:
    """/work spins until its budget says stop (at most 30 s); /fast answers at once."""
    counts = {"started": 0, "stopped": 0, "finished": 0}
    app = FastAPI()

    @app.get("/work")
    def work() -> dict[str, str]:
        counts["started"] += 1
        end = time.monotonic() + 30
        try:
            while time.monotonic() < end:
                budget.check()
                time.sleep(0.01)
        except Overloaded:
            counts["stopped"] += 1
            raise
        counts["finished"] += 1
        return {"done": "yes"}

    @app.get("/fast")
    def fast() -> dict[str, str]:
        return {"ok": "yes"}

    limits = Limits(concurrency=1, queue=2, deadline=20, grace=1)
    wrapped = LimitMiddleware(app, limits)
    with Served(wrapped, limits) as served:
        yield served, counts


def test_a_client_that_disconnects_frees_the_server(
    slow_app: tuple[Served, dict[str, int]],
) -> None:
    served, counts = slow_app
    with socket.create_connection(("127.0.0.1", served.port)) as s:
        s.sendall(b"GET /work HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert wait_for(lambda: served.limits.running == 1, 5)
    t = time.monotonic()
    assert wait_for(lambda: served.limits.running == 0, 5)  # the slot is free again
    assert counts["stopped"] == 1  # the work itself stopped
    assert counts["finished"] == 0
    assert time.monotonic() - t < 2
    r = httpx.get(served.url + "/fast", timeout=5)
    assert r.status_code == 200


def test_a_flood_beyond_the_queue_gets_503_and_the_server_recovers(
    slow_app: tuple[Served, dict[str, int]],
) -> None:
    served, counts = slow_app

    def hit(_: int) -> httpx.Response:
        return httpx.get(served.url + "/work", timeout=30)

    socks = []
    for _ in range(3):  # one works, two wait: the queue is full
        s = socket.create_connection(("127.0.0.1", served.port))
        s.sendall(b"GET /work HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        socks.append(s)
    assert wait_for(lambda: served.limits.running == 1 and served.limits.waiting == 2, 5)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(hit, range(20)))
    assert {r.status_code for r in answers} == {503}
    assert all(r.headers["retry-after"] == "1" for r in answers)
    assert "busy" in answers[0].text
    t = time.monotonic()
    for s in socks:  # the flood stops: its clients go away
        s.close()
    assert wait_for(lambda: served.limits.running == 0 and served.limits.waiting == 0, 5)
    assert httpx.get(served.url + "/fast", timeout=5).status_code == 200
    assert time.monotonic() - t < 5
    assert counts["finished"] == 0


def test_a_request_past_its_deadline_stops_with_503() -> None:
    app = FastAPI()

    @app.get("/work")
    def work() -> dict[str, str]:
        while True:
            budget.check()
            time.sleep(0.01)

    from newsdesk.web.app import STATUS  # the app maps Overloaded to 503 the same way

    assert STATUS[Overloaded] == 503

    @app.exception_handler(Overloaded)
    async def overloaded(request: Any, exc: Overloaded) -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse({"error": str(exc)}, 503, headers={"Retry-After": "1"})

    limits = Limits(concurrency=1, queue=1, deadline=0.5, grace=1)
    with Served(LimitMiddleware(app, limits), limits) as served:
        t = time.monotonic()
        r = httpx.get(served.url + "/work", timeout=10)
        assert r.status_code == 503
        assert "deadline" in r.json()["error"]
        assert time.monotonic() - t < 3


# --- the real server: `newsdesk serve` --------------------------------------------------------


@pytest.fixture
def serve(site_copy: str, tmp_path: Path) -> Iterator[Any]:
    """Start `newsdesk serve` on 127.0.0.1 with the given workers and settings."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(workers: int = 1, **settings: str) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
        env.update(
            PYTHONPATH=str(ROOT / "src"),
            NEWSDESK_HOME=str(tmp_path / "home"),
            NEWSDESK_TOKEN="t",
            OMP_WAIT_POLICY="PASSIVE",
            **{f"NEWSDESK_SERVE_{k.upper()}": v for k, v in settings.items()},
        )
        cmd = [sys.executable, "-m", "newsdesk.cli", "serve", "--db", site_copy]
        cmd += ["--port", str(port), "--workers", str(workers), "--topics", str(tmp_path)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                return httpx.get(url + "/api/search?q=稀土", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(up, 120)
        return proc, url

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


QUERIES = ["稀土", "永磁体", "出口管制", "rare earth", "magnet prices", "钕铁硼", "价格", "工信部"]


def test_serve_floods_get_503_then_it_recovers(serve: Any) -> None:
    _, url = serve(concurrency="1", queue="1")

    def hit(i: int) -> int:
        q = f"{QUERIES[i % len(QUERIES)]} {i}"
        try:
            return httpx.get(url + "/api/search", params={"q": q}, timeout=30).status_code
        except httpx.HTTPError:
            return 0

    with ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(hit, range(200)))
    assert set(codes) <= {200, 503}, codes
    assert codes.count(503) > 0  # beyond one working and one waiting, refused at once
    t = time.monotonic()
    assert wait_for(lambda: hit(0) == 200, 5)
    assert time.monotonic() - t < 5


def test_sigterm_under_load_exits_within_10_s(serve: Any) -> None:
    proc, url = serve(workers=2)
    stop = threading.Event()
    codes: list[int] = []

    def load() -> None:
        i = 0
        while not stop.is_set() and i < 2000:
            i += 1
            try:
                r = httpx.get(url + "/api/search", params={"q": QUERIES[i % 8]}, timeout=15)
                codes.append(r.status_code)
            except httpx.HTTPError:
                codes.append(0)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(3)
    assert codes.count(200) > 0
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(10)
    finally:
        stop.set()
        for t in threads:
            t.join(20)
    assert time.monotonic() - t0 < 10
    assert rc == 0
    log = proc.stdout.read().decode()[-3000:] if proc.stdout else ""
    assert set(codes) <= {200, 503, 0}, log  # an in-flight request cut at the grace gives 500


def test_serve_help_names_workers() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    assert "--workers" in out


def test_postgres_serving_uses_a_connection_pool(postgres: Any) -> None:
    from tests.conftest import fresh_database

    url = fresh_database(postgres)
    pool = StorePool(url, size=2)
    seen: list[int] = []

    def count(_: int) -> int:
        with pool.store() as store:
            seen.append(id(store.conn))  # type: ignore[attr-defined]
            return store.count_documents()

    with ThreadPoolExecutor(6) as threads:
        assert list(threads.map(count, range(30))) == [0] * 30
    assert 1 <= len(set(seen)) <= 2  # 30 requests over at most 2 pooled connections
    pool.close()
