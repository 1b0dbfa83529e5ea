"""The fuzz suite: any input gives a stored document or a named error, never a traceback.

Property-based tests (hypothesis) over the JSONL, text, HTML and feed readers
and the date parser, and whole ingest batches that mix generated hostile items
with good ones (every good one must be stored). Links in generated feeds are
only ``file:``, non-web schemes, and loopback or private IP literals, so the
policy refuses them before any connection: no test traffic leaves the machine,
and no name is looked up. Each test asserts that it ran its quota of examples
(2,150 in all); the deadline catches a hang (an example over 30 s fails).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk import DocumentFilter, IngestOptions, Outcome, ingest
from newsdesk.errors import InputError, Refused
from newsdesk.ingest.budget import Budget
from newsdesk.ingest.dates import parse_date
from newsdesk.ingest.pipeline import build_document
from newsdesk.ingest.policy import UrlPolicy, local_link
from newsdesk.ingest.sources import (
    FollowLink,
    RawArticle,
    read_feed,
    read_html,
    read_jsonl,
    read_text_file,
)
from newsdesk.ingest.validate import sane_date
from newsdesk.model import Document
from newsdesk.store import open_store

from . import hostile
from .hostile import SECRET

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
GOOD = [
    "商务部新闻发言人表示，中方对稀土永磁体相关物项依法实施出口管制。",
    "发言人介绍，商务部已依法审批了一批符合规定的出口申请。",
]


def fuzz(n: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings for one fuzz test: ``n`` examples, a 30 s deadline each."""
    return settings(
        max_examples=n,
        deadline=timedelta(seconds=30),
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# --- strategies -------------------------------------------------------------

# Any code point, lone surrogates and NUL included.
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None)
nasty_text = st.one_of(
    st.text(any_char, max_size=60),
    st.sampled_from(
        [
            "\x00",
            "\ud800",
            "\udfff稀土",
            "\ufeff",
            "稀土\u0000永磁",
            "\u202e反转",
            "<script>alert(1)</script>",
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "file:///etc/passwd",
            "\r\n\r\n",
            "。" * 50,
            "稀土" * 400,
        ]
    ),
)
dates = st.one_of(
    nasty_text,
    st.builds(
        lambda n, u: f"{n}{u}前",
        st.integers(0, 10**30),
        st.sampled_from(["秒", "分钟", "小时", "天"]),
    ),
    st.builds(
        lambda y, mo, d, h, m, oh, om, sign: (
            f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{m:02d}:00{sign}{oh:02d}:{om:02d}"
        ),
        st.integers(0, 99999),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.sampled_from(["+", "-"]),
    ),
    st.builds(
        lambda y, mo, d: f"{y}年{mo}月{d}日 04:15",
        st.integers(0, 10**6),
        st.integers(),
        st.integers(),
    ),
    st.builds(lambda mo, d: f"{mo}-{d} 04:15", st.integers(0, 10**9), st.integers(0, 10**9)),
    st.sampled_from(
        ["昨天 99:99", "前天 08:30", "Wed, 24 Dec 99999 06:30:00 +9999", "0000-00-00", "Z", "T"]
    ),
)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["title", "headline", "paragraphs", "text", "content", "body", "date", "time", "source"]
FIELDS += ["url", "link", "id", "guid"]
records = st.dictionaries(
    st.sampled_from(FIELDS),
    st.one_of(json_value, st.lists(nasty_text, max_size=5), dates),
    max_size=8,
)
raw_lines = st.one_of(
    records.map(lambda r: json.dumps(r, ensure_ascii=True)),  # \ud800 escapes survive as text
    records.map(lambda r: json.dumps(r, ensure_ascii=False)).map(
        lambda t: t.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    ),
    st.builds(lambda n: "[" * n + "]" * n, st.integers(1, 6000)),
    st.builds(lambda n: '{"a":' * n + "1" + "}" * n, st.integers(1, 3000)),
    st.builds(lambda n: '{"id": ' + "9" * n + "}", st.integers(1, 6000)),
    st.text(any_char, max_size=200).map(lambda t: t.replace("\n", " ")),
)
LINKS = [
    "javascript:alert(1)",
    "data:text/html,<p>稀土</p>",
    "file:///etc/passwd",
    "file://localhost/etc/hostname",
    "file://anyhost/etc/hostname",
    "../secret.html",
    "../../../../etc/passwd",
    "page.html",
    ".hidden.html",
    "http://10.0.0.1/a.html",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/x",
    "http://127.0.0.1:9/x",
    "http://0.0.0.0/",
    "gopher://10.0.0.1/",
    "",
]


def _xml(text: str) -> str:
    return (
        text.encode("utf-8", "surrogatepass")
        .decode("utf-8", "replace")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
    )


entry = st.fixed_dictionaries(
    {
        "title": nasty_text,
        "link": st.sampled_from(LINKS) | nasty_text,
        "date": dates,
        "body": st.sampled_from(["", "短", "".join(f"<p>{p}</p>" for p in GOOD) * 2]) | nasty_text,
        "cdata": st.booleans(),
    }
)


def rss_of(entries: list[dict[str, Any]], atom: bool) -> bytes:
    """A feed with the generated entries."""
    items = []
    for e in entries:
        body = f"<![CDATA[{e['body']}]]>" if e["cdata"] else _xml(e["body"])
        if atom:
            items.append(
                f'<entry><title>{_xml(e["title"])}</title><link href="{_xml(e["link"])}"/>'
                f'<updated>{_xml(e["date"])}</updated><content type="html">{body}</content>'
                "</entry>"
            )
        else:
            items.append(
                f"<item><title>{_xml(e['title'])}</title><link>{_xml(e['link'])}</link>"
                f"<pubDate>{_xml(e['date'])}</pubDate><description>{body}</description></item>"
            )
    if atom:
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{"".join(items)}</feed>'
    else:
        doc = f'<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'
    return ('<?xml version="1.0" encoding="utf-8"?>' + doc).encode("utf-8", "replace")


feeds = st.one_of(
    st.builds(rss_of, st.lists(entry, max_size=4), st.booleans()),
    st.binary(max_size=300),
    st.sampled_from([b"", b"<?xml version='1.0'?><config/>", b"<rss", b"<feed><entry>"]),
)
HTML_PARTS = [
    "<html>",
    "<head>",
    "<title>",
    "</title>",
    "<meta charset='gbk'>",
    "<meta charset='nonsense'>",
    "<body>",
    "<article>",
    "</article>",
    "<p>",
    "</p>",
    "<h1>",
    "<script>alert(1)</script>",
    "<style>p{}</style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "&#xD800;",
    "&#0;",
    "&#x110000;",
    "&amp;",
    "<a href='javascript:alert(1)'>x</a>",
    "<img src=x onerror=alert(1)>",
    "<iframe src='file:///etc/passwd'>",
    "<table><tr><td>",
    "<div" * 20,
    "</div>" * 20,
    GOOD[0],
    GOOD[1],
    "来源：测试报",
]
html_docs = st.one_of(
    st.lists(st.sampled_from(HTML_PARTS) | nasty_text, max_size=30).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    ),
    st.binary(max_size=500),
)
text_files = st.one_of(
    st.binary(max_size=800),
    st.lists(nasty_text, max_size=12).map(
        lambda parts: "\n".join(parts).encode("utf-8", "surrogatepass")
    ),
    st.tuples(st.text(any_char, max_size=300), st.binary(max_size=8)).map(
        lambda t: t[0].encode("utf-8", "surrogatepass") + t[1]
    ),
)


# --- checks -----------------------------------------------------------------


def check_document(doc: Document) -> None:
    """What every stored document must satisfy."""
    for text in (doc.title, doc.source, *doc.paragraphs):
        text.encode("utf-8")  # no lone surrogate
        assert "\x00" not in text
    assert doc.paragraphs
    assert all(len(p) <= Budget.from_settings().max_paragraph_chars for p in doc.paragraphs)
    assert doc.url is None or doc.url.startswith(("http://", "https://"))
    assert doc.published_at is None or doc.published_at.tzinfo is not None


def build_or_error(raw: RawArticle | InputError) -> Document | InputError:
    """A document, or the named error of this item (anything else propagates and fails)."""
    if isinstance(raw, InputError):
        return raw
    try:
        doc = build_document(raw, now=NOW)[0]
    except InputError as e:
        return e
    check_document(doc)
    return doc


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="newsdesk-fuzz-") as d:
        yield Path(d)


def run_quota(n: int, test: Callable[[], None], counter: list[int]) -> None:
    test()
    assert counter[0] >= n, f"ran {counter[0]} generated inputs, wanted {n}"


# --- the readers --------------------------------------------------------------


def test_dates_never_raise() -> None:
    seen = [0]

    @fuzz(700)
    @given(dates, st.booleans())
    def check(text: str, chinese: bool) -> None:
        seen[0] += 1
        got = parse_date(text, chinese=chinese, now=NOW)
        if got is not None:
            assert got.tzinfo is not None
            sane_date(got, NOW)
            got.isoformat()

    run_quota(700, check, seen)


def test_jsonl_lines_fail_alone(scratch: Path) -> None:
    seen = [0]
    path = scratch / "fuzz.jsonl"
    first = json.dumps({"id": "g1", "title": "好新闻一", "paragraphs": GOOD}, ensure_ascii=False)
    last = json.dumps({"id": "g2", "title": "好新闻二", "paragraphs": GOOD}, ensure_ascii=False)

    @fuzz(500)
    @given(st.lists(raw_lines, min_size=1, max_size=3), st.booleans())
    def check(lines: list[str], bom: bool) -> None:
        seen[0] += 1
        text = "\n".join([first, *lines, last]) + "\n"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass"))
        results = [build_or_error(r) for r in read_jsonl(path, {})]
        docs = [r for r in results if isinstance(r, Document)]
        titles = [d.title for d in docs]
        assert titles[0] == "好新闻一"
        assert titles[-1] == "好新闻二"

    run_quota(500, check, seen)


def test_text_files_give_a_document_or_a_named_error(scratch: Path) -> None:
    seen = [0]

    @fuzz(300)
    @given(text_files, st.sampled_from([".txt", ".md"]))
    def check(data: bytes, suffix: str) -> None:
        seen[0] += 1
        path = scratch / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            raw: RawArticle | InputError = read_text_file(path)
        except InputError as e:
            raw = e
        build_or_error(raw)

    run_quota(300, check, seen)


def test_html_pages_give_a_document_or_a_named_error() -> None:
    seen = [0]

    @fuzz(250)
    @given(html_docs, st.sampled_from([None, "utf-8", "gbk", "latin-1", "bogus"]))
    def check(data: bytes, charset: str | None) -> None:
        seen[0] += 1
        try:
            raw: RawArticle | InputError = read_html(data, "fuzz.html", None, charset)
        except InputError as e:
            raw = e
        build_or_error(raw)

    run_quota(250, check, seen)


def _no_dns(host: str) -> list[str]:
    raise AssertionError(f"the fuzz suite looked up {host!r}")


def test_feeds_give_documents_errors_or_checked_links(scratch: Path) -> None:
    seen = [0]
    root = scratch / "feedroot"
    root.mkdir(exist_ok=True)
    policy = UrlPolicy(resolver=lambda host: ["10.0.0.1"])  # any name resolves private

    @fuzz(250)
    @given(feeds, st.sampled_from(["http://127.0.0.1:9/feed.xml", "local", None]))
    def check(data: bytes, base: str | None) -> None:
        seen[0] += 1
        local = base == "local"
        base_url = (root / "rss.xml").as_uri() if local else base
        for item in read_feed(data, "fuzz.xml", base_url, root=root if local else None):
            if isinstance(item, FollowLink):
                try:
                    if item.url.lower().startswith("file:"):
                        path = local_link(item.url, item.root, item.url)
                        assert path.is_relative_to(root.resolve())
                        assert path.suffix == ".html"
                    else:
                        policy.check_link(item.url, item.url)
                        raise AssertionError(f"{item.url} passed the policy")
                except Refused:
                    pass
            else:
                build_or_error(item)

    run_quota(250, check, seen)


# --- whole batches --------------------------------------------------------------


def test_ingest_batches_store_every_good_item_and_nothing_else(scratch: Path) -> None:
    seen = [0]
    secret = scratch / "secret.html"
    secret.write_bytes(hostile.page("机密", [SECRET, *GOOD]))
    running = hostile.start()
    watched = running.hostile.site
    store = open_store(str(scratch / "batches.db"))
    hostile_links = [
        *LINKS,
        secret.as_uri(),
        f"file://localhost{secret}",
        watched.url("/good.html"),
    ]
    try:

        @fuzz(150)
        @given(
            st.lists(raw_lines, max_size=3),
            text_files,
            html_docs,
            st.lists(entry, max_size=3),
            st.lists(st.sampled_from(hostile_links), max_size=3),
        )
        def check(
            lines: list[str],
            text: bytes,
            html: bytes,
            entries: list[dict[str, Any]],
            links: list[str],
        ) -> None:
            seen[0] += 1
            n = seen[0]
            folder = scratch / f"batch{n}"
            folder.mkdir()
            goods = [
                {
                    "id": f"b{n}-{k}",
                    "title": f"批次{n}第{k}条",
                    "paragraphs": [f"{n}-{k}：{p}" for p in GOOD],
                }
                for k in range(2)
            ]
            body = [json.dumps(goods[0], ensure_ascii=False), *lines]
            body.append(json.dumps(goods[1], ensure_ascii=False))
            (folder / "a.jsonl").write_bytes("\n".join(body).encode("utf-8", "surrogatepass"))
            (folder / "b.txt").write_bytes(text)
            (folder / "c.html").write_bytes(html)
            for link in links:
                entries.append(
                    {"title": "链接", "link": link, "date": "", "body": "短", "cdata": False}
                )
            (folder / "d.rss").write_bytes(rss_of(entries, atom=False))
            report = ingest([str(folder)], store, IngestOptions(embed=False))
            stored = {i.origin: i for i in report.items}
            for k in (1, len(body)):
                item = stored[f"{folder / 'a.jsonl'}:{k}"]
                assert item.outcome is Outcome.ADDED, item
                assert store.get(item.doc_id or "").title.startswith(f"批次{n}")
            for item in report.items:
                assert (item.outcome is Outcome.FAILED) == (item.doc_id is None), item

        run_quota(150, check, seen)
        docs = store.list_documents(DocumentFilter(limit=100_000))
        assert not any(SECRET in d.text or SECRET in d.title for d in docs)
        assert watched.log == [], "ingest fetched what no input named"
        assert store.check() == []
    finally:
        store.close()
        running.close()


def test_markup_that_trips_the_extractor_is_a_document_or_a_named_error() -> None:
    """Found by the fuzz suite: htmldate's cleaning asserted on a stray iframe."""
    data = b"</title><html><iframe src='file:///etc/passwd'>"
    for charset in (None, "utf-8"):
        try:
            raw: RawArticle | InputError = read_html(data, "fuzz.html", None, charset)
        except InputError as e:
            raw = e
        build_or_error(raw)
