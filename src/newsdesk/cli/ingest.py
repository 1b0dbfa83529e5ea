"""The ingest pipeline's commands: ``ingest``, then on their own ``index`` and ``dedup``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newsdesk import IngestOptions, IngestReport, ItemReport, Outcome, index_store, ingest
from newsdesk.cli import common
from newsdesk.cli.common import err
from newsdesk.dedup import cluster_unassigned
from newsdesk.ingest.pipeline import Progress as IngestProgress
from newsdesk.ingest.sources import parse_mapping
from newsdesk.search import self_check
from newsdesk.text.embed import get_embedder


def ingest_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, JSONL, feed or page URLs.")],
    db: common.DbOption = None,
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="JSONL field names, e.g. title=headline,text=body,date=time."),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Source name for items that give none.")
    ] = None,
    as_json: common.JsonOption = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="List every warning.")] = False,
    no_embed: Annotated[
        bool,
        typer.Option("--no-embed", help="Skip vectors now (faster); `newsdesk index` adds them."),
    ] = False,
    dask: common.DaskOption = None,
    cluster: common.OldDaskOption = None,
) -> None:
    """Ingest articles; prints counts of added, updated, duplicate and failed items."""
    target = common.store(db)
    with common.dask_client(dask, cluster) as client, _progress() as progress:
        options = IngestOptions(
            mapping=parse_mapping(mapping), source=source, embed=not no_embed, dask=client
        )
        report = ingest(inputs, target, options, progress)
    if as_json:
        common.print_json(_report_json(report))
    else:
        _print_warnings(report, verbose)
        for note in report.notes:
            err.print(note, markup=False)
        s = report.summary()
        rate = len(report.items) / report.seconds if report.seconds else 0.0
        err.print(
            f"added {s['added']}, updated {s['updated']}, duplicate {s['duplicate']}, "
            f"failed {s['failed']} in {report.seconds:.1f} s ({rate:.0f} items/s); "
            f"{report.boilerplate_removed} boilerplate paragraphs removed; store {target.location}"
        )
    target.close()
    if report.failed:
        raise typer.Exit(1)


@contextmanager
def _progress() -> Iterator[IngestProgress]:
    """A progress bar with running counts; each failure printed as it happens."""
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

        yield progress


def _warning_kinds(report: IngestReport) -> Counter[str]:
    return Counter(w.split(":")[0] for i in report.items for w in i.warnings)


def _report_json(report: IngestReport) -> dict[str, object]:
    return {
        **report.summary(),
        "seconds": round(report.seconds, 3),
        "boilerplate_removed": report.boilerplate_removed,
        "failures": [{"item": i.origin, "reason": i.message} for i in report.failed],
        "notes": report.notes,
        "warnings": dict(_warning_kinds(report)),
    }


def _print_warnings(report: IngestReport, verbose: bool) -> None:
    """Every warning with -v; else one line per kind, naming the item when it is one."""
    if verbose:
        for i in report.items:
            for w in i.warnings:
                err.print(f"[yellow]warning[/yellow] {i.origin}: {w}")
        return
    for kind, n in _warning_kinds(report).most_common():
        if n == 1:  # one item: name it (an invalid UTF-8 file, a dropped url ...)
            origin, text = next(
                (i.origin, w) for i in report.items for w in i.warnings if w.split(":")[0] == kind
            )
            err.print(f"[yellow]warning[/yellow] {escape(origin)}: {escape(text)}")
        else:
            err.print(f"[yellow]warning[/yellow] {n} items: {kind} (-v lists them)")


def index_cmd(
    db: common.DbOption = None,
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
    target = common.store(db)
    embedder = None if no_embed else get_embedder()
    with common.stage("index") as update:
        n = index_store(target, embedder=embedder, rebuild=rebuild, progress=update)
    err.print(f"indexed {n} documents; store {target.location}")
    if check:
        problems = self_check(target)
        for p in problems:
            err.print(f"[red]self-check[/red] {p}")
        err.print(f"self-check: {len(problems)} problems")
        if problems:
            raise typer.Exit(1)
    target.close()


def dedup_cmd(
    db: common.DbOption = None,
    rebuild: Annotated[
        bool, typer.Option(help="Forget every cluster and cluster all documents again.")
    ] = False,
    as_json: common.JsonOption = False,
) -> None:
    """Cluster reposts: documents not yet in a story join one (all of them with --rebuild)."""
    target = common.store(db)
    if rebuild:
        target.reset_clusters()
    with common.stage("dedup") as update:
        done = cluster_unassigned(target, on_progress=update)
    stats = target.stats()
    if as_json:
        common.print_json(
            {"clustered": done, "stories": stats["stories"], "documents": stats["documents"]}
        )
    else:
        err.print(
            f"clustered {done} documents; {stats['documents']} documents form "
            f"{stats['stories']} stories; store {target.location}"
        )
    target.close()


def register(group: typer.Typer) -> None:
    """Add these commands to ``group``, in the order its help lists them."""
    group.command("ingest")(ingest_cmd)
    group.command("index")(index_cmd)
    group.command("dedup")(dedup_cmd)
