"""The command line: a thin layer over the public API.

Data goes to stdout (one JSON document with --json); progress and messages go
to stderr. Exit status: 0 ok, 1 some items failed, 2 a usage or setup error.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newsdesk import config
from newsdesk.errors import NewsdeskError
from newsdesk.ingest.dates import parse_date
from newsdesk.ingest.pipeline import IngestOptions, ingest
from newsdesk.ingest.sources import parse_mapping
from newsdesk.model import ItemReport, Outcome
from newsdesk.render import byline, document_json, document_text
from newsdesk.store import DocumentFilter, Store, open_store

app = typer.Typer(
    help="newsdesk: Chinese and English news into briefs that cite their paragraphs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console(soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database path or URL (default: $NEWSDESK_DB or ~/.newsdesk)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _store(db: str | None) -> Store:
    return open_store(db)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


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
) -> None:
    """Ingest articles; prints counts of added, updated, duplicate and failed items."""
    store = _store(db)
    options = IngestOptions(mapping=parse_mapping(mapping), source=source)
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
    as_json: JsonOption = False,
) -> None:
    """Show a document with its numbered paragraphs, as citations refer to them."""
    store = _store(db)
    doc = store.get(doc_id)
    if as_json:
        _print_json(document_json(doc))
    else:
        out.print(document_text(doc), markup=False, highlight=False)
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
    limit: Annotated[int, typer.Option(min=1, help="How many documents.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """List stored documents, newest first."""
    store = _store(db)
    flt = DocumentFilter(
        source=source,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        language=lang,
        limit=limit,
        offset=offset,
    )
    docs = store.list_documents(flt)
    if as_json:
        _print_json([document_json(d, paragraphs=False) for d in docs])
    else:
        table = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("id", "title", "source · time", "¶"):
            table.add_column(col, overflow="fold")
        for d in docs:
            table.add_row(d.id[:10], d.title, byline(d), str(len(d.paragraphs)))
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
    """Entry point: run the CLI, turning newsdesk errors into clear messages."""
    try:
        app()
    except NewsdeskError as e:
        err.print(f"[red]error[/red] {e}", markup=True, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
