"""Briefs and topics: ``summarize``, ``run``, ``runs``, ``alerts`` and ``watch``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newsdesk import Summary, SummaryOptions, digest_text, load_topic, run_topic, summarize, watch
from newsdesk.alerts import deliver_pending
from newsdesk.cli import common
from newsdesk.cli.common import err, out
from newsdesk.model import ChangeSet
from newsdesk.render import changes_text, item_text, summary_markdown
from newsdesk.store import Store


def summarize_cmd(
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids (or unique prefixes).")],
    db: common.DbOption = None,
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
    dask: common.DaskOption = None,
    cluster: common.OldDaskOption = None,
) -> None:
    """Write the cited brief of each document; every citation is checked first."""
    if fmt not in ("text", "md", "json"):
        raise typer.BadParameter("use text, md or json", param_hint="--format")
    target = common.store(db)
    ids = [target.get(d).id for d in doc_ids]
    options = SummaryOptions(
        backend=backend or "",
        model=model or "",
        language=lang or "",
        judge=not no_judge,
        keep_unverified=keep_unverified,
        refresh=refresh,
    )
    finished: list[str] = []
    with common.dask_client(dask, cluster) as client, common.stage("summarize", len(ids)) as update:

        def advance(summary: Summary) -> None:
            finished.append(summary.doc_id)
            update(len(finished), None)

        summaries = summarize(target, ids, options, progress=advance, dask=client)
    docs = {d.id: d for d in target.get_many(ids)}
    if fmt == "json":
        common.print_json(
            [s.to_dict() for s in summaries] if len(summaries) > 1 else summaries[0].to_dict()
        )
    for s in summaries:
        for note in s.notes:
            err.print(f"[yellow]note[/yellow] {s.doc_id}: {note}", highlight=False)
        if fmt == "text":
            out.print(item_text(docs[s.doc_id], s) + "\n", markup=False, highlight=False)
        elif fmt == "md":
            out.print(summary_markdown(s, docs[s.doc_id]), markup=False, highlight=False)
    target.close()


def run_cmd(
    topic_file: Annotated[Path, typer.Argument(help="A topic file (TOML).")],
    db: common.DbOption = None,
    backend: Annotated[
        str | None, typer.Option(help="Override the topic's summary backend.")
    ] = None,
    dask: common.DaskOption = None,
    cluster: common.OldDaskOption = None,
) -> None:
    """Run a topic: pull, dedup, search, summarize what is new, write and print the digest."""
    topic = load_topic(topic_file)
    if backend:
        topic = topic.model_copy(update={"backend": backend})
    target = common.store(db)
    with (
        common.dask_client(dask, cluster) as client,
        common.stage(f"{topic.name}: summarize") as update,
    ):
        digest = run_topic(
            target,
            topic,
            progress=lambda step, done, total: update(done, total) if step == "summarize" else None,
            dask=client,
        )
    sys.stdout.write(digest_text(digest))
    new = sum(i.new for i in digest.items)
    err.print(
        f"{len(digest.items)} items ({new} new), {digest.summarized} summarized, "
        f"ingest {digest.ingested or 'no sources'}, {digest.seconds:.1f} s; wrote "
        + ", ".join(digest.files),
        markup=False,
    )
    target.close()


def runs_cmd(
    topic: Annotated[str | None, typer.Argument(help="Topic name (or a topic file).")] = None,
    db: common.DbOption = None,
    limit: Annotated[int, typer.Option(min=1, max=common.MAX_INT)] = 20,
    changes: Annotated[
        bool, typer.Option("--changes", help="The change set of the last run (or --run).")
    ] = False,
    run_id: Annotated[int | None, typer.Option("--run", help="Which run, with --changes.")] = None,
    as_json: common.JsonOption = False,
) -> None:
    """The history of topic runs, newest first: when, status, items and what was new."""
    name = load_topic(topic).name if topic and topic.endswith(".toml") else topic
    target = common.store(db)
    target.end_orphaned_runs(name)  # a run whose process was killed shows as failed
    if changes:
        _print_changes(target, name, run_id, as_json)
        return
    rows = target.runs(name, limit)
    target.close()
    if as_json:
        common.print_json([r.to_dict() for r in rows])
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


def _print_changes(target: Store, topic: str | None, run_id: int | None, as_json: bool) -> None:
    """Print the change set of one run (the topic's last finished one by default)."""
    if run_id is None:
        done = [r for r in target.runs(topic, 50) if r.ok]
        if not done:
            target.close()
            err.print(f"no finished run of {topic or 'any topic'} yet", markup=False)
            raise typer.Exit(2)
        run_id = done[0].id
    stored = (target.run(run_id).digest or {}).get("changes")
    target.close()
    if not stored:
        err.print(f"run {run_id} has no change set (it ran before change tracking)", markup=False)
        raise typer.Exit(2)
    if as_json:
        common.print_json(stored)
        return
    change_set = ChangeSet.from_dict(stored)
    lines = changes_text(change_set) or [f"Run {run_id} is the topic's first: every story is new."]
    out.print("\n".join(lines), markup=False, highlight=False)


def alerts_cmd(
    db: common.DbOption = None,
    status: Annotated[
        str | None, typer.Option(help="Only pending, sent or failed deliveries.")
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Deliver what is pending now.")] = False,
    retry: Annotated[
        bool, typer.Option("--retry", help="Queue failed deliveries again (then --send).")
    ] = False,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: common.JsonOption = False,
) -> None:
    """The alert delivery log: sent, pending and failed, with the reason of each failure."""
    if status not in (None, "pending", "sent", "failed"):
        err.print(f"--status {status}: use pending, sent or failed", markup=False)
        raise typer.Exit(2)
    target = common.store(db)
    try:
        if retry:
            err.print(f"{target.retry_failed()} failed deliveries queued again", markup=False)
        if send:
            report = deliver_pending(target, log=lambda m: err.print(m, markup=False))
            err.print(f"alerts: {report.summary()}", markup=False)
        rows = target.deliveries(status, limit)
    finally:
        target.close()
    if as_json:
        common.print_json([d.to_dict() for d in rows])
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


def watch_cmd(
    topic_files: Annotated[list[Path], typer.Argument(help="Topic files (TOML).")],
    db: common.DbOption = None,
    once: Annotated[bool, typer.Option(help="Run every topic once, then stop.")] = False,
) -> None:
    """Keep topics current on their schedules until stopped (Ctrl-C or SIGTERM)."""
    topics = [load_topic(p) for p in topic_files]
    watch(lambda: common.store(db), topics, log=lambda msg: err.print(msg, markup=False), once=once)


def register(group: typer.Typer) -> None:
    """Add these commands to ``group``, in the order its help lists them."""
    group.command("summarize")(summarize_cmd)
    group.command("run")(run_cmd)
    group.command("runs")(runs_cmd)
    group.command("alerts")(alerts_cmd)
    group.command("watch")(watch_cmd)
