"""The ingest pipeline, its steps in the order they run.

``ingest`` reads top to bottom as these steps:

1. **read** (``read_inputs``): files, folders, JSONL exports, feeds and pages
   into raw articles; teaser feed entries are followed to their pages.
2. **build** (``build_document``): validate, clean and number each article
   into a ``Document``.
3. **index** (``index_new``): search tokens and vectors of the documents the
   store does not hold yet (re-ingesting a corpus costs no embedding).
4. **store** (``Store.add_many``): ``BATCH`` documents per transaction, with
   their index entries.
5. **cluster** (``cluster_new``): the documents just stored join their story
   (``dedup``); last, any document a killed run stored but did not cluster.

Steps 2 to 5 run ``BATCH`` documents at a time (``write_batch``). With a Dask
client (``IngestOptions.dask``) steps 2 to 4 run on its workers (``_on_worker``)
and step 5 here, once they are done.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsdesk import dedup
from newsdesk.dask_workers import DaskClient, Future, submit
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
from newsdesk.model import (
    Document,
    IndexEntry,
    IngestReport,
    ItemReport,
    Outcome,
    document_id,
)
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
    dedup: bool = True  # cluster reposts into stories as documents are stored
    dask: DaskClient | None = None  # per-document work goes to this Dask client's workers

    def active_embedder(self) -> Embedder | None:
        """The embedder to use at ingest, or None when embedding is off."""
        if not self.embed:
            return None
        return self.embedder or get_embedder()


Progress = Callable[[ItemReport | None, int], None]
"""Called after each item with its report and the current total estimate."""


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
    tally = _Tally(IngestReport(), progress)
    budget = Budget.from_settings()
    writer = (
        _Writer(store, opts, tally, budget)
        if opts.dask is None
        else _DaskWriter(store, opts, tally, opts.dask)
    )
    for item in read_inputs(inputs, store, opts, budget, tally):  # 1. read
        if isinstance(item, ItemReport):
            tally.note(item)  # an item that could not be read
        else:
            writer.add(item)  # 2. build, then 3. index, 4. store, 5. cluster per batch
    writer.finish()
    if opts.dedup:
        dedup.cluster_unassigned(store)  # 5. what a killed run (or the workers) did not cluster
    tally.report.seconds = time.perf_counter() - started
    return tally.report


@dataclass(slots=True)
class _Tally:
    """The report so far; the progress callback hears of every item."""

    report: IngestReport
    progress: Progress | None
    total: int = 0

    def start(self, total: int) -> None:
        self.total = total
        if self.progress:
            self.progress(None, total)

    def note(self, item: ItemReport) -> None:
        self.report.items.append(item)
        if self.progress:
            self.progress(item, self.total)


def _failed(error: InputError) -> ItemReport:
    return ItemReport(error.where, Outcome.FAILED, message=error.reason)


# 1. read


def is_url(text: str) -> bool:
    """Whether an input names an http(s) or file URL rather than a path."""
    return text.startswith(("http://", "https://", "file://"))


def _file_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def read_inputs(
    inputs: Sequence[str], store: Store, opts: IngestOptions, budget: Budget, tally: _Tally
) -> Iterator[RawArticle | ItemReport]:
    """Step 1: the raw articles of ``inputs`` in order: local paths, then URLs, then links.

    An item that cannot be read comes as its failed report; the tally's total
    starts as an estimate and grows by one for each teaser link to follow.
    """
    urls: list[str] = []
    local: list[Path] = []
    for item in inputs:
        if item.startswith(("http://", "https://")):
            urls.append(item)
        else:
            local.append(_file_path(item) if item.startswith("file://") else Path(item))
    tally.start(sum(count_items(p) for p in local) + len(urls))
    follow: list[FollowLink] = []
    policy = UrlPolicy.for_inputs(urls)  # the user's URLs are trusted; links in data are not
    for path in local:
        yield from _articles(read_path(path, opts.mapping, budget), follow, tally)
    if urls:
        fetcher = opts.fetcher or Fetcher(cache=store)
        for url, got in zip(urls, fetcher.fetch_all(urls, policy), strict=True):
            if not isinstance(got, InputError) and got.not_modified:
                tally.report.notes.append(f"{url}: not modified since the last poll (HTTP 304)")
                continue
            yield from _articles(_from_response(url, got), follow, tally)
    if follow:
        yield from _follow_links(follow, opts, store, policy, budget)


def _articles(
    items: Iterable[RawArticle | FollowLink | InputError], follow: list[FollowLink], tally: _Tally
) -> Iterator[RawArticle | ItemReport]:
    """Raw articles and failures as they come; teaser links are kept to follow at the end."""
    for item in items:
        if isinstance(item, InputError):
            yield _failed(item)
        elif isinstance(item, FollowLink):
            follow.append(item)
            tally.total += 1
        else:
            yield item


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
    links: list[FollowLink], opts: IngestOptions, store: Store, policy: UrlPolicy, budget: Budget
) -> Iterator[RawArticle | ItemReport]:
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
                raw = read_html(read_bounded(path, budget), link.url, url=None)
            else:
                got = fetched.get(link.url)
                if got is None:
                    policy.check_link(link.url, link.url)  # raises: it was refused above
                    raise InputError(link.url, "not fetched")
                if isinstance(got, InputError):
                    raise got
                if got.not_modified:
                    yield ItemReport(link.url, Outcome.DUPLICATE, message="not modified (HTTP 304)")
                    continue
                raw = read_html(got.content, link.url, url=got.final_url, charset=got.charset)
        except InputError as e:
            yield _failed(e)
            continue
        except OSError as e:
            yield _failed(InputError(link.url, f"cannot read: {e.strerror or e}"))
            continue
        raw.title = link.title or raw.title
        raw.date = link.date or raw.date
        raw.source = link.source or raw.source
        raw.origin = link.url
        yield raw


# 2. build


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


# 3. index, 4. store, 5. cluster: one batch at a time


def write_batch(
    store: Store,
    docs: Sequence[tuple[Document, str | None]],
    segmenter: Segmenter | None,
    embedder: Embedder | None,
    cluster_stories: bool,
) -> list[Outcome]:
    """Steps 3 to 5 for one batch of built documents (with their origins); their outcomes."""
    entries = index_new(store, [doc for doc, _ in docs], segmenter, embedder)  # 3. index
    outcomes = store.add_many(list(docs), entries)  # 4. store, in one transaction
    if cluster_stories:
        cluster_new(store, [doc for doc, _ in docs], outcomes)  # 5. cluster
    return outcomes


def index_new(
    store: Store,
    docs: Sequence[Document],
    segmenter: Segmenter | None,
    embedder: Embedder | None,
) -> dict[str, IndexEntry]:
    """Step 3: index entries, by document id, of the documents the store does not hold yet."""
    stored = store.existing_ids(doc.id for doc in docs)
    new = {doc.id: doc for doc in docs if doc.id not in stored}
    return {e.doc_id: e for e in index_entries(list(new.values()), segmenter, embedder)}


def cluster_new(store: Store, docs: Sequence[Document], outcomes: Sequence[Outcome]) -> None:
    """Step 5: the documents a batch added or updated join their stories."""
    fresh = {
        doc.id: doc
        for doc, outcome in zip(docs, outcomes, strict=True)
        if outcome in (Outcome.ADDED, Outcome.UPDATED)
    }
    dedup.assign(store, list(fresh.values()))


class _Writer:
    """Steps 2 to 5 in this process: each article built as it comes, BATCH written at once."""

    def __init__(self, store: Store, opts: IngestOptions, tally: _Tally, budget: Budget) -> None:
        self.store = store
        self.source = opts.source
        self.dedup = opts.dedup
        self.segmenter = opts.segmenter
        self.embedder = opts.active_embedder()
        self.tally = tally
        self.budget = budget
        self.pending: list[tuple[Document, RawArticle, list[str]]] = []

    def add(self, raw: RawArticle) -> None:
        try:
            doc, warnings, removed = build_document(raw, source=self.source, budget=self.budget)
        except InputError as e:
            self.tally.note(_failed(e))
            return
        self.tally.report.boilerplate_removed += removed
        self.pending.append((doc, raw, warnings))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        docs = [(doc, raw.origin) for doc, raw, _ in self.pending]
        outcomes = write_batch(self.store, docs, self.segmenter, self.embedder, self.dedup)
        for (doc, raw, warnings), outcome in zip(self.pending, outcomes, strict=True):
            self.tally.note(ItemReport(raw.where, outcome, doc.id, warnings=tuple(warnings)))
        self.pending = []

    def finish(self) -> None:
        self.flush()


class _DaskWriter:
    """Steps 2 to 4 on Dask workers, BATCH raw articles a task; reports come back in order."""

    def __init__(
        self, store: Store, opts: IngestOptions, tally: _Tally, client: DaskClient
    ) -> None:
        self.store = store
        self.source = opts.source
        self.embed = opts.embed
        self.tally = tally
        self.client = client
        self.raws: list[RawArticle] = []
        self.futures: list[Future[tuple[list[ItemReport], int]]] = []

    def add(self, raw: RawArticle) -> None:
        self.raws.append(raw)
        if len(self.raws) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.raws:
            self.futures.append(
                submit(self.client, self.store, _on_worker, self.raws, self.source, self.embed)
            )
            self.raws = []

    def finish(self) -> None:
        """Send what is left, then wait for every batch in the order they were sent."""
        self.flush()
        for future in self.futures:
            reports, removed = future.result()
            self.tally.report.boilerplate_removed += removed
            for item in reports:
                self.tally.note(item)
        self.futures = []


def _on_worker(
    store: Store, raws: Sequence[RawArticle], source: str | None, embed: bool
) -> tuple[list[ItemReport], int]:
    """On a Dask worker: steps 2 to 4 for a batch of raw articles; their reports, and
    the boilerplate paragraphs removed (the client clusters them in step 5)."""
    reports: list[ItemReport] = []
    built: list[tuple[Document, RawArticle, list[str]]] = []
    removed = 0
    for raw in raws:
        try:
            doc, warnings, dropped = build_document(raw, source=source)
        except InputError as e:
            reports.append(_failed(e))
            continue
        removed += dropped
        built.append((doc, raw, warnings))
    embedder = get_embedder() if embed else None
    docs = [(doc, raw.origin) for doc, raw, _ in built]
    outcomes = write_batch(store, docs, None, embedder, cluster_stories=False)
    reports += [
        ItemReport(raw.where, outcome, doc.id, warnings=tuple(warnings))
        for (doc, raw, warnings), outcome in zip(built, outcomes, strict=True)
    ]
    return reports, removed
