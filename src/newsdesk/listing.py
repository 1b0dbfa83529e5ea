"""Listing stored documents, as ``newsdesk list`` and ``GET /api/documents`` do.

Both faces take the same options as strings; ``document_filter`` turns them
into the store's ``DocumentFilter`` with the face's own date parser (which
names the bad option its way), and ``listing_json`` is the JSON of a listing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from newsdesk.model import Document
from newsdesk.store.base import DocumentFilter

# (value, the option's name) -> the date, or None for no value; raises on a bad date
DateParser = Callable[[str | None, str], datetime | None]


def document_filter(
    parse_date: DateParser,
    names: tuple[str, str],
    *,
    source: str | None,
    since: str | None,
    until: str | None,
    language: str | None,
    limit: int,
    offset: int,
    every_copy: bool,
) -> DocumentFilter:
    """The filter of a listing; ``names`` are the face's names of ``since`` and ``until``."""
    return DocumentFilter(
        source=source,
        since=parse_date(since, names[0]),
        until=parse_date(until, names[1]),
        language=language,
        limit=limit,
        offset=offset,
        one_per_story=not every_copy,
    )


def listing_json(rows: Sequence[tuple[Document, int]]) -> list[dict[str, object]]:
    """Each document without its paragraphs, with ``reposts``: its story's other copies."""
    return [{**d.to_dict(paragraphs=False), "reposts": n} for d, n in rows]
