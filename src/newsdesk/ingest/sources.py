"""What to read: local files and folders, JSONL exports, and feeds and pages.

Every reader yields ``RawArticle`` items (or the ``InputError`` of one bad
item) and never raises for one item's fault, so a batch always goes on.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from newsdesk.errors import ConfigError, EmptyDocument, InputError, MalformedRecord
from newsdesk.ingest.budget import Budget
from newsdesk.ingest.extract import decode_text, extract_html


@dataclass(slots=True)
class RawArticle:
    """One article as read, before cleaning."""

    where: str  # for messages: file:line, a path or a URL
    paragraphs: list[str]
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    origin: str | None = None  # identifies the article across versions (URL or file#id)
    markdown: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FollowLink:
    """A feed entry whose full text must be fetched from its page."""

    url: str
    title: str | None
    date: str | None
    source: str | None
    root: Path | None = None  # a local feed's folder: its file: links may name HTML files there


# --- JSONL ------------------------------------------------------------------

FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "text": ("paragraphs", "text", "content", "body"),
    "date": ("published_at", "date", "published", "pubDate", "time", "datetime"),
    "source": ("source", "site", "source_name", "media"),
    "url": ("url", "source_url", "link"),
    "id": ("id", "guid", "doc_id"),
}


def parse_mapping(spec: str | None) -> dict[str, str]:
    """Parse ``--map title=headline,text=body`` into {field: record key}."""
    if not spec:
        return {}
    out: dict[str, str] = {}
    for part in spec.split(","):
        name, sep, key = part.partition("=")
        name, key = name.strip(), key.strip()
        if not sep or not key or name not in FIELDS:
            known = ", ".join(FIELDS)
            raise ConfigError(f"--map {spec!r}: expected FIELD=KEY pairs with FIELD in {known}")
        out[name] = key
    return out


def _pick(record: Mapping[str, Any], name: str, mapping: Mapping[str, str]) -> Any:
    keys = (mapping[name],) if name in mapping else FIELDS[name]
    for key in keys:
        value = record.get(key)
        if value not in (None, "", []):
            return value
    return None


def read_jsonl(
    path: Path, mapping: Mapping[str, str], budget: Budget | None = None
) -> Iterator[RawArticle | InputError]:
    """One item per line; a bad line is reported as file:line with the reason."""
    budget = budget or Budget.from_settings()
    limit = budget.max_bytes
    with path.open("rb") as f:
        lineno = 0
        while raw := f.readline(limit + 1):
            lineno += 1
            where = f"{path}:{lineno}"
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass  # skip the rest of the line without holding it
                try:
                    budget.check_size(limit + 1, where, "the line is more than")
                except InputError as e:
                    yield e
                continue
            if not raw.strip():
                continue
            try:
                yield _parse_line(raw, where, path.name, mapping, budget)
            except InputError as e:
                yield e


def _parse_line(
    raw: bytes, where: str, filename: str, mapping: Mapping[str, str], budget: Budget
) -> RawArticle:
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise MalformedRecord(where, f"not UTF-8 ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise MalformedRecord(where, f"invalid JSON: {e.msg} at column {e.colno}") from None
    except ValueError as e:  # an integer of more than 4,300 digits
        raise MalformedRecord(where, f"invalid JSON: {e}") from None
    except RecursionError:
        raise MalformedRecord(
            where, f"invalid JSON: nested too deep (the limit is {budget.max_depth})"
        ) from None
    if not isinstance(record, dict):
        raise MalformedRecord(where, f"expected a JSON object, got {type(record).__name__}")
    budget.check_depth(record, where)
    return _from_record(_without_lone_surrogates(record), where, filename, mapping)


def _without_lone_surrogates(value: Any) -> Any:
    """The parsed value with each lone UTF-16 surrogate ("\\ud800") as U+FFFD.

    JSON lets the escape through, but it is no character: no store or page can
    hold it (a url of one stopped the batch's write). Titles and paragraphs were
    already cleaned so; now every field is, and a url that is no URL is dropped.
    """
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def _from_record(
    record: Mapping[str, Any], where: str, filename: str, mapping: Mapping[str, str]
) -> RawArticle:
    body = _pick(record, "text", mapping)
    if isinstance(body, str):
        paragraphs = [body]
    elif isinstance(body, list) and all(isinstance(p, str) for p in body):
        paragraphs = list(body)
    elif body is None:
        keys = mapping.get("text") or " | ".join(FIELDS["text"])
        raise MalformedRecord(where, f"no article text: expected a field {keys} (see --map)")
    else:
        raise MalformedRecord(where, "the text field must be a string or a list of strings")
    ident = _pick(record, "id", mapping)
    url = _pick(record, "url", mapping)
    origin = str(url) if url else (f"{filename}#{ident}" if ident is not None else None)
    return RawArticle(
        where=where,
        paragraphs=paragraphs,
        title=_text_or_none(_pick(record, "title", mapping)),
        date=_text_or_none(_pick(record, "date", mapping)),
        source=_text_or_none(_pick(record, "source", mapping)),
        url=str(url) if url else None,
        origin=origin,
    )


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


# --- text, Markdown and HTML files ----------------------------------------

_FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*\n", re.S)


def read_text_file(path: Path, budget: Budget | None = None) -> RawArticle:
    """A plain-text or Markdown article: optional front matter, then title, then body."""
    text, warning = decode_text(read_bounded(path, budget), str(path))
    meta: dict[str, str] = {}
    m = _FRONT_MATTER.match(text)
    if m:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[m.end() :]
    markdown = path.suffix.lower() in (".md", ".markdown")
    title = meta.get("title")
    body = text.strip()
    if title is None and body:
        first, _, rest = body.partition("\n")
        title = first.lstrip("#").strip()
        body = rest.strip()
    return RawArticle(
        where=str(path),
        paragraphs=[body] if body else [],
        title=title,
        date=meta.get("date") or meta.get("published_at"),
        source=meta.get("source"),
        url=meta.get("url"),
        origin=meta.get("url") or str(path.resolve()),
        markdown=markdown,
        warnings=[warning] if warning else [],
    )


def read_bounded(path: Path, budget: Budget | None = None) -> bytes:
    """A file's bytes, refused (OverBudget) when it is larger than the byte budget."""
    budget = budget or Budget.from_settings()
    with path.open("rb") as f:
        data = f.read(budget.max_bytes + 1)
    budget.check_size(len(data), str(path), "the file is more than")
    return data


def read_html(data: bytes, where: str, url: str | None, charset: str | None = None) -> RawArticle:
    """An HTML page: charset, then article extraction."""
    html, warning = decode_text(data, where, declared=charset)
    found = extract_html(html, where, url=url)
    return RawArticle(
        where=where,
        paragraphs=found.paragraphs,
        title=found.title,
        date=found.date,
        source=found.sitename,
        url=url,
        origin=url or where,
        warnings=[warning] if warning else [],
    )


# --- feeds ------------------------------------------------------------------

# A feed entry's <content:encoded> is its full text once it has this many
# characters; a <description>/<summary> alone is taken as a teaser (the page is
# fetched) unless it is at least MIN_SUMMARY_TEXT long. Teasers in real feeds
# run 100-300 characters.
MIN_CONTENT_TEXT = 80
MIN_SUMMARY_TEXT = 300


def looks_like_feed(data: bytes, content_type: str = "") -> bool:
    """Whether a response is an RSS/Atom feed rather than a page."""
    if any(t in content_type for t in ("rss", "atom", "xml")) and "html" not in content_type:
        return True
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)


def read_feed(
    data: bytes, where: str, base_url: str | None, root: Path | None = None
) -> Iterator[RawArticle | FollowLink | InputError]:
    """Entries of an RSS/Atom feed: full articles, or links to fetch.

    ``root`` is the folder of a local feed file: its relative links name files
    there (read only if the URL policy allows; see ``policy.local_link``).
    """
    if not data.strip():
        yield EmptyDocument(where, "empty feed: the file or response has no content")
        return
    parsed = feedparser.parse(data)
    if parsed.get("bozo") and not parsed.entries:
        reason = parsed.get("bozo_exception", "not a feed")
        yield InputError(where, f"cannot parse the feed: {reason}")
        return
    if not parsed.entries and not parsed.get("version"):
        yield InputError(where, "not an RSS or Atom feed (no <rss>, <feed> or <rdf> root)")
        return
    feed_title = parsed.feed.get("title") or (urlsplit(base_url).netloc if base_url else None)
    for i, entry in enumerate(parsed.entries, start=1):
        link = entry.get("link")
        if link and base_url:
            link = urljoin(base_url, link)
        # a local feed's own page links are files, not the article's web address
        page_url = None if root is not None and link and link.startswith("file:") else link
        entry_where = f"{where} entry {i}" + (f" ({link})" if link else "")
        title = entry.get("title")
        date = entry.get("published") or entry.get("updated")
        content = entry["content"][0].get("value", "") if entry.get("content") else ""
        summary = entry.get("summary", "")
        full = _text_len(content) >= MIN_CONTENT_TEXT or _text_len(summary) >= MIN_SUMMARY_TEXT
        html = content if _text_len(content) >= MIN_CONTENT_TEXT else summary or content
        if full or not link:
            if not html.strip():
                yield InputError(entry_where, "the entry has neither text nor a link")
                continue
            try:
                article = read_html(
                    f"<html><body><article>{html}</article></body></html>".encode(),
                    entry_where,
                    page_url,
                )
            except InputError as e:
                yield e
                continue
            article.title = title or article.title
            article.date = date
            article.source = feed_title
            article.origin = entry.get("id") or link or entry_where
            yield article
        else:
            yield FollowLink(url=link, title=title, date=date, source=feed_title, root=root)


def _text_len(html: str) -> int:
    return len(re.sub(r"<[^>]+>|\s+", "", html))


# --- local paths ------------------------------------------------------------

_HTML = {".html", ".htm", ".xhtml", ".shtml"}
_TEXT = {".txt", ".md", ".markdown"}
_JSONL = {".jsonl", ".ndjson"}
_FEED = {".rss", ".atom", ".xml"}
SUPPORTED = _HTML | _TEXT | _JSONL | _FEED


def iter_files(path: Path) -> Iterator[Path]:
    """The files under ``path`` (itself, if a file), in a stable order."""
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith("."):
                yield p
    else:
        yield path


def read_path(
    path: Path, mapping: Mapping[str, str], budget: Budget | None = None
) -> Iterator[RawArticle | FollowLink | InputError]:
    """Everything in one local file or folder."""
    budget = budget or Budget.from_settings()
    if "\x00" in str(path):
        yield InputError(repr(str(path)), "a path cannot contain a NUL character")
        return
    if not path.exists():
        yield InputError(str(path), "no such file or folder")
        return
    for file in iter_files(path):
        suffix = file.suffix.lower()
        try:
            if suffix in _JSONL:
                yield from read_jsonl(file, mapping, budget)
            elif suffix in _HTML:
                yield read_html(read_bounded(file, budget), str(file), url=None)
            elif suffix in _TEXT:
                yield read_text_file(file, budget)
            elif suffix in _FEED:
                yield from read_feed(
                    read_bounded(file, budget),
                    str(file),
                    base_url=file.resolve().as_uri(),
                    root=file.resolve().parent,
                )
            else:
                kinds = ", ".join(sorted(SUPPORTED))
                yield InputError(str(file), f"unsupported file type {suffix!r} (known: {kinds})")
        except InputError as e:
            yield e
        except OSError as e:
            yield InputError(str(file), f"cannot read: {e.strerror or e}")


def count_items(path: Path) -> int:
    """A quick estimate of how many items a path holds (for progress bars)."""
    total = 0
    if "\x00" in str(path) or not path.exists():
        return 1
    for file in iter_files(path):
        if file.suffix.lower() in _JSONL:
            with file.open("rb") as f:  # newlines counted in blocks: no line held whole
                total += sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
        else:
            total += 1
    return total
