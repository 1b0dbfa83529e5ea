"""Reading the store: ``show``, ``list``, ``stats`` and ``search``."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, cast

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from newsdesk import SearchOptions, search
from newsdesk.cli import common
from newsdesk.cli.common import MAX_INT, err, out
from newsdesk.render import byline, document_text
from newsdesk.search import Mode, Sort
from newsdesk.store.base import list_with_reposts

LangOption = Annotated[str | None, typer.Option("--lang", help="Only this language (zh, en).")]


def show_cmd(
    doc_id: Annotated[str, typer.Argument(help="Document id (or a unique prefix of it).")],
    db: common.DbOption = None,
    story: Annotated[
        bool, typer.Option("--cluster", help="Also list the other copies of this story.")
    ] = False,
    as_json: common.JsonOption = False,
) -> None:
    """Show a document with its numbered paragraphs, as citations refer to them."""
    target = common.store(db)
    doc = target.get(doc_id)
    members = target.cluster_members(doc.cluster_id) if story and doc.cluster_id else [doc]
    if as_json:
        data = doc.to_dict()
        if story:
            data["cluster"] = [m.to_dict(paragraphs=False) for m in members]
        common.print_json(data)
    else:
        out.print(document_text(doc), markup=False, highlight=False)
        if story:
            out.print(f"\nstory {doc.cluster_id or doc.id}: {len(members)} copies", markup=False)
            for i, m in enumerate(members):
                mark = "canonical" if i == 0 else "repost"
                line = f"  {m.id[:10]}  {byline(m)}  {mark}  {m.title}"
                out.print(line, markup=False, highlight=False)
    target.close()


def list_cmd(
    db: common.DbOption = None,
    source: common.SourceOption = None,
    since: common.SinceOption = None,
    until: common.UntilOption = None,
    lang: LangOption = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_INT, help="How many documents.")] = 20,
    offset: Annotated[int, typer.Option(min=0, max=MAX_INT, help="Skip this many first.")] = 0,
    every_copy: Annotated[
        bool, typer.Option("--all", help="Every copy of a story, not one per story.")
    ] = False,
    as_json: common.JsonOption = False,
) -> None:
    """List stored documents, newest first, one per story (with its repost count)."""
    target = common.store(db)
    flt = replace(
        common.selection(source, since, until, lang),
        limit=limit,
        offset=offset,
        one_per_story=not every_copy,
    )
    listing = list_with_reposts(target, flt)
    if as_json:
        common.print_json([{**d.to_dict(paragraphs=False), "reposts": n} for d, n in listing])
    else:
        table = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("id", "title", "source · time", "¶", "reposts"):
            table.add_column(col, overflow="fold")
        for d, n in listing:
            table.add_row(
                d.id[:10], d.title, byline(d), str(len(d.paragraphs)), f"+{n}" if n else ""
            )
        out.print(table)
        if not listing:
            err.print("no documents match; `newsdesk ingest PATH` adds some")
    target.close()


def stats_cmd(db: common.DbOption = None, as_json: common.JsonOption = False) -> None:
    """Counts of stored documents and paragraphs, by language and source."""
    target = common.store(db)
    stats = target.stats()
    if as_json:
        common.print_json(stats)
    else:
        for key, value in stats.items():
            if isinstance(value, dict):
                out.print(f"{key}:")
                for k, v in value.items():
                    out.print(f"  {k}: {v}", markup=False)
            else:
                out.print(f"{key}: {value}", markup=False)
    target.close()


def search_cmd(
    query: Annotated[str, typer.Argument(help="Words or a question, in Chinese or English.")],
    db: common.DbOption = None,
    since: common.SinceOption = None,
    until: common.UntilOption = None,
    source: common.SourceOption = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Only documents in this language.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many hits.")] = 10,
    sort: Annotated[str, typer.Option(help="relevance or newest.")] = "relevance",
    mode: common.ModeOption = "hybrid",
    as_json: common.JsonOption = False,
) -> None:
    """Search stored documents in Chinese or English; shows the matching paragraphs."""
    if sort not in ("relevance", "newest"):
        raise typer.BadParameter("use relevance or newest", param_hint="--sort")
    common.check_mode(mode)
    target = common.store(db)
    chosen = common.selection(source, since, until, lang)
    options = SearchOptions(
        since=chosen.since,
        until=chosen.until,
        source=chosen.source,
        language=chosen.language,
        limit=limit,
        sort=cast(Sort, sort),
        mode=cast(Mode, mode),
    )
    hits = search(target, query, options)
    if as_json:
        common.print_json([h.to_dict() for h in hits])
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
    target.close()


def _highlighted(snippet: str, spans: tuple[tuple[int, int], ...]) -> Text:
    text = Text(snippet)
    for start, end in spans:
        text.stylize("bold yellow", start, end)
    return text


def register(group: typer.Typer) -> None:
    """Add these commands to ``group``, in the order its help lists them."""
    group.command("show")(show_cmd)
    group.command("list")(list_cmd)
    group.command("stats")(stats_cmd)
    group.command("search")(search_cmd)
