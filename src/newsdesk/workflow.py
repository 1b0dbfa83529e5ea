"""Topic -> Run -> Digest: the seed page, end to end.

A topic file (TOML) names the queries, the sources to pull, the filters, how
many items, the relevance threshold, the summary backend and language, and the
outputs. ``run_topic`` pulls the sources, searches with every query (one item
per story), keeps the items above the threshold, summarizes those without a
cached brief, records the run, and writes the digest atomically.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from newsdesk.alerts.conditions import evaluate
from newsdesk.alerts.outbox import deliver_pending, enqueue
from newsdesk.changes import compute_changes
from newsdesk.dask_workers import DaskClient
from newsdesk.errors import ConfigError, NewsdeskError, OutputError
from newsdesk.errors import TopicBusy as TopicBusy  # raised by run_topic; imported from here
from newsdesk.formats import FORMATS as OUTPUT_FORMATS
from newsdesk.formats import get_format
from newsdesk.ingest.dates import parse_date
from newsdesk.ingest.pipeline import IngestOptions, ingest
from newsdesk.model import (
    Alert,
    ChangeSet,
    Digest,
    Document,
    Item,
    JSONObject,
    Overview,
    Run,
    Spike,
    Timeline,
    Topic,
)
from newsdesk.model.summary import Summary
from newsdesk.overview import make_overview
from newsdesk.relevance import query_weights, relevance
from newsdesk.runs import failure_message, owned_run
from newsdesk.search import SearchOptions, search
from newsdesk.store.base import Store
from newsdesk.summarize import SummaryOptions, cached_summary, chat_model, summarize
from newsdesk.summarize.backends import get_llm
from newsdesk.summarize.prompts import PROMPT_VERSION
from newsdesk.summarize.verify import LLMJudge
from newsdesk.text.embed import get_embedder
from newsdesk.timeline import make_timeline


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
    known = OUTPUT_FORMATS.names()
    if topic.outputs.formats and not set(topic.outputs.formats) <= set(known):
        raise ConfigError(f"{path}: outputs.formats takes {', '.join(known)}")
    return topic


Progress = Callable[[str, int, int], None]


# Candidates each query contributes before the newest are picked: deep enough
# that recent stories compete with older, more numerous ones.
CANDIDATES_PER_QUERY = 50


def select(store: Store, topic: Topic, limit: int | None = -1) -> list[tuple[Document, float, int]]:
    """Items for a topic: stories above the relevance threshold, newest first, one per story.

    At most ``limit`` (default: the topic's ``max_items``; None: every story found).
    """
    since = parse_date(topic.since) if topic.since else None
    best: dict[str, tuple[Document, float, int]] = {}
    langs: list[str | None] = list(topic.languages) or [None]
    sources: list[str | None] = list(topic.only_sources) or [None]
    for query in topic.queries:
        weights = query_weights(store, query)  # the query's, whatever the filters
        for lang in langs:
            for source in sources:
                options = SearchOptions(
                    since=since, source=source, language=lang, limit=CANDIDATES_PER_QUERY
                )
                for hit in search(store, query, options):
                    key = hit.doc.cluster_id or hit.doc.id
                    score = relevance(weights, hit.doc)
                    if score >= topic.min_relevance and (key not in best or score > best[key][1]):
                        best[key] = (hit.doc, score, hit.reposts)
    newest = sorted(
        best.values(),
        key=lambda t: -(t[0].published_at.timestamp() if t[0].published_at else float("-inf")),
    )
    return newest[: topic.max_items if limit == -1 else limit]


def run_topic(
    store: Store,
    topic: Topic,
    progress: Progress | None = None,
    started_run: Callable[[int], None] | None = None,
    dask: DaskClient | None = None,
) -> Digest:
    """Pull, dedup, search, summarize what is new, record the run, write the digest.

    ``started_run`` is told the run's id as soon as it is recorded (the web app
    answers a "run now" with it while the run goes on). With ``dask`` (a Dask
    client) pulling and summarizing run on its workers.
    """
    started = time.perf_counter()
    with owned_run(store, topic.name) as life:
        run_id = life.id
        if started_run:
            started_run(run_id)
        previous = store.runs(topic.name, limit=2)
        last_ok = previous_run(store, topic.name, run_id)
        ingested: dict[str, int] = {}
        if progress:
            progress("pull", 0, 1)
        if topic.sources:
            base = Path(topic.path).parent if topic.path else Path.cwd()
            inputs = [s if "://" in s else str((base / s).resolve()) for s in topic.sources]
            report = ingest(inputs, store, IngestOptions(dask=dask))
            ingested = report.summary()
        if progress:
            progress("pull", 1, 1)
        found = select(store, topic, limit=None)
        picked = found[: topic.max_items]
        if progress:
            progress("summarize", 0, len(picked))
        options = SummaryOptions(backend=topic.backend, model=topic.model, language=topic.language)
        done: list[str] = []

        def tick(s: Summary) -> None:
            done.append(s.doc_id)
            if progress:
                progress("summarize", len(done), len(picked))

        before = {d.id: _cached(store, d.id, options) for d, _, _ in picked}
        summaries = summarize(
            store, [d.id for d, _, _ in picked], options, progress=tick, dask=dask
        )
        items = [
            Item(doc, s, score, reposts)
            for (doc, score, reposts), s in zip(picked, summaries, strict=True)
        ]
        summarized = sum(1 for d, _, _ in picked if not before[d.id])
        digest = Digest(topic, run_id, items, datetime.now().astimezone(), summarized, ingested)
        digest.changes = track_changes(store, digest, last_ok)
        digest.timeline = topic_timeline(topic, [d for d, _, _ in found])
        alerts = evaluate_alerts(store, digest, [d for d, _, _ in found])
        if topic.overview:
            if progress:
                progress("overview", 0, 1)
            digest.overview = _overview(store, digest, previous[1] if len(previous) > 1 else None)
            if progress:
                progress("overview", 1, 1)
        digest.files = write_outputs(digest)
        digest.seconds = time.perf_counter() - started
        enqueue_alerts(store, alerts)  # in the outbox before the run is recorded as ended
        life.succeeded(
            [i.doc.id for i in items],
            [i.doc.id for i in items if i.new],
            summarized,
            digest.to_dict(),
        )
    deliver_alerts(store, progress)
    return digest


def previous_run(store: Store, topic: str, run_id: int) -> Run | None:
    """The topic's last successful run before ``run_id``, with its digest (None if none)."""
    runs = store.runs(topic, 50)
    done = next((r for r in runs if r.id < run_id and r.ok), None)
    return store.run(done.id) if done else None


def track_changes(store: Store, digest: Digest, previous: Run | None) -> ChangeSet:
    """The run's change set; marks each item new or not and gives it its story key."""
    changes, keys = compute_changes(store, digest.run_id, previous, [i.doc for i in digest.items])
    fresh = {c.doc_id for c in changes.of("new")}
    for item, key in zip(digest.items, keys, strict=True):
        item.story = key
        item.new = item.doc.id in fresh
    return changes


def topic_timeline(topic: Topic, stories: list[Document]) -> Timeline:
    """Stories per day over the topic's chart window, spikes marked by its first spike rule."""
    spike = next((r.when.spike for r in topic.alerts if r.when.spike), None) or Spike()
    since = parse_date(topic.since) if topic.since else None
    return make_timeline(stories, topic.chart_days, spike.k, spike.window_days, since)


def evaluate_alerts(
    store: Store, digest: Digest, stories: list[Document]
) -> list[tuple[Alert, list[str]]]:
    """The alerts the run fires (kept on the digest, days marked on its timeline)."""
    if not digest.topic.alerts or digest.changes is None:
        return []
    fired = evaluate(store, digest.topic, digest.items, digest.changes, stories)
    digest.alerts = [a for a, _ in fired]
    if digest.timeline is not None:
        per_day: dict[str, int] = {}
        for a in digest.alerts:
            if a.published_at:
                per_day[a.published_at[:10]] = per_day.get(a.published_at[:10], 0) + 1
        days = tuple(replace(d, alerts=per_day.get(d.day, 0)) for d in digest.timeline.days)
        digest.timeline = replace(digest.timeline, days=days)
    return fired


def enqueue_alerts(store: Store, alerts: list[tuple[Alert, list[str]]]) -> int:
    """Store the run's alerts in the outbox (once per story, rule and channel)."""
    return enqueue(store, alerts) if alerts else 0


def deliver_alerts(store: Store, progress: Progress | None = None) -> None:
    """Send what the outbox holds; a failing channel is logged, never raised."""
    if not store.deliveries("pending", 1):
        return
    if progress:
        progress("alerts", 0, 1)
    deliver_pending(store)
    if progress:
        progress("alerts", 1, 1)


def _overview(store: Store, digest: Digest, previous: Run | None) -> Overview:
    """The run's overview: the previous run's when its items and summaries are the same."""
    ids = [i.doc.id for i in digest.items]
    topic = digest.topic
    options = SummaryOptions(backend=topic.backend, model=topic.model, language=topic.language)
    opts = options.resolved()
    if previous and previous.ok and list(previous.items) == ids:
        stored = (store.run(previous.id).digest or {}).get("overview")
        old: JSONObject = stored if isinstance(stored, dict) else {}
        same_model = old.get("model") == get_llm(opts.backend, opts.model).model
        if old and same_model and old.get("prompt_version") == PROMPT_VERSION:
            return Overview.from_dict(old)
    llm = chat_model(opts)
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
    try:
        return cached_summary(store, doc_id, options) is not None
    except NewsdeskError:
        return False


def write_outputs(digest: Digest) -> list[str]:
    """Write every requested format, each atomically (a temp file renamed into place)."""
    topic = digest.topic
    base = Path(topic.path).parent if topic.path else Path.cwd()
    folder = (base / topic.outputs.folder).resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"outputs.folder {folder}: cannot create it: {e.strerror or e}") from e
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in topic.name) or "topic"
    for stray in folder.glob(f".{stem}.*.tmp"):  # left by a run killed while writing
        stray.unlink(missing_ok=True)
    written = []
    for fmt in topic.outputs.formats:
        writer = get_format(fmt)
        target = folder / f"{stem}.{writer.extension}"
        try:
            write_atomically(target, writer.render(digest))
        except OSError as e:
            raise OutputError(f"{target}: cannot write the digest: {e.strerror or e}") from e
        written.append(str(target))
    return written


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``target`` and rename it into place.

    The temp file is removed on every failure (a full disk, an interrupt), so
    none is ever left behind.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
                _watched_run(open_store, topic, log)
            if once:
                break
            wait = max(1.0, min(due.values()) - time.monotonic())
            stop.wait(wait)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _watched_run(open_store: Callable[[], Store], topic: Topic, log: Callable[[str], None]) -> None:
    """One scheduled run: any failure is logged with the topic named, and watch goes on."""
    store: Store | None = None
    try:
        store = open_store()
        digest = run_topic(store, topic)
        new = sum(i.new for i in digest.items)
        log(f"{topic.name}: {len(digest.items)} items, {new} new, {digest.seconds:.0f} s")
    except NewsdeskError as e:
        log(f"{topic.name}: failed, retrying at the next run: {e}")
    except Exception as e:  # a bug or a library's error: this topic's run failed, not watch
        log(f"{topic.name}: failed, retrying at the next run: {failure_message(e)}")
    finally:
        if store is not None:
            store.close()
