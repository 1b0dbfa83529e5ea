"""The command line: a thin layer over the public API.

Data goes to stdout (one JSON document with --json); progress and messages go
to stderr. Exit status: 0 ok, 1 some items failed, 2 a usage or setup error.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from newsdesk import config, dedup
from newsdesk.errors import NewsdeskError
from newsdesk.eval.dedup import DEFAULT_PREFIXES, load_audit
from newsdesk.eval.dedup import evaluate as evaluate_dedup
from newsdesk.eval.retrieval import evaluate as evaluate_retrieval
from newsdesk.index import index_store
from newsdesk.ingest.dates import parse_date
from newsdesk.ingest.pipeline import IngestOptions, ingest
from newsdesk.ingest.sources import parse_mapping
from newsdesk.model import ChangeSet, ItemReport, Outcome
from newsdesk.render import (
    byline,
    document_text,
    item_text,
    summary_markdown,
)
from newsdesk.search import Mode, SearchOptions, Sort, search, self_check
from newsdesk.store import DocumentFilter, Store, open_store
from newsdesk.store.base import list_with_reposts
from newsdesk.summarize import SummaryOptions, summarize
from newsdesk.text.embed import get_embedder

app = typer.Typer(
    help="newsdesk: Chinese and English news into briefs that cite their paragraphs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console(soft_wrap=True)

MAX_INT = 2**63 - 1  # the largest count or offset a store takes (a signed 64-bit integer)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database path or URL (default: $NEWSDESK_DB or ~/.newsdesk)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster", help="Send per-document work to this Dask scheduler (tcp://HOST:PORT)."
    ),
]


def _cluster(address: str | None) -> Any:
    if not address:
        return None
    from newsdesk.cluster import connect

    return connect(address)


@contextmanager
def _stage(label: str, total: int | None = None) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr; yields ``update(done, total)``."""
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, new_total: int | None = None) -> None:
            bar.update(task, completed=done, total=new_total if new_total is not None else total)

        yield update


def _store(db: str | None) -> Store:
    return open_store(db)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _print_results(results: dict[str, Any], as_json: bool) -> None:
    """An evaluation's figures: one JSON document, or one ``key: value`` line each."""
    if as_json:
        _print_json(results)
        return
    for key, value in results.items():
        out.print(f"{key}: {value}", markup=False)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    parsed = parse_date(value, chinese=True)
    if parsed is None:
        raise typer.BadParameter(f"{value!r} is not a date (try 2025-12-27)", param_hint=option)
    return parsed


@app.command("ingest")
def ingest_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, JSONL, feed or page URLs.")],
    db: DbOption = None,
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="JSONL field names, e.g. title=headline,text=body,date=time."),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Source name for items that give none.")
    ] = None,
    as_json: JsonOption = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every warning.")] = False,
    no_embed: Annotated[
        bool,
        typer.Option("--no-embed", help="Skip vectors now (faster); `newsdesk index` adds them."),
    ] = False,
    cluster: ClusterOption = None,
) -> None:
    """Ingest articles; prints counts of added, updated, duplicate and failed items."""
    store = _store(db)
    options = IngestOptions(
        mapping=parse_mapping(mapping),
        source=source,
        embed=not no_embed,
        cluster=_cluster(cluster),
    )
    with Progress(
        TextColumn("ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None, counts="")
        counts: Counter[str] = Counter()

        def progress(item: ItemReport | None, total: int) -> None:
            if item is not None:
                counts[item.outcome.value] += 1
                if item.outcome is Outcome.FAILED:
                    bar.console.print(f"[red]failed[/red] {item.origin}: {item.message}")
            summary = " ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            bar.update(task, completed=sum(counts.values()), total=total, counts=summary)

        report = ingest(inputs, store, options, progress)
    warnings = Counter(w.split(":")[0] for i in report.items for w in i.warnings)
    if as_json:
        _print_json(
            {
                **report.summary(),
                "seconds": round(report.seconds, 3),
                "boilerplate_removed": report.boilerplate_removed,
                "failures": [{"item": i.origin, "reason": i.message} for i in report.failed],
                "notes": report.notes,
                "warnings": dict(warnings),
            }
        )
    else:
        if verbose:
            for i in report.items:
                for w in i.warnings:
                    err.print(f"[yellow]warning[/yellow] {i.origin}: {w}")
        elif warnings:
            for kind, n in warnings.most_common():
                if n == 1:  # one item: name it (an invalid UTF-8 file, a dropped url ...)
                    origin, text = next(
                        (i.origin, w)
                        for i in report.items
                        for w in i.warnings
                        if w.split(":")[0] == kind
                    )
                    err.print(f"[yellow]warning[/yellow] {escape(origin)}: {escape(text)}")
                else:
                    err.print(f"[yellow]warning[/yellow] {n} items: {kind} (-v lists them)")
        for note in report.notes:
            err.print(note, markup=False)
        s = report.summary()
        rate = len(report.items) / report.seconds if report.seconds else 0.0
        err.print(
            f"added {s['added']}, updated {s['updated']}, duplicate {s['duplicate']}, "
            f"failed {s['failed']} in {report.seconds:.1f} s ({rate:.0f} items/s); "
            f"{report.boilerplate_removed} boilerplate paragraphs removed; store {store.location}"
        )
    store.close()
    if report.failed:
        raise typer.Exit(1)


@app.command("show")
def show_cmd(
    doc_id: Annotated[str, typer.Argument(help="Document id (or a unique prefix of it).")],
    db: DbOption = None,
    cluster: Annotated[
        bool, typer.Option("--cluster", help="Also list the other copies of this story.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show a document with its numbered paragraphs, as citations refer to them."""
    store = _store(db)
    doc = store.get(doc_id)
    members = store.cluster_members(doc.cluster_id) if cluster and doc.cluster_id else [doc]
    if as_json:
        data = doc.to_dict()
        if cluster:
            data["cluster"] = [m.to_dict(paragraphs=False) for m in members]
        _print_json(data)
    else:
        out.print(document_text(doc), markup=False, highlight=False)
        if cluster:
            out.print(f"\nstory {doc.cluster_id or doc.id}: {len(members)} copies", markup=False)
            for i, m in enumerate(members):
                mark = "canonical" if i == 0 else "repost"
                line = f"  {m.id[:10]}  {byline(m)}  {mark}  {m.title}"
                out.print(line, markup=False, highlight=False)
    store.close()


@app.command("list")
def list_cmd(
    db: DbOption = None,
    source: Annotated[
        str | None, typer.Option(help="Only this source (as published or romanized).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after this date.")] = None,
    until: Annotated[str | None, typer.Option(help="Published before this date.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Only this language (zh, en).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_INT, help="How many documents.")] = 20,
    offset: Annotated[int, typer.Option(min=0, max=MAX_INT, help="Skip this many first.")] = 0,
    every_copy: Annotated[
        bool, typer.Option("--all", help="Every copy of a story, not one per story.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List stored documents, newest first, one per story (with its repost count)."""
    store = _store(db)
    flt = DocumentFilter(
        source=source,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        language=lang,
        limit=limit,
        offset=offset,
        one_per_story=not every_copy,
    )
    listing = list_with_reposts(store, flt)
    docs = [d for d, _ in listing]
    reposts = {d.id: n for d, n in listing}
    if as_json:
        _print_json([{**d.to_dict(paragraphs=False), "reposts": reposts[d.id]} for d in docs])
    else:
        table = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("id", "title", "source · time", "¶", "reposts"):
            table.add_column(col, overflow="fold")
        for d in docs:
            more = f"+{reposts[d.id]}" if reposts[d.id] else ""
            table.add_row(d.id[:10], d.title, byline(d), str(len(d.paragraphs)), more)
        out.print(table)
        if not docs:
            err.print("no documents match; `newsdesk ingest PATH` adds some")
    store.close()


@app.command("stats")
def stats_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts of stored documents and paragraphs, by language and source."""
    store = _store(db)
    stats = store.stats()
    if as_json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            if isinstance(value, dict):
                out.print(f"{key}:")
                for k, v in value.items():
                    out.print(f"  {k}: {v}", markup=False)
            else:
                out.print(f"{key}: {value}", markup=False)
    store.close()


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="Words or a question, in Chinese or English.")],
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Published on or after this date.")] = None,
    until: Annotated[str | None, typer.Option(help="Published before this date.")] = None,
    source: Annotated[
        str | None, typer.Option(help="Only this source (as published or romanized).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Only documents in this language.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many hits.")] = 10,
    sort: Annotated[str, typer.Option(help="relevance or newest.")] = "relevance",
    mode: Annotated[str, typer.Option(help="hybrid, lexical or dense.")] = "hybrid",
    as_json: JsonOption = False,
) -> None:
    """Search stored documents in Chinese or English; shows the matching paragraphs."""
    if sort not in ("relevance", "newest"):
        raise typer.BadParameter("use relevance or newest", param_hint="--sort")
    if mode not in ("hybrid", "lexical", "dense"):
        raise typer.BadParameter("use hybrid, lexical or dense", param_hint="--mode")
    store = _store(db)
    options = SearchOptions(
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        source=source,
        language=lang,
        limit=limit,
        sort=cast(Sort, sort),
        mode=cast(Mode, mode),
    )
    hits = search(store, query, options)
    if as_json:
        _print_json([h.to_dict() for h in hits])
    else:
        for i, h in enumerate(hits, start=1):
            cites = ", ".join(str(n) for n in h.paragraphs)
            out.print(f"[bold]{i}. {escape(h.doc.title)}[/bold]", highlight=False)
            more = f" · +{h.reposts} reposts ({', '.join(h.repost_sources)})" if h.reposts else ""
            line = f"   {byline(h.doc)} · id {h.doc.id[:10]} · ¶ {cites}{more}"
            out.print(escape(line), highlight=False)
            out.print("   ", _highlighted(h.snippet, h.highlights), sep="", highlight=False)
        if not hits:
            err.print("no match; try other words, or `newsdesk stats` to see what is stored")
    store.close()


def _highlighted(snippet: str, spans: tuple[tuple[int, int], ...]) -> Text:
    text = Text(snippet)
    for start, end in spans:
        text.stylize("bold yellow", start, end)
    return text


@app.command("summarize")
def summarize_cmd(
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids (or unique prefixes).")],
    db: DbOption = None,
    backend: Annotated[
        str | None, typer.Option(help="local, openai or extractive (default: $NEWSDESK_BACKEND).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="GGUF path (local) or model name (openai) instead of the default."),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Summary language: en or zh.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text (the seed layout), md or json.")
    ] = "text",
    refresh: Annotated[bool, typer.Option(help="Recompute instead of using the cache.")] = False,
    keep_unverified: Annotated[
        bool, typer.Option(help="Keep claims the judge rejects, marked (unverified).")
    ] = False,
    no_judge: Annotated[bool, typer.Option("--no-judge", help="Skip the support judge.")] = False,
    cluster: ClusterOption = None,
) -> None:
    """Write the cited brief of each document; every citation is checked first."""
    if fmt not in ("text", "md", "json"):
        raise typer.BadParameter("use text, md or json", param_hint="--format")
    store = _store(db)
    ids = [store.get(d).id for d in doc_ids]
    options = SummaryOptions(
        backend=backend or "",
        model=model or "",
        language=lang or "",
        judge=not no_judge,
        keep_unverified=keep_unverified,
        refresh=refresh,
    )
    finished: list[str] = []
    with _stage("summarize", len(ids)) as update:

        def advance(summary: Any) -> None:
            finished.append(summary.doc_id)
            update(len(finished), None)

        summaries = summarize(store, ids, options, progress=advance, cluster=_cluster(cluster))
    docs = {d.id: d for d in store.get_many(ids)}
    if fmt == "json":
        _print_json(
            [s.to_dict() for s in summaries] if len(summaries) > 1 else summaries[0].to_dict()
        )
    for s in summaries:
        for note in s.notes:
            err.print(f"[yellow]note[/yellow] {s.doc_id}: {note}", highlight=False)
        if fmt == "text":
            out.print(item_text(docs[s.doc_id], s) + "\n", markup=False, highlight=False)
        elif fmt == "md":
            out.print(summary_markdown(s, docs[s.doc_id]), markup=False, highlight=False)
    store.close()


@app.command("run")
def run_cmd(
    topic_file: Annotated[Path, typer.Argument(help="A topic file (TOML).")],
    db: DbOption = None,
    backend: Annotated[
        str | None, typer.Option(help="Override the topic's summary backend.")
    ] = None,
    cluster: ClusterOption = None,
) -> None:
    """Run a topic: pull, dedup, search, summarize what is new, write and print the digest."""
    from newsdesk.render import digest_text
    from newsdesk.workflow import load_topic, run_topic

    topic = load_topic(topic_file)
    if backend:
        topic = topic.model_copy(update={"backend": backend})
    store = _store(db)
    with _stage(f"{topic.name}: summarize") as update:
        digest = run_topic(
            store,
            topic,
            progress=lambda stage, done, total: (
                update(done, total) if stage == "summarize" else None
            ),
            cluster=_cluster(cluster),
        )
    sys.stdout.write(digest_text(digest))
    new = sum(i.new for i in digest.items)
    err.print(
        f"{len(digest.items)} items ({new} new), {digest.summarized} summarized, "
        f"ingest {digest.ingested or 'no sources'}, {digest.seconds:.1f} s; wrote "
        + ", ".join(digest.files),
        markup=False,
    )
    store.close()


@app.command("runs")
def runs_cmd(
    topic: Annotated[str | None, typer.Argument(help="Topic name (or a topic file).")] = None,
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_INT)] = 20,
    changes: Annotated[
        bool, typer.Option("--changes", help="The change set of the last run (or --run).")
    ] = False,
    run_id: Annotated[int | None, typer.Option("--run", help="Which run, with --changes.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The history of topic runs, newest first: when, status, items and what was new."""
    from newsdesk.workflow import load_topic

    name = load_topic(topic).name if topic and topic.endswith(".toml") else topic
    store = _store(db)
    store.end_orphaned_runs(name)  # a run whose process was killed shows as failed
    if changes:
        _print_changes(store, name, run_id, as_json)
        return
    rows = store.runs(name, limit)
    store.close()
    if as_json:
        _print_json([r.to_dict() for r in rows])
        return
    table = Table(box=None)
    for col in ("run", "topic", "started", "status", "items", "new", "summarized"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.id),
            r.topic,
            r.started_at[:19],
            r.status,
            str(len(r.items)),
            str(len(r.new_items)),
            str(r.summarized),
        )
    out.print(table)


def _print_changes(store: Store, topic: str | None, run_id: int | None, as_json: bool) -> None:
    """Print the change set of one run (the topic's last finished one by default)."""
    from newsdesk.render import changes_text

    if run_id is None:
        done = [r for r in store.runs(topic, 50) if r.ok]
        if not done:
            store.close()
            err.print(f"no finished run of {topic or 'any topic'} yet", markup=False)
            raise typer.Exit(2)
        run_id = done[0].id
    stored = (store.run(run_id).digest or {}).get("changes")
    store.close()
    if not stored:
        err.print(f"run {run_id} has no change set (it ran before change tracking)", markup=False)
        raise typer.Exit(2)
    if as_json:
        _print_json(stored)
        return
    change_set = ChangeSet.from_dict(stored)
    lines = changes_text(change_set) or [f"Run {run_id} is the topic's first: every story is new."]
    out.print("\n".join(lines), markup=False, highlight=False)


@app.command("alerts")
def alerts_cmd(
    db: DbOption = None,
    status: Annotated[
        str | None, typer.Option(help="Only pending, sent or failed deliveries.")
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Deliver what is pending now.")] = False,
    retry: Annotated[
        bool, typer.Option("--retry", help="Queue failed deliveries again (then --send).")
    ] = False,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: JsonOption = False,
) -> None:
    """The alert delivery log: sent, pending and failed, with the reason of each failure."""
    from newsdesk.alerts import deliver_pending

    if status not in (None, "pending", "sent", "failed"):
        err.print(f"--status {status}: use pending, sent or failed", markup=False)
        raise typer.Exit(2)
    store = _store(db)
    try:
        if retry:
            err.print(f"{store.retry_failed()} failed deliveries queued again", markup=False)
        if send:
            report = deliver_pending(store, log=lambda m: err.print(m, markup=False))
            err.print(f"alerts: {report.summary()}", markup=False)
        rows = store.deliveries(status, limit)
    finally:
        store.close()
    if as_json:
        _print_json([d.to_dict() for d in rows])
        return
    table = Table(box=None)
    for col in ("id", "status", "channel", "rule", "story", "attempts", "when", "error"):
        table.add_column(col, overflow="fold")
    for d in rows:
        table.add_row(
            str(d.id),
            d.status,
            d.channel,
            d.alert.rule,
            d.alert.title,
            str(d.attempts),
            (d.sent_at or d.created_at)[:19],
            d.error,
        )
    out.print(table)


@app.command("watch")
def watch_cmd(
    topic_files: Annotated[list[Path], typer.Argument(help="Topic files (TOML).")],
    db: DbOption = None,
    once: Annotated[bool, typer.Option(help="Run every topic once, then stop.")] = False,
) -> None:
    """Keep topics current on their schedules until stopped (Ctrl-C or SIGTERM)."""
    from newsdesk.workflow import load_topic, watch

    topics = [load_topic(p) for p in topic_files]
    watch(lambda: _store(db), topics, log=lambda msg: err.print(msg, markup=False), once=once)


@app.command("dedup")
def dedup_cmd(
    db: DbOption = None,
    rebuild: Annotated[
        bool, typer.Option(help="Forget every cluster and cluster all documents again.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Cluster reposts: documents not yet in a story join one (all of them with --rebuild)."""
    store = _store(db)
    if rebuild:
        store.reset_clusters()
    todo = store.unclustered_ids()
    done = 0
    with _stage("dedup", len(todo)) as update:
        for start in range(0, len(todo), 500):
            chunk = store.get_many(todo[start : start + 500])
            dedup.assign(store, chunk)
            done += len(chunk)
            update(done, None)
    stats = store.stats()
    if as_json:
        _print_json(
            {"clustered": done, "stories": stats["stories"], "documents": stats["documents"]}
        )
    else:
        err.print(
            f"clustered {done} documents; {stats['documents']} documents form "
            f"{stats['stories']} stories; store {store.location}"
        )
    store.close()


@app.command("index")
def index_cmd(
    db: DbOption = None,
    rebuild: Annotated[
        bool, typer.Option(help="Re-index every document, not only missing ones.")
    ] = False,
    no_embed: Annotated[
        bool, typer.Option("--no-embed", help="Only the word index, no vectors.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Then check that Chinese words of stored titles are found."),
    ] = False,
) -> None:
    """Build the search index for documents that lack it (after --no-embed, a new dictionary...)."""
    store = _store(db)
    embedder = None if no_embed else get_embedder()
    with _stage("index") as update:
        n = index_store(store, embedder=embedder, rebuild=rebuild, progress=update)
    err.print(f"indexed {n} documents; store {store.location}")
    if check:
        problems = self_check(store)
        for p in problems:
            err.print(f"[red]self-check[/red] {p}")
        err.print(f"self-check: {len(problems)} problems")
        if problems:
            raise typer.Exit(1)
    store.close()


eval_app = typer.Typer(
    help="Evaluations over whole sets (figures for the README).", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
def eval_retrieval_cmd(
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, a qrels .tsv.")
    ],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Keep the evaluation store here (default: a temp file)."),
    ] = None,
    queries: Annotated[
        int | None, typer.Option(min=1, help="Only the first N judged queries.")
    ] = None,
    half: Annotated[
        str | None,
        typer.Option(help="first (the tuning half) or second (held out) of the judged queries."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """nDCG@10, Recall@10, Recall@100 and MRR@10 for lexical, dense and hybrid search."""
    with _stage("queries") as update:
        results = evaluate_retrieval(folder, db=db, max_queries=queries, half=half, progress=update)
    if as_json:
        _print_json(results)
        return
    table = Table(title=f"retrieval: {folder.name}")
    table.add_column("method")
    metrics = list(next(iter(results.values())))
    for m in metrics:
        table.add_column(m, justify="right")
    for method, figures in results.items():
        table.add_row(method, *(f"{figures[m]:.4f}" for m in metrics))
    out.print(table)


@eval_app.command("topics")
def eval_topics_cmd(
    file: Annotated[Path, typer.Argument(help="Topic file (eval/topics.json).")],
    db: DbOption = None,
    split: Annotated[
        list[str] | None,
        typer.Option(help="Splits to run: dev (to tune on), heldout (run at the end)."),
    ] = None,
    mode: Annotated[str, typer.Option(help="hybrid, lexical or dense.")] = "hybrid",
    as_json: JsonOption = False,
) -> None:
    """precision@20 and nDCG@20 per language of topic queries, judged by the file's rule."""
    from newsdesk.eval.topics import evaluate as evaluate_topics
    from newsdesk.eval.topics import load_topics

    if mode not in ("hybrid", "lexical", "dense"):
        raise typer.BadParameter("expected hybrid, lexical or dense", param_hint="--mode")
    topic_set = load_topics(file)
    store = _store(db)
    with _stage("topics") as update:
        results = evaluate_topics(
            store,
            topic_set,
            splits=split or ["dev"],
            mode=cast(Mode, mode),
            progress=update,
        )
    store.close()
    if as_json:
        _print_json(results)
        return
    for lang, row in results["summary"].items():
        out.print(
            f"{lang}: precision@20 {row['precision@20']:.3f} · nDCG@20 {row['ndcg@20']:.3f}"
            f" · {row['topics']} topics",
            markup=False,
        )
    for t in results["topics"]:
        out.print(f"  {t['id']} {t['query']}: P@20 {t['precision@20']:.2f}", markup=False)


@eval_app.command("dedup")
def eval_dedup_cmd(
    pairs: Annotated[Path, typer.Argument(help="Labelled pairs (near_dup_pairs.jsonl).")],
    db: DbOption = None,
    prefix: Annotated[
        list[str] | None,
        typer.Option(
            help="PREFIX=FILE: ids PREFIX:X are origin FILE#X (default eb=..., finqa=...)."
        ),
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            help="Verdicts read by eye that replace wrong labels (JSONL: doc_a, doc_b, verdict)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recall, false-merge rate and precision of the clusters on labelled pairs."""
    prefixes = dict(DEFAULT_PREFIXES)
    for item in prefix or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter("expected PREFIX=FILE", param_hint="--prefix")
        prefixes[key] = value
    store = _store(db)
    results = evaluate_dedup(store, pairs, prefixes, load_audit(audit) if audit else None)
    store.close()
    if as_json:
        _print_json(results)
        return
    out.print(
        f"recall {results['recall']:.4f} · false-merge rate {results['false_merge_rate']:.4f} · "
        f"precision {results['precision']:.4f} · {results['pairs']} pairs"
        f" ({results['missing']} with a document not in the store,"
        f" {results['relabelled']} relabelled by the audit)"
    )
    for kind, row in results["by_kind"].items():
        out.print(f"  {kind}: {row['merged']}/{row['pairs']} merged", markup=False)


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"  # beside a checkout


@eval_app.command("citations")
def eval_citations_cmd(
    parts: Annotated[
        str, typer.Option(help="Which parts: a (judge), b (briefs), c (ROUGE).")
    ] = "abc",
    backend: Annotated[
        str, typer.Option(help="local, openai or extractive (b, c only: no model).")
    ] = "local",
    pairs: Annotated[int, typer.Option(min=1, help="Judge pairs of each kind (a).")] = 200,
    articles: Annotated[int, typer.Option(min=1, help="Rare-earth articles to brief (b).")] = 20,
    rouge_items: Annotated[int, typer.Option(min=1, help="Articles for ROUGE (c).")] = 200,
    bbc: Annotated[Path, typer.Option(help="summaries_bbc_cited.jsonl")] = SHARED
    / "eval/summaries_bbc_cited.jsonl",
    corpus: Annotated[Path, typer.Option(help="zh_business_2011.jsonl")] = SHARED
    / "corpora/zh_business_2011.jsonl",
    finna: Annotated[Path, typer.Option(help="summaries_finna.jsonl")] = SHARED
    / "eval/summaries_finna.jsonl",
    as_json: JsonOption = False,
) -> None:
    """Judge accuracy, brief quality and speed, and ROUGE of Chinese one-line summaries."""
    import tempfile

    from newsdesk.eval import citations
    from newsdesk.summarize.backends import get_llm
    from newsdesk.summarize.verify import LLMJudge

    if backend == "extractive" and "a" in parts:
        raise typer.BadParameter("part a checks the model's judge: use --backend local or openai")
    llm = get_llm(backend)
    results: dict[str, float] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:

        def tick(task: Any) -> Any:
            return lambda done, total: bar.update(task, completed=done, total=total)

        if "a" in parts:
            results |= citations.evaluate_judge(
                LLMJudge(get_llm(backend)), bbc, pairs, tick(bar.add_task("judge"))
            )
        if "b" in parts:
            with tempfile.TemporaryDirectory() as tmp:
                results |= citations.evaluate_briefs(
                    corpus, articles, llm, backend, Path(tmp), tick(bar.add_task("briefs"))
                )
        if "c" in parts:
            results |= citations.evaluate_rouge(
                finna, rouge_items, llm, backend, tick(bar.add_task("rouge"))
            )
    if as_json:
        _print_json({k: round(v, 4) for k, v in results.items()})
        return
    for key, value in results.items():
        out.print(f"{key}: {value:.4f}", markup=False)


WMT21 = SHARED / "eval/wmt21_zh_en_news_docs.jsonl"
PartOption = Annotated[
    str, typer.Option("--part", help="WMT21 part: tune (tuning) or report (never tuned on).")
]


@eval_app.command("judge")
def eval_judge_cmd(
    part: PartOption = "tune",
    per_kind: Annotated[
        int, typer.Option("--per-kind", min=1, help="Pairs of each kind (and supported).")
    ] = 40,
    backend: Annotated[str, typer.Option(help="local or openai.")] = "local",
    threshold: Annotated[
        float | None, typer.Option(help="P(YES) threshold (default: the setting).")
    ] = None,
    wmt: Annotated[Path, typer.Option(help="wmt21_zh_en_news_docs.jsonl")] = WMT21,
    save: Annotated[
        Path | None, typer.Option(help="Write the scores here (JSONL, no source text).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The support judge on the cross-lingual WMT21 set: balanced accuracy, recall per change."""
    from newsdesk import config
    from newsdesk.eval import crosslingual
    from newsdesk.eval import wmt as wmt_docs
    from newsdesk.summarize.backends import get_llm
    from newsdesk.summarize.verify import LLMJudge

    judge = LLMJudge(get_llm(backend))
    pairs = crosslingual.build(wmt_docs.load(wmt, part), per_kind)
    with _stage("pairs", len(pairs)) as update:
        scored = crosslingual.score(pairs, judge.score, lambda done, total: update(done, total))
    if save:
        crosslingual.save(scored, save)
    used = threshold if threshold is not None else config.get_float("judge_threshold")
    results: dict[str, Any] = {"part": part, "at_threshold": crosslingual.figures(scored, used)}
    if part == "tune":  # the threshold is chosen here, never on the report part
        results["best_threshold"], results["at_best"] = crosslingual.best_threshold(scored)
    _print_results(results, as_json)


@eval_app.command("briefs")
def eval_briefs_cmd(
    part: PartOption = "tune",
    docs: Annotated[
        int, typer.Option("--docs", min=1, help="The first N documents of the part.")
    ] = 8,
    skip: Annotated[int, typer.Option(min=0, help="Documents of the part skipped first.")] = 0,
    backend: Annotated[str, typer.Option(help="local, openai or extractive.")] = "local",
    wmt: Annotated[Path, typer.Option(help="wmt21_zh_en_news_docs.jsonl")] = WMT21,
    save: Annotated[
        Path | None,
        typer.Option(help="Write every displayed claim and its figures here (JSONL)."),
    ] = None,
    sample: Annotated[
        bool,
        typer.Option(
            "--sample", help="Print each claim beside its sources and translations, to read."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Briefs of unseen WMT21 news against the human translations of the cited paragraphs."""
    import itertools

    from newsdesk.eval import wmt as wmt_docs
    from newsdesk.eval import wmt_briefs
    from newsdesk.summarize.backends import get_llm

    chosen = list(itertools.islice(wmt_docs.load(wmt, part), skip, skip + docs))
    llm = get_llm(backend)
    with _stage("briefs", len(chosen)) as update:
        results, claims = wmt_briefs.evaluate(
            chosen, llm, backend, lambda done, total: update(done, total)
        )
    if save:
        with save.open("w", encoding="utf-8") as f:
            for c in claims:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
    if sample:
        by_id = {d.doc_id: d for d in chosen}
        for c in claims:
            d = by_id[c.doc_id]
            out.print(f"\n{c.doc_id} {list(c.citations)}: {c.text}", markup=False)
            for n in c.citations:
                out.print(f"  zh[{n}] {d.zh[n - 1]}", markup=False)
                for label, ref in zip("AB", d.refs[n - 1], strict=True):
                    out.print(f"  {label}[{n}] {ref}", markup=False)
            out.print(
                f"  figures {c.figures_found}/{c.figures}, romanized {list(c.romanized)}, "
                f"note: {c.note}",
                markup=False,
            )
    _print_results({"part": part, **{k: round(v, 4) for k, v in results.items()}}, as_json)


@app.command("migrate")
def migrate_cmd(
    source: Annotated[str, typer.Option("--from", help="Store to copy: a path or URL.")],
    target: Annotated[str, typer.Option("--to", help="Empty store to fill: a path or URL.")],
    as_json: JsonOption = False,
) -> None:
    """Copy a whole store (documents, index, clusters, summaries, runs) and verify the counts."""
    from newsdesk.store.copy import copy_store

    src, dst = open_store(source), open_store(target)
    try:
        with _stage("copy") as update:
            counts = copy_store(src, dst, lambda table, n: update(n, None))
    finally:
        src.close()
        dst.close()
    if as_json:
        _print_json({t: {"source": a, "target": b} for t, (a, b) in counts.items()})
        return
    for table, (a, b) in counts.items():
        out.print(f"{table}: {a} -> {b}", markup=False)
    out.print("every table matches", markup=False)


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to bind (another needs NEWSDESK_TOKEN).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    db: DbOption = None,
    topics: Annotated[
        Path | None, typer.Option(help="Topic files folder (default NEWSDESK_TOPICS).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Worker processes, one per core (NEWSDESK_SERVE_WORKERS)."
        ),
    ] = None,
) -> None:
    """The web app and REST API: digests with clickable citations, live search, runs."""
    import secrets

    import uvicorn

    from newsdesk.web.security import is_loopback

    token = config.get("token")
    if not is_loopback(host) and not token:
        raise NewsdeskError(
            f"binding to {host} exposes newsdesk beyond this machine: set NEWSDESK_TOKEN first"
        )
    n = workers or config.get_int("serve_workers")
    store = open_store(db)  # applies the migrations once, before any worker opens it
    location = store.location
    store.close()
    folder = (topics or config.topics_folder()).expanduser()
    # Every worker builds its app from the settings: the same store, topics and token.
    os.environ["NEWSDESK_DB"] = db or config.default_db()
    os.environ["NEWSDESK_TOPICS"] = str(folder)
    os.environ["NEWSDESK_TOKEN"] = token or secrets.token_urlsafe(18)
    # One BLAS thread per worker: workers are one per core, and a second BLAS
    # thread only fights them (the vector scan took 16 ms with 2, 10 ms with 1, loaded).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    err.print(
        f"newsdesk at {url}/topics · store {location} · topics {folder} · {n} worker(s)",
        markup=False,
        soft_wrap=True,
    )
    if not token:
        made = os.environ["NEWSDESK_TOKEN"]
        err.print(
            f"writes (run now, topic edits) need this session's token: open "
            f"{url}/login?token={made} once, or send 'Authorization: Bearer {made}'",
            markup=False,
            soft_wrap=True,
        )
    uvicorn.run(
        "newsdesk.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=n,
        log_level="warning",
        # In-flight requests end within the grace (their budgets stop them), then exit.
        timeout_graceful_shutdown=max(1, round(config.get_float("serve_grace"))) + 1,
        # The supervisor kills a worker that misses a 5 s health ping (uvicorn's
        # default); on a loaded 2-core machine a starting worker missed it and was
        # restarted mid-load, and the ping held up SIGTERM. A hung worker still dies.
        timeout_worker_healthcheck=30,
    )
    # Served and shut down: leave without finalizing the heap, which took 20 s
    # of garbage collection on a loaded 2-core machine (SIGTERM must exit in seconds).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@app.command("settings")
def settings_cmd(as_json: JsonOption = False) -> None:
    """Every setting: environment variable, value in force, default and help."""
    rows = [
        {
            "name": s.name,
            "env": s.env,
            "value": config.get(s.name),
            "default": s.default,
            "help": s.help,
        }
        for s in config.SETTINGS
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table(box=None)
    for col in ("env", "value", "help"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["env"], r["value"], r["help"])
    out.print(table)


def main() -> None:
    """Entry point: run the CLI, turning errors of setup and environment into clear messages.

    Exit status 2 for a newsdesk error (a bad option, model file or store), a
    damaged database, or an operating-system error (a full disk, a missing
    permission); 143 after SIGTERM and 130 after Ctrl-C, which first give a
    running run its final status.
    """
    from newsdesk.runs import Interrupted, Terminated, stop_on_signals

    try:
        with stop_on_signals():
            app()
    except (Interrupted, Terminated) as e:
        err.print("interrupted" if isinstance(e, Interrupted) else "stopped by SIGTERM")
        raise
    except NewsdeskError as e:
        _fail(str(e))
    except sqlite3.DatabaseError as e:
        _fail(f"the store {_db_named()} is damaged or not a newsdesk database: {e}")
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        _fail(f"{where}{e.strerror or e}")
    except Exception as e:
        if not type(e).__module__.startswith("psycopg"):
            raise  # a bug: its traceback is what a report needs
        _fail(f"the PostgreSQL store failed: {e}")


def _db_named() -> str:
    """The store the command line names (--db, --from or --to), or the default one."""
    args = sys.argv[1:]
    named = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--db", "--from", "--to")]
    named += [a.split("=", 1)[1] for a in args if a.startswith(("--db=", "--from=", "--to="))]
    return " or ".join(named) or config.default_db()


def _fail(message: str) -> None:
    err.print(f"[red]error[/red] {escape(message)}", markup=True, highlight=False)
    sys.exit(2)


if __name__ == "__main__":
    main()
