"""Topic -> Run -> Digest: the seed page, end to end.

A topic file (TOML) names the queries, the sources to pull, the filters, how
many items, the relevance threshold, the summary backend and language, and the
outputs. ``run_topic`` pulls the sources, searches with every query (one item
per story), keeps the items above the threshold, summarizes those without a
cached brief, records the run, and writes the digest atomically.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newsdesk import config
from newsdesk.errors import ConfigError, NewsdeskError
from newsdesk.ingest.dates import parse_date
from newsdesk.ingest.pipeline import IngestOptions, ingest
from newsdesk.model import Document
from newsdesk.overview import Overview, make_overview
from newsdesk.search import SearchOptions, concept_weights, search
from newsdesk.store.base import Store
from newsdesk.summarize import SummaryOptions, summarize, use_model
from newsdesk.summarize.schema import Summary


class Outputs(BaseModel):
    """Where the digest goes."""

    model_config = ConfigDict(extra="forbid")
    folder: str = "digests"  # relative to the topic file
    formats: list[str] = Field(default_factory=lambda: ["text", "md", "html", "json"])


class Topic(BaseModel):
    """A saved topic, read from TOML (unknown keys are an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    queries: list[str]
    sources: list[str] = Field(default_factory=list)  # files, folders, feed and page URLs
    since: str | None = None
    only_sources: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    max_items: int = Field(20, ge=1, le=200)
    # Share of a query's IDF weight whose words the story contains (best query counts).
    min_relevance: float = Field(0.6, ge=0.0, le=1.0)
    backend: str = ""
    model: str = ""
    language: str = "en"
    schedule_minutes: int = Field(360, ge=1)  # for `newsdesk watch`
    overview: bool = False  # 3-6 key developments across the items, cited [item¶paragraph]
    outputs: Outputs = Field(default_factory=Outputs)
    path: str = ""  # where it was read from (set by load_topic)


def load_topic(path: str | Path) -> Topic:
    """Read and validate a topic file; errors name the file and the field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the topic file: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: not UTF-8 text: {e.reason}") from e
    return parse_topic(text, p)


def parse_topic(text: str, path: Path) -> Topic:
    """Validate a topic file's text; ``path`` names it in errors and anchors relative paths."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    try:
        topic = Topic.model_validate({**data, "path": str(path.resolve())})
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())
        raise ConfigError(f"{path}: {problems}") from e
    if topic.outputs.formats and not set(topic.outputs.formats) <= {"text", "md", "html", "json"}:
        raise ConfigError(f"{path}: outputs.formats takes text, md, html and json")
    return topic


@dataclass(slots=True)
class Item:
    """One digest item: the story's document, its brief, and whether it is new."""

    doc: Document
    summary: Summary
    relevance: float
    reposts: int = 0
    new: bool = False


@dataclass(slots=True)
class Digest:
    """The result of a run."""

    topic: Topic
    run_id: int
    items: list[Item]
    generated_at: datetime
    summarized: int = 0
    ingested: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    overview: Overview | None = None


Progress = Callable[[str, int, int], None]


# Candidates each query contributes before the newest are picked: deep enough
# that recent stories compete with older, more numerous ones.
CANDIDATES_PER_QUERY = 50
MENTIONS = 2  # mentions of a query word that make it count in full


def query_weights(store: Store, query: str) -> dict[tuple[str, ...], float]:
    """The weight of each concept of a query (its index words), as hybrid search weighs it."""
    return dict(concept_weights(store, query))


def relevance(weights: dict[tuple[str, ...], float], doc: Document) -> float:
    """Share of the query's concept weight carried by concepts that occur in the document.

    Absolute, unlike search scores (normalized within one result list), so one
    threshold means the same for every query: a story is on topic when it
    contains most of what makes a query specific (稀土 and 出口管制, not 中国;
    稀土 of 高性能稀土永磁体, not 高性能). A concept counts in full once one of
    its words is in the title or its words occur twice in the body: a passing
    mention (稀土 once in a war report) is half a match.
    """
    if not weights:
        return 0.0
    title, body = doc.title.lower(), doc.text.lower()
    found = 0.0
    for words, weight in weights.items():
        mentions = sum(body.count(w) for w in words) + MENTIONS * any(w in title for w in words)
        found += weight * min(1.0, mentions / MENTIONS)
    return found / (sum(weights.values()) or 1.0)


def select(store: Store, topic: Topic) -> list[tuple[Document, float, int]]:
    """Items for a topic: stories above the relevance threshold, newest first, one per story."""
    since = parse_date(topic.since) if topic.since else None
    best: dict[str, tuple[Document, float, int]] = {}
    langs: list[str | None] = list(topic.languages) or [None]
    sources: list[str | None] = list(topic.only_sources) or [None]
    for query in topic.queries:
        for lang in langs:
            for source in sources:
                options = SearchOptions(
                    since=since, source=source, language=lang, limit=CANDIDATES_PER_QUERY
                )
                weights = query_weights(store, query)
                for hit in search(store, query, options):
                    key = hit.doc.cluster_id or hit.doc.id
                    score = relevance(weights, hit.doc)
                    if score >= topic.min_relevance and (key not in best or score > best[key][1]):
                        best[key] = (hit.doc, score, hit.reposts)
    newest = sorted(
        best.values(),
        key=lambda t: -(t[0].published_at.timestamp() if t[0].published_at else float("-inf")),
    )
    return newest[: topic.max_items]


def run_topic(
    store: Store,
    topic: Topic,
    progress: Progress | None = None,
    started_run: Callable[[int], None] | None = None,
    cluster: Any = None,
) -> Digest:
    """Pull, dedup, search, summarize what is new, record the run, write the digest.

    ``started_run`` is told the run's id as soon as it is recorded (the web app
    answers a "run now" with it while the run goes on). With ``cluster`` (a Dask
    client) pulling and summarizing run on its workers.
    """
    started = time.perf_counter()
    run_id = store.start_run(topic.name)
    if started_run:
        started_run(run_id)
    previous = store.runs(topic.name, limit=2)
    seen = set(previous[1]["items"]) if len(previous) > 1 else set()
    try:
        ingested: dict[str, int] = {}
        if progress:
            progress("pull", 0, 1)
        if topic.sources:
            base = Path(topic.path).parent if topic.path else Path.cwd()
            inputs = [s if "://" in s else str((base / s).resolve()) for s in topic.sources]
            report = ingest(inputs, store, IngestOptions(cluster=cluster))
            ingested = report.summary()
        if progress:
            progress("pull", 1, 1)
        picked = select(store, topic)
        if progress:
            progress("summarize", 0, len(picked))
        options = SummaryOptions(backend=topic.backend, language=topic.language)
        use_model(topic.backend, topic.model)
        done: list[str] = []

        def tick(s: Summary) -> None:
            done.append(s.doc_id)
            if progress:
                progress("summarize", len(done), len(picked))

        before = {d.id: _cached(store, d.id, options) for d, _, _ in picked}
        summaries = summarize(
            store, [d.id for d, _, _ in picked], options, progress=tick, cluster=cluster
        )
        items = [
            Item(doc, s, score, reposts, new=doc.id not in seen)
            for (doc, score, reposts), s in zip(picked, summaries, strict=True)
        ]
        summarized = sum(1 for d, _, _ in picked if not before[d.id])
        digest = Digest(topic, run_id, items, datetime.now().astimezone(), summarized, ingested)
        if topic.overview:
            if progress:
                progress("overview", 0, 1)
            digest.overview = _overview(store, digest, previous[1] if len(previous) > 1 else None)
            if progress:
                progress("overview", 1, 1)
        digest.files = write_outputs(digest)
        digest.seconds = time.perf_counter() - started
        from newsdesk.render import digest_json

        store.finish_run(
            run_id,
            "ok",
            [i.doc.id for i in items],
            [i.doc.id for i in items if i.new],
            summarized,
            digest=digest_json(digest),
        )
        return digest
    except NewsdeskError as e:
        store.finish_run(run_id, "failed", [], [], 0, str(e))
        raise


def _overview(store: Store, digest: Digest, previous: dict[str, Any] | None) -> Overview:
    """The run's overview: the previous run's when its items and summaries are the same."""
    from newsdesk.summarize import _model_name
    from newsdesk.summarize.backends import get_llm
    from newsdesk.summarize.prompts import PROMPT_VERSION
    from newsdesk.summarize.verify import LLMJudge
    from newsdesk.text.embed import get_embedder

    ids = [i.doc.id for i in digest.items]
    options = SummaryOptions(backend=digest.topic.backend, language=digest.topic.language)
    opts = options.resolved()
    if previous and previous["status"] == "ok" and previous["items"] == ids:
        old = store.run(previous["id"])["digest"].get("overview")
        same_model = old and old.get("model") == _model_name(opts, None)
        if same_model and old.get("prompt_version") == PROMPT_VERSION:
            return Overview.from_dict(old)
    llm = None if opts.backend == "extractive" else get_llm(opts.backend)
    return make_overview(
        [i.doc for i in digest.items],
        [i.summary for i in digest.items],
        [i.relevance for i in digest.items],
        language=opts.language,
        embedder=get_embedder(),
        llm=llm,
        judge=LLMJudge(llm) if llm else None,
    )


def _cached(store: Store, doc_id: str, options: SummaryOptions) -> bool:
    from newsdesk.summarize import cached_summary

    try:
        return cached_summary(store, doc_id, options) is not None
    except NewsdeskError:
        return False


def write_outputs(digest: Digest) -> list[str]:
    """Write every requested format, each atomically (a temp file renamed into place)."""
    from newsdesk import render

    topic = digest.topic
    base = Path(topic.path).parent if topic.path else Path.cwd()
    folder = (base / topic.outputs.folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in topic.name) or "topic"
    writers: dict[str, tuple[str, Callable[[Digest], str]]] = {
        "text": ("txt", render.digest_text),
        "md": ("md", render.digest_markdown),
        "html": ("html", render.digest_html),
        "json": ("json", lambda d: json.dumps(render.digest_json(d), ensure_ascii=False, indent=2)),
    }
    written = []
    for fmt in topic.outputs.formats:
        ext, fn = writers[fmt]
        target = folder / f"{stem}.{ext}"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(fn(digest))
        os.replace(tmp, target)
        written.append(str(target))
    return written


def digest_dict_items(digest: Digest) -> list[dict[str, Any]]:
    """The items of a digest as dicts (used by the JSON renderer)."""
    from newsdesk.render import document_json

    return [
        {
            **document_json(i.doc, paragraphs=False),
            "relevance": round(i.relevance, 4),
            "reposts": i.reposts,
            "new": i.new,
            "summary": i.summary.to_dict(),
        }
        for i in digest.items
    ]


@contextmanager
def topic_lock(name: str, store: Store | None = None) -> Iterator[None]:
    """Hold the topic's lock: one topic never runs twice at once.

    A lock file (flock) covers the processes of this machine; a store shared
    by several machines (PostgreSQL) adds its advisory lock on the topic.
    """
    folder = config.home() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    safe = hashlib.sha256(name.encode()).hexdigest()[:16]
    busy = f"topic {name!r} is already running in another process"
    with (folder / f"{safe}.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TopicBusy(busy) from None
        try:
            shared = getattr(store, "advisory_lock", None)
            if shared is None:
                yield
            else:
                with shared(f"topic:{name}") as taken:
                    if not taken:
                        raise TopicBusy(busy + " (on another machine sharing the store)")
                    yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class TopicBusy(NewsdeskError):
    """Another process is running this topic now."""


def watch(
    open_store: Callable[[], Store],
    topics: list[Topic],
    log: Callable[[str], None],
    once: bool = False,
) -> None:
    """Run each topic on its schedule until SIGINT or SIGTERM.

    A failing source or model is logged and retried at the topic's next run;
    the other topics go on. A signal stops the loop after the run in progress,
    whose digest is written atomically, so no digest is ever half written.
    """
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log(f"signal {signal.Signals(signum).name}: stopping after the current run")
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    due = {t.name: 0.0 for t in topics}
    try:
        while not stop.is_set():
            for topic in topics:
                if stop.is_set() or time.monotonic() < due[topic.name]:
                    continue
                due[topic.name] = time.monotonic() + topic.schedule_minutes * 60
                store = open_store()
                try:
                    with topic_lock(topic.name, store):
                        digest = run_topic(store, topic)
                    new = sum(i.new for i in digest.items)
                    n = len(digest.items)
                    log(f"{topic.name}: {n} items, {new} new, {digest.seconds:.0f} s")
                except NewsdeskError as e:
                    log(f"{topic.name}: failed, retrying at the next run: {e}")
                finally:
                    store.close()
            if once:
                break
            wait = max(1.0, min(due.values()) - time.monotonic())
            stop.wait(wait)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
