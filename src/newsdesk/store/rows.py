"""Rows as objects and filters as SQL: the shapes every SQL store reads and writes."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from newsdesk.model import Alert, Delivery, Document, Run
from newsdesk.store import owners
from newsdesk.store.base import TABLES, DocumentFilter, Row

DOC_COLUMNS = (
    "id, title, source, source_display, published_at, language, url, fetched_at, cluster_id"
)
RUN_COLUMNS = TABLES["runs"][:-1]  # every column but the digest
DELIVERY_COLUMNS = "id, key, channel, status, attempts, error, created_at, sent_at, payload"


def filter_sql(flt: DocumentFilter, alias: str = "") -> tuple[str, list[object]]:
    """The WHERE clause (``?`` placeholders) of a filter over current documents."""
    a = alias
    clauses = [f"{a}superseded_by IS NULL"]
    args: list[object] = []
    if flt.source:
        clauses.append(f"({a}source = ? OR lower({a}source_display) = lower(?))")
        args += [flt.source, flt.source]
    if flt.since:
        clauses.append(f"{a}published_ts >= ?")
        args.append(flt.since.timestamp())
    if flt.until:
        clauses.append(f"{a}published_ts < ?")
        args.append(flt.until.timestamp())
    if flt.language:
        clauses.append(f"{a}language = ?")
        args.append(flt.language)
    if flt.one_per_story:
        clauses.append(
            f"({a}cluster_id IS NULL OR {a}id ="
            f" (SELECT canonical_id FROM clusters c WHERE c.id = {a}cluster_id))"
        )
    return " AND ".join(clauses), args


def document_from_row(row: Row, paragraphs: Sequence[str]) -> Document:
    """A Document from a row of DOC_COLUMNS and its paragraphs in order."""
    return Document(
        id=row[0],
        title=row[1],
        source=row[2],
        source_display=row[3],
        published_at=datetime.fromisoformat(row[4]) if row[4] else None,
        language=row[5],
        url=row[6],
        fetched_at=datetime.fromisoformat(row[7]),
        cluster_id=row[8],
        paragraphs=tuple(paragraphs),
    )


def document_values(doc: Document, body_chars: bool) -> tuple[object, ...]:
    """The documents row of a new document (``body_chars``: with its body length last)."""
    published = doc.published_at
    values: tuple[object, ...] = (
        doc.id,
        doc.title,
        doc.source,
        doc.source_display,
        published.isoformat() if published else None,
        published.timestamp() if published else None,
        doc.language,
        doc.url,
        doc.fetched_at.isoformat(),
        len(doc.paragraphs),
        doc.cluster_id,
    )
    return (*values, sum(len(p) for p in doc.paragraphs)) if body_chars else values


def latest_versions(
    doc_ids: Sequence[str], superseded_by: Callable[[str], str | None]
) -> dict[str, str]:
    """Follow each document's ``superseded_by`` links to its current version (cycle-safe)."""
    out = {}
    for doc_id in doc_ids:
        at, seen = doc_id, {doc_id}
        while (nxt := superseded_by(at)) is not None and nxt not in seen:
            at = nxt
            seen.add(at)
        out[doc_id] = at
    return out


def busy_message(topic: str, run_id: int, owner: str) -> str:
    """Why a topic cannot start now: which run and process hold it."""
    where = owners.describe(owner)
    unknown = owners.alive(owner) is None
    return f"topic {topic!r} is already running (run {run_id}, {where})" + (
        ": another machine, which newsdesk cannot check from here" if unknown else ""
    )


def orphan_message(owner: str) -> str:
    """The message of a run ended because its process is gone."""
    return f"interrupted: {owners.describe(owner)} stopped before the run ended"


def run_from_row(row: Row) -> Run:
    """A Run from a row of RUN_COLUMNS (and the digest column, when the row has it)."""
    digest = None
    if len(row) > len(RUN_COLUMNS):  # the digest: '' for a run that wrote none
        digest = json.loads(row[-1]) if row[-1] else {}
    d = dict(zip(RUN_COLUMNS, row[: len(RUN_COLUMNS)], strict=True))
    return Run(
        id=int(d["id"]),
        topic=d["topic"],
        started_at=d["started_at"],
        finished_at=d["finished_at"],
        status=d["status"],
        items=tuple(json.loads(d["items"])),
        new_items=tuple(json.loads(d["new_items"])),
        summarized=int(d["summarized"]),
        message=d["message"],
        digest=digest,
    )


def delivery_from_row(row: Row) -> Delivery:
    """A Delivery from a row of DELIVERY_COLUMNS."""
    return Delivery(
        id=int(row[0]),
        key=row[1],
        channel=row[2],
        status=row[3],
        attempts=int(row[4]),
        error=row[5],
        created_at=row[6],
        sent_at=row[7],
        alert=Alert.from_dict(json.loads(row[8])),
    )


def alert_row(alert: Alert, channel: str, now: float) -> tuple[object, ...]:
    """The outbox row of an alert bound for a channel (key, topic, rule, channel, payload...)."""
    return (
        f"{alert.key}|{channel}",
        alert.topic,
        alert.rule,
        channel,
        json.dumps(alert.to_dict(), ensure_ascii=False),
        datetime.now(UTC).isoformat(),
        now,
    )
