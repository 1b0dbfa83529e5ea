"""What every command shares: the consoles, the common options, progress bars, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from newsdesk.dask_workers import DaskClient, connect
from newsdesk.ingest.dates import parse_date
from newsdesk.store import DocumentFilter, Store, open_store

app = typer.Typer(
    help="newsdesk: Chinese and English news into briefs that cite their paragraphs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)  # progress and messages
out = Console(soft_wrap=True)  # data

MAX_INT = 2**63 - 1  # the largest count or offset a store takes (a signed 64-bit integer)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database path or URL (default: $NEWSDESK_DB or ~/.newsdesk)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DaskOption = Annotated[
    str | None,
    typer.Option("--dask", help="Send per-document work to this Dask scheduler (tcp://HOST:PORT)."),
]
OldDaskOption = Annotated[
    str | None, typer.Option("--cluster", hidden=True, help="Deprecated: use --dask.")
]
SourceOption = Annotated[
    str | None, typer.Option(help="Only this source (as published or romanized).")
]
SinceOption = Annotated[str | None, typer.Option(help="Published on or after this date.")]
UntilOption = Annotated[str | None, typer.Option(help="Published before this date.")]
ModeOption = Annotated[str, typer.Option(help="hybrid, lexical or dense.")]


def store(db: str | None) -> Store:
    """The store a command's --db names (default: the ``db`` setting)."""
    return open_store(db)


@contextmanager
def dask_client(
    address: str | None, old_spelling: str | None = None
) -> Iterator[DaskClient | None]:
    """The Dask client of --dask (or of the deprecated --cluster), closed after the block;
    None for work in this process."""
    if old_spelling:
        err.print("--cluster ADDRESS is now --dask ADDRESS", markup=False)
    address = address or old_spelling
    client = connect(address) if address else None
    try:
        yield client
    finally:
        if client is not None:
            client.close()


@contextmanager
def stage(label: str, total: int | None = None) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr; yields ``update(done, total)``."""
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, new_total: int | None = None) -> None:
            bar.update(task, completed=done, total=new_total if new_total is not None else total)

        yield update


def print_json(data: object) -> None:
    """One JSON document on stdout (Chinese as itself, indented)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_results(results: Mapping[str, object], as_json: bool) -> None:
    """An evaluation's figures: one JSON document, or one ``key: value`` line each."""
    if as_json:
        print_json(results)
        return
    for key, value in results.items():
        out.print(f"{key}: {value}", markup=False)


def when(value: str | None, option: str) -> datetime | None:
    """The date an option names (Chinese forms too), or a usage error naming the option."""
    if value is None:
        return None
    parsed = parse_date(value, chinese=True)
    if parsed is None:
        raise typer.BadParameter(f"{value!r} is not a date (try 2025-12-27)", param_hint=option)
    return parsed


def period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """The --since and --until dates of a command."""
    return when(since, "--since"), when(until, "--until")


def selection(
    source: str | None, since: str | None, until: str | None, language: str | None
) -> DocumentFilter:
    """The documents --source, --since, --until and --lang pick."""
    start, end = period(since, until)
    return DocumentFilter(source=source, since=start, until=end, language=language)


def check_mode(mode: str) -> None:
    """A usage error unless --mode names a search mode."""
    if mode not in ("hybrid", "lexical", "dense"):
        raise typer.BadParameter("use hybrid, lexical or dense", param_hint="--mode")
