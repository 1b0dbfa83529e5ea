"""Ingest against a hostile site: the URL policy and the resource budget (issue 14)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk import DocumentFilter, Outcome, ingest
from newsdesk.errors import Refused
from newsdesk.store import Store, open_store

from . import hostile
from .hostile import GOOD_TEXT, SECRET, Hostile, page, rss


@pytest.fixture
def site() -> Iterator[Hostile]:
    yield from hostile.serving()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "hostile.db"))
    yield s
    s.close()


def stored_text(store: Store) -> str:
    docs = store.list_documents(DocumentFilter(limit=10_000))
    return "\n".join(d.title + "\n" + d.text for d in docs)


def test_feed_links_to_local_files_and_private_addresses_are_refused(
    site: Hostile, sqlite_store: Store, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.html"
    secret.write_bytes(page("本地机密", [SECRET * 3, *GOOD_TEXT]))
    missing = tmp_path / "missing.html"
    port = site.other.base.rsplit(":", 1)[1]
    links = {
        "good": site.site.url("/good.html"),
        "file-localhost": f"file://localhost{secret}",
        "file-anyhost": f"file://anyhost{secret}",
        "file-plain": secret.as_uri(),
        "file-missing": missing.as_uri(),
        "loopback-other-port": site.other.url("/secret"),
        "localhost-name": f"http://localhost:{port}/secret",
        "ipv6-loopback": f"http://[::1]:{port}/secret",
        "private": "http://10.0.0.1/x.html",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "javascript": "javascript:alert(1)",
        "data": "data:text/html,<p>x</p>",
        "ftp": "ftp://127.0.0.1/x.html",
    }
    site.site.routes["/feed.xml"] = hostile.send(
        200, rss(list(links.items())), "application/rss+xml"
    )
    report = ingest([site.site.url("/feed.xml")], sqlite_store)
    assert len(report.items) == len(links), report.items
    good = [i for i in report.items if i.origin == links["good"]]
    assert [i.outcome for i in good] == [Outcome.ADDED]
    bad = [i for i in report.items if i.origin != links["good"]]
    assert len(bad) == len(links) - 1
    for item in bad:
        assert item.outcome is Outcome.FAILED, item
        assert item.message.startswith("refused"), item
    # nothing read or fetched outside what was asked
    assert site.other.log == []
    assert sorted(site.site.log) == ["/feed.xml", "/good.html"]
    assert SECRET not in stored_text(sqlite_store)
    # the same answer whether the file exists or not: no oracle for what is on disk
    file_messages = {i.message for i in bad if i.origin.startswith("file:")}
    assert len(file_messages) == 1, file_messages


def test_the_setting_allows_private_hosts_in_links(
    site: Hostile, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_ALLOW_PRIVATE_HOSTS", "1")
    site.site.routes["/feed.xml"] = hostile.send(
        200, rss([("内部", site.other.url("/secret"))]), "application/rss+xml"
    )
    report = ingest([site.site.url("/feed.xml")], sqlite_store)
    assert report.summary()["added"] == 1, report.failed
    assert site.other.log == ["/secret"]


def test_redirects_are_bounded_and_each_hop_is_checked(site: Hostile, sqlite_store: Store) -> None:
    paths = ["/loop", "/loop-a", "/to-private", "/to-metadata", "/to-file", "/to-good"]
    report = ingest([site.site.url(p) for p in paths], sqlite_store)
    by = {i.origin.removeprefix(site.site.base): i for i in report.items}
    assert by["/to-good"].outcome is Outcome.ADDED
    assert "too many redirects" in by["/loop"].message
    assert "too many redirects" in by["/loop-a"].message
    assert "refused" in by["/to-private"].message
    assert "refused" in by["/to-metadata"].message
    assert "refused file:" in by["/to-file"].message
    assert site.other.log == []
    assert site.site.log.count("/loop") == 6  # the request and 5 redirects, then it stops


def test_gzip_bombs_and_oversized_pages_stop_at_the_byte_budget(
    site: Hostile, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_MAX_BYTES", str(2 << 20))  # the bombs are 1.1 MB on the wire
    hostile.gzip_bomb()  # built before measuring
    hostile.gzip_bomb_members()
    paths = ["/bomb", "/bomb-members", "/big-declared", "/big-stream", "/good.html"]
    ingest([site.site.url("/good.html")], sqlite_store)  # models and dictionaries loaded first
    tracemalloc.start()
    started = time.monotonic()
    try:
        report = ingest([site.site.url(p) for p in paths], sqlite_store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 30
    by = {i.origin.removeprefix(site.site.base): i for i in report.items}
    assert by["/good.html"].outcome is Outcome.DUPLICATE
    for p in paths[:4]:
        assert by[p].outcome is Outcome.FAILED
        assert "over budget" in by[p].message, p
        assert "NEWSDESK_MAX_BYTES" in by[p].message, p
    assert "after decompression" in by["/bomb"].message
    assert "after decompression" in by["/bomb-members"].message
    assert "Content-Length" in by["/big-declared"].message
    assert peak < 64 << 20, f"peak {peak / 2**20:.0f} MiB: a body was held whole"


def test_a_dribbling_server_is_cut_off_by_the_item_budget(
    site: Hostile, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_ITEM_SECONDS", "1.5")
    started = time.monotonic()
    report = ingest([site.site.url("/slow"), site.site.url("/good.html")], sqlite_store)
    assert time.monotonic() - started < 10
    slow = report.failed[0]
    assert slow.origin.endswith("/slow")
    assert "over budget" in slow.message
    assert "NEWSDESK_ITEM_SECONDS" in slow.message
    assert report.summary()["added"] == 1


def test_429_and_5xx_fail_after_their_retries(site: Hostile, sqlite_store: Store) -> None:
    report = ingest([site.site.url("/429"), site.site.url("/500")], sqlite_store)
    messages = sorted(i.message for i in report.failed)
    assert messages == [
        "HTTP 429 Too Many Requests (gave up after 4 attempts)",
        "HTTP 500 Internal Server Error (gave up after 4 attempts)",
    ]
    assert site.site.log.count("/429") == 4


def test_a_local_feed_reads_only_html_files_in_its_own_folder(
    tmp_path: Path, sqlite_store: Store
) -> None:
    # a topics folder with a feed: what it links may not leave the folder
    topics = tmp_path / "topics"
    (topics / "feed").mkdir(parents=True)
    outside = tmp_path / "outside.html"
    outside.write_bytes(page("外部", [SECRET, *GOOD_TEXT]))
    (topics / "feed" / "page.html").write_bytes(page("稀土出口管制", GOOD_TEXT))
    (topics / "feed" / "notes.txt").write_text(SECRET, encoding="utf-8")
    (topics / "feed" / ".hidden.html").write_bytes(page("隐藏", [SECRET, *GOOD_TEXT]))
    (topics / "feed" / "link.html").symlink_to(outside)
    links = [
        ("ok", "page.html"),
        ("up", "../../outside.html"),
        ("abs", outside.as_uri()),
        ("etc", "file:///etc/passwd"),
        ("txt", "notes.txt"),
        ("hidden", ".hidden.html"),
        ("symlink", "link.html"),
        ("host", f"file://anyhost{topics / 'feed' / 'page.html'}"),
    ]
    feed = topics / "feed" / "rss.xml"
    feed.write_bytes(rss(links))
    report = ingest([str(feed)], sqlite_store)
    assert report.summary()["added"] == 1, report.failed
    assert report.summary()["failed"] == len(links) - 1
    assert all("refused file:" in i.message for i in report.failed)
    assert SECRET not in stored_text(sqlite_store)


def test_policy_refuses_private_targets_before_any_connection() -> None:
    from newsdesk.ingest.policy import UrlPolicy, origin

    names = {
        "intranet.example": ["10.1.2.3"],
        "rebind.example": ["93.184.216.34", "127.0.0.1"],
        "2130706433": ["127.0.0.1"],
        "news.example": ["93.184.216.34"],
    }
    asked: list[str] = []

    def resolver(host: str) -> list[str]:
        asked.append(host)
        return names.get(host, [])

    policy = UrlPolicy(trusted=frozenset({origin("http://127.0.0.1:8000/feed")}), resolver=resolver)
    refused = [
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://intranet.example/",
        "http://rebind.example/",
        "http://2130706433/",
        "http://127.0.0.1:8001/",
        "file:///etc/passwd",
        "gopher://news.example/",
        "javascript:alert(1)",
        "http:///nohost",
    ]
    for url in refused:
        with pytest.raises(Refused):
            policy.check_link(url, url)
    policy.check_link("http://news.example/a.html", "x")
    policy.check_link("http://127.0.0.1:8000/page.html", "x")  # the origin the user named
    policy.check_link("https://93.184.216.34/", "x")
    assert "127.0.0.1" not in asked  # IP literals are never looked up
    allowed = UrlPolicy(allow_private=True, resolver=resolver)
    allowed.check_link("http://10.0.0.1/", "x")
    with pytest.raises(Refused):
        allowed.check_link("file:///etc/passwd", "x")  # schemes hold regardless


def test_a_name_that_resolves_public_but_connects_private_is_refused(site: Hostile) -> None:
    from newsdesk.ingest.fetch import Fetcher
    from newsdesk.ingest.policy import UrlPolicy

    # DNS rebinding: the check saw a public address, the connection reached 127.0.0.1
    port = site.other.base.rsplit(":", 1)[1]
    policy = UrlPolicy(resolver=lambda host: ["93.184.216.34"])
    [got] = Fetcher().fetch_all([f"http://localhost:{port}/secret"], policy)
    assert isinstance(got, Refused)
    assert "connected to 127.0.0.1" in got.reason
