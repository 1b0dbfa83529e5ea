"""The ingest stage, run in order: read -> fetch -> extract -> clean -> number -> store."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from newsdesk import dedup
from newsdesk.errors import EmptyDocument, InputError
from newsdesk.index import index_entries
from newsdesk.ingest.budget import Budget
from newsdesk.ingest.clean import clean_paragraphs, normalize_title
from newsdesk.ingest.dates import parse_date
from newsdesk.ingest.fetch import Fetched, Fetcher
from newsdesk.ingest.names import display_name
from newsdesk.ingest.policy import UrlPolicy, local_link
from newsdesk.ingest.sources import (
    FollowLink,
    RawArticle,
    count_items,
    looks_like_feed,
    read_bounded,
    read_feed,
    read_html,
    read_path,
)
from newsdesk.ingest.validate import bound_paragraphs, clean_text, sane_date, validate_raw
from newsdesk.model import Document, IngestReport, ItemReport, Outcome, document_id
from newsdesk.store.base import Store
from newsdesk.text.embed import Embedder, get_embedder
from newsdesk.text.lang import detect_language, has_cjk
from newsdesk.text.segment import Segmenter

# Documents written per transaction: a killed ingest loses at most this many
# uncommitted documents (never half of one), and the next run stores them.
BATCH = 200
_TITLE_FROM_BODY = re.compile(r"^(.{4,40}?)[。！？!?，,；;]")


@dataclass(slots=True)
class IngestOptions:
    """How to read inputs: JSONL field mapping, a source name for all, HTTP fetching."""

    mapping: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    fetcher: Fetcher | None = None
    embed: bool = True  # compute vectors for dense search now (else `newsdesk index` later)
    embedder: Embedder | None = None  # default: the `embedder` setting
    segmenter: Segmenter | None = None
    dedup: bool = True  # cluster reposts as documents are stored
    cluster: Any = None  # a Dask client: per-document work goes to its workers

    def active_embedder(self) -> Embedder | None:
        """The embedder to use at ingest, or None when embedding is off."""
        if not self.embed:
            return None
        return self.embedder or get_embedder()


Progress = Callable[[ItemReport | None, int], None]
"""Called after each item with its report and the current total estimate."""


def is_url(text: str) -> bool:
    """Whether an input names an http(s) or file URL rather than a path."""
    return text.startswith(("http://", "https://", "file://"))


def _file_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def build_document(
    raw: RawArticle,
    *,
    source: str | None = None,
    now: datetime | None = None,
    budget: Budget | None = None,
) -> tuple[Document, list[str], int]:
    """Validate and clean one raw article into a Document; returns it, warnings, removed."""
    now = now or datetime.now(UTC)
    budget = budget or Budget.from_settings()
    raw = validate_raw(raw, budget)
    source = clean_text(source) if source else source
    warnings = list(raw.warnings)
    title = normalize_title(raw.title or "")
    cleaned = clean_paragraphs(raw.paragraphs, title, markdown=raw.markdown)
    paragraphs = tuple(bound_paragraphs(cleaned.paragraphs, budget, raw.where))
    if not paragraphs:
        reason = "empty body" if not any(p.strip() for p in raw.paragraphs) else "only boilerplate"
        raise EmptyDocument(raw.where, f"no text left after cleaning ({reason})")
    if not title:
        m = _TITLE_FROM_BODY.match(paragraphs[0])
        title = m.group(1) if m else paragraphs[0][:40]
        warnings.append("no title: used the start of the first paragraph")
    src = source or raw.source or cleaned.source_hint
    if not src:
        src = _fallback_source(raw)
        warnings.append(f"no source: named it {src!r} after its origin (set one with --source)")
    language = detect_language("\n".join(paragraphs[:5]))
    if language == "und":
        language = detect_language(title)
    chinese = language == "zh" or has_cjk(src)
    published = None
    if raw.date:
        published = parse_date(raw.date, chinese=chinese, now=now)
        if published is None:
            warnings.append(f"unrecognized date {raw.date!r}: stored without a publish time")
        elif not sane_date(published, now):
            warnings.append(
                f"date {raw.date!r} out of range (1900 to now): stored without a publish time"
            )
            published = None
    else:
        warnings.append("no date: stored without a publish time")
    doc = Document(
        id=document_id(src, title, paragraphs),
        title=title,
        paragraphs=paragraphs,
        source=src,
        source_display=display_name(src),
        published_at=published,
        language=language,
        url=raw.url,
        fetched_at=now,
    )
    return doc, warnings, cleaned.removed


def _fallback_source(raw: RawArticle) -> str:
    if raw.url and urlsplit(raw.url).scheme in ("http", "https"):
        return urlsplit(raw.url).netloc.removeprefix("www.")
    where = raw.where.split(":")[0] if ":" in raw.where else raw.where
    return Path(where.split(" entry ")[0]).stem


class _Batcher:
    """Collects built documents and writes them BATCH at a time."""

    def __init__(
        self, store: Store, report: IngestReport, progress: Progress | None, opts: IngestOptions
    ) -> None:
        self.store = store
        self.dedup = opts.dedup
        self.segmenter = opts.segmenter
        self.embedder = opts.active_embedder()
        self.report = report
        self.progress = progress
        self.total = 0
        self.budget = Budget.from_settings()
        self.pending: list[tuple[Document, RawArticle, list[str]]] = []

    def note(self, item: ItemReport) -> None:
        self.report.items.append(item)
        if self.progress:
            self.progress(item, self.total)

    def fail(self, error: InputError) -> None:
        self.note(ItemReport(error.where, Outcome.FAILED, message=error.reason))

    def add(self, raw: RawArticle, source: str | None) -> None:
        try:
            doc, warnings, removed = build_document(raw, source=source, budget=self.budget)
        except InputError as e:
            self.fail(e)
            return
        self.report.boilerplate_removed += removed
        self.pending.append((doc, raw, warnings))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        docs = [(doc, raw.origin) for doc, raw, _ in self.pending]
        outcomes = write_batch(self.store, docs, self.segmenter, self.embedder, self.dedup)
        for (doc, raw, warnings), outcome in zip(self.pending, outcomes, strict=True):
            self.note(ItemReport(raw.where, outcome, doc.id, warnings=tuple(warnings)))
        self.pending = []


class _RemoteBatcher(_Batcher):
    """Sends raw articles to Dask workers BATCH at a time; reports come back in order."""

    def __init__(
        self, store: Store, report: IngestReport, progress: Progress | None, opts: IngestOptions
    ) -> None:
        super().__init__(store, report, progress, opts)
        from newsdesk.cluster import settings_env

        self.client = opts.cluster
        self.embed = opts.embed
        self.env = settings_env()
        self.raws: list[tuple[RawArticle, str | None]] = []
        self.futures: list[Any] = []

    def add(self, raw: RawArticle, source: str | None) -> None:
        self.raws.append((raw, source))
        if len(self.raws) >= BATCH:
            self.flush()

    def flush(self) -> None:
        from newsdesk.cluster import remote_batch

        if self.raws:
            self.futures.append(
                self.client.submit(
                    remote_batch, self.store.location, self.raws, self.env, self.embed, pure=False
                )
            )
            self.raws = []

    def finish(self) -> None:
        """Wait for every batch; note its reports in the order the batches were sent."""
        for future in self.futures:
            reports, removed = future.result()
            self.report.boilerplate_removed += removed
            for item in reports:
                self.note(item)
        self.futures = []


def write_batch(
    store: Store,
    docs: Sequence[tuple[Document, str | None]],
    segmenter: Segmenter | None,
    embedder: Embedder | None,
    cluster: bool,
) -> list[Outcome]:
    """Index the new documents, store the batch in one transaction, cluster what was added."""
    # Index only what is new: re-ingesting a corpus costs no embedding.
    stored = store.existing_ids(doc.id for doc, _ in docs)
    new = {doc.id: doc for doc, _ in docs if doc.id not in stored}
    entries = index_entries(list(new.values()), segmenter, embedder)
    outcomes = store.add_many(list(docs), {e.doc_id: e for e in entries})
    if cluster:
        fresh = {
            doc.id: doc
            for (doc, _), outcome in zip(docs, outcomes, strict=True)
            if outcome in (Outcome.ADDED, Outcome.UPDATED)
        }
        dedup.assign(store, list(fresh.values()))
    return outcomes


def ingest(
    inputs: Sequence[str],
    store: Store,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files, folders, JSONL exports, feeds and pages into ``store``.

    Every item ends as added, updated, duplicate or failed in the report; one
    bad item never stops the batch.
    """
    opts = options or IngestOptions()
    started = time.perf_counter()
    report = IngestReport()
    batch = (
        _Batcher(store, report, progress, opts)
        if opts.cluster is None
        else _RemoteBatcher(store, report, progress, opts)
    )
    urls: list[str] = []
    local: list[Path] = []
    for item in inputs:
        if item.startswith(("http://", "https://")):
            urls.append(item)
        else:
            local.append(_file_path(item) if item.startswith("file://") else Path(item))
    batch.total = sum(count_items(p) for p in local) + len(urls)
    if progress:
        progress(None, batch.total)
    follow: list[FollowLink] = []
    policy = UrlPolicy.for_inputs(urls)  # the user's URLs are trusted; links in data are not
    for path in local:
        _consume(read_path(path, opts.mapping, batch.budget), batch, follow, opts.source)
    if urls:
        fetcher = opts.fetcher or Fetcher(cache=store)
        for url, got in zip(urls, fetcher.fetch_all(urls, policy), strict=True):
            if not isinstance(got, InputError) and got.not_modified:
                report.notes.append(f"{url}: not modified since the last poll (HTTP 304)")
                continue
            _consume(_from_response(url, got), batch, follow, opts.source)
    if follow:
        _follow_links(follow, batch, opts, store, policy)
    batch.flush()
    if isinstance(batch, _RemoteBatcher):
        batch.finish()
    if opts.dedup:
        dedup.cluster_unassigned(store)  # documents a killed run stored but did not cluster
    report.seconds = time.perf_counter() - started
    return report


def _consume(
    items: Iterable[RawArticle | FollowLink | InputError],
    batch: _Batcher,
    follow: list[FollowLink],
    source: str | None,
) -> None:
    for item in items:
        if isinstance(item, InputError):
            batch.fail(item)
        elif isinstance(item, FollowLink):
            follow.append(item)
            batch.total += 1
        else:
            batch.add(item, source)


def _from_response(
    url: str, got: Fetched | InputError
) -> Iterator[RawArticle | FollowLink | InputError]:
    if isinstance(got, InputError):
        yield got
        return
    if looks_like_feed(got.content, got.content_type):
        yield from read_feed(got.content, url, base_url=got.final_url)
        return
    try:
        yield read_html(got.content, url, url=got.final_url, charset=got.charset)
    except InputError as e:
        yield e


def _follow_links(
    links: list[FollowLink], batch: _Batcher, opts: IngestOptions, store: Store, policy: UrlPolicy
) -> None:
    """Fetch the pages of teaser feed entries, each link checked by the URL policy first.

    A ``file:`` link is read only when it names an HTML file in its local
    feed's own folder; any other is refused before anything is opened.
    """
    remote: list[str] = []
    for link in links:
        if not link.url.lower().startswith("file:"):
            try:
                policy.check_link(link.url, link.url)
            except InputError:
                continue  # refused again below, with its message, in the batch's order
            remote.append(link.url)
    fetched: dict[str, Fetched | InputError] = {}
    if remote:
        fetcher = opts.fetcher or Fetcher(cache=store)
        fetched = dict(zip(remote, fetcher.fetch_all(remote, policy), strict=True))
    for link in links:
        try:
            if link.url.lower().startswith("file:"):
                path = local_link(link.url, link.root, link.url)
                raw = read_html(read_bounded(path, batch.budget), link.url, url=None)
            else:
                got = fetched.get(link.url)
                if got is None:
                    policy.check_link(link.url, link.url)  # raises: it was refused above
                    raise InputError(link.url, "not fetched")
                if isinstance(got, InputError):
                    raise got
                if got.not_modified:
                    batch.note(
                        ItemReport(link.url, Outcome.DUPLICATE, message="not modified (HTTP 304)")
                    )
                    continue
                raw = read_html(got.content, link.url, url=got.final_url, charset=got.charset)
        except InputError as e:
            batch.fail(e)
            continue
        except OSError as e:
            batch.fail(InputError(link.url, f"cannot read: {e.strerror or e}"))
            continue
        raw.title = link.title or raw.title
        raw.date = link.date or raw.date
        raw.source = link.source or raw.source
        raw.origin = link.url
        batch.add(raw, opts.source)
