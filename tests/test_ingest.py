from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsdesk import Document, IngestOptions, Outcome, ingest, open_store
from newsdesk.ingest.sources import parse_mapping
from newsdesk.store import Store
from newsdesk.store.sqlite import SQLiteStore

from .conftest import LocalServer, Route

ARTICLE = [
    "商务部新闻发言人表示，中方对稀土永磁体相关物项实施出口管制。",
    "发言人介绍，商务部已依法审批了一批符合规定的出口申请。",
]


def write_jsonl(path: Path, records: list[dict[str, object] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_generic_fields_and_malformed_lines(tmp_path: Path, store: Store) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "id": 1,
                "title": "稀土出口",
                "paragraphs": ARTICLE,
                "date": "2025年12月27日 04:15",
                "source": "搜狐财经",
                "url": "https://example.invalid/1",
            },
            "{not json",
            {"id": 3, "title": "只有标题"},
            {
                "id": 4,
                "title": "英文",
                "text": "Rare earth magnets.\n\nExports fell 4%.",
                "published_at": "2025-12-20T10:00:00+00:00",
                "source": "Wire",
            },
            "[1, 2]",
            {"id": 6, "title": "空", "content": "QQ空间\n新浪微博"},
        ],
    )
    report = ingest([str(path)], store)
    assert report.summary() == {"added": 2, "updated": 0, "duplicate": 0, "failed": 4}
    reasons = {i.origin: i.message for i in report.failed}
    assert reasons[f"{path}:2"].startswith("invalid JSON")
    assert "no article text" in reasons[f"{path}:3"]
    assert "expected a JSON object" in reasons[f"{path}:5"]
    assert "only boilerplate" in reasons[f"{path}:6"]
    by_origin = {i.origin: i for i in report.items}
    first = store.get(by_origin[f"{path}:1"].doc_id or "")
    assert first.source_display == "Sou Hu Cai Jing"
    assert first.published_at is not None
    assert first.published_at.isoformat() == "2025-12-27T04:15:00+08:00"
    assert first.paragraphs == tuple(ARTICLE)
    english = store.get(by_origin[f"{path}:4"].doc_id or "")
    assert english.language == "en"
    assert english.paragraphs == ("Rare earth magnets.", "Exports fell 4%.")


def test_a_url_of_a_lone_surrogate_is_dropped_and_the_batch_goes_on(
    tmp_path: Path, store: Store
) -> None:
    # JSON lets "\ud800" through, but it is no character: SQLite could not store it.
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"title": "稀土新闻", "text": "正文一段。", "url": "\\ud800"}\n'
        + json.dumps({"title": "好", "text": "第二条新闻的正文。"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    report = ingest([str(path)], store, IngestOptions(embed=False))
    assert report.summary()["added"] == 2
    first = next(i for i in report.items if i.origin == f"{path}:1")
    assert store.get(first.doc_id or "").url is None
    assert any("dropped" in w for w in first.warnings), first


def test_map_option_renames_fields(tmp_path: Path, store: Store) -> None:
    path = write_jsonl(
        tmp_path / "b.jsonl", [{"headline2": "稀土", "body2": ARTICLE, "when": "2025-12-01"}]
    )
    options = IngestOptions(mapping=parse_mapping("title=headline2,text=body2,date=when"))
    report = ingest([str(path)], store, options)
    assert report.summary()["added"] == 1
    doc = store.get(report.items[0].doc_id or "")
    assert doc.title == "稀土"


def test_bad_map_spec_is_rejected() -> None:
    with pytest.raises(Exception, match="FIELD=KEY"):
        parse_mapping("nonsense")


def test_reingest_is_idempotent(tmp_path: Path, store: Store) -> None:
    path = write_jsonl(
        tmp_path / "c.jsonl",
        [{"id": i, "title": f"稀土{i}", "paragraphs": ARTICLE} for i in range(5)],
    )
    assert ingest([str(path)], store).summary()["added"] == 5
    again = ingest([str(path)], store)
    assert again.summary() == {"added": 0, "updated": 0, "duplicate": 5, "failed": 0}
    assert store.count_documents() == 5


def test_changed_record_under_same_id_is_an_update(tmp_path: Path, store: Store) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"id": "x", "title": "稀土", "paragraphs": ARTICLE}])
    ingest([str(path)], store)
    write_jsonl(path, [{"id": "x", "title": "稀土", "paragraphs": [*ARTICLE, "更正：补充一段。"]}])
    assert ingest([str(path)], store).summary()["updated"] == 1
    assert store.count_documents() == 1


def test_text_markdown_and_html_files(tmp_path: Path, store: Store) -> None:
    (tmp_path / "note.md").write_text(
        "---\ntitle: 磁材回收\ndate: 2025-12-10 14:00\nsource: 中国有色金属报\n---\n\n"
        "# 磁材回收\n\n**钕铁硼** 回收正在提速。\n\n再生料占比有望提升。\n",
        encoding="utf-8",
    )
    (tmp_path / "plain.txt").write_text(
        "Magnet recycling\n\nRecycling is speeding up.\n", encoding="utf-8"
    )
    html = (
        "<html><head><title>T</title></head><body><article><h1>稀土磁体</h1>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</article></body></html>"
    )
    (tmp_path / "page.html").write_bytes(
        html.encode("gbk").replace(b"<head>", b'<head><meta charset="gbk">')
    )
    (tmp_path / "skip.bin").write_bytes(b"\x00")
    report = ingest([str(tmp_path)], store)
    assert report.summary()["added"] == 3, report.failed
    docs = {d.title: d for d in store.list_documents(__import__("newsdesk").DocumentFilter())}
    assert docs["磁材回收"].paragraphs == ("钕铁硼 回收正在提速。", "再生料占比有望提升。")
    assert docs["磁材回收"].source_display == "Zhong Guo You Se Jin Shu Bao"
    assert docs["Magnet recycling"].language == "en"
    assert docs["稀土磁体"].paragraphs == tuple(ARTICLE)


def test_missing_path_fails_that_item_only(tmp_path: Path, store: Store) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [{"title": "稀土", "paragraphs": ARTICLE}])
    report = ingest([str(tmp_path / "nope.jsonl"), str(path)], store)
    assert report.summary()["added"] == 1
    assert report.failed[0].message == "no such file or folder"


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>格隆汇</title><link>{base}/</link>
<item><title>稀土永磁板块走强</title><link>{base}/teaser.html</link>
<pubDate>Wed, 24 Dec 2025 06:30:00 +0000</pubDate><description>短摘要</description></item>
<item><title>镝铽出口许可收紧</title><link>{base}/full.html</link>
<pubDate>Tue, 23 Dec 2025 11:00:00 +0000</pubDate>
<content:encoded><![CDATA[{full}]]></content:encoded></item>
<item><title>失效链接</title><link>{base}/dead.html</link><description>短</description></item>
</channel></rss>"""


def test_feed_polled_twice_uses_conditional_get(http_server: LocalServer, store: Store) -> None:
    base = http_server.base
    full = "".join(f"<p>{p}</p>" for p in ARTICLE * 2)
    http_server.routes["/rss.xml"] = Route(
        RSS.format(base=base, full=full).encode(), "application/rss+xml", etag='"feed-v1"'
    )
    page = "<html><body><article><h1>稀土永磁板块走强</h1>" + full + "</article></body></html>"
    http_server.routes["/teaser.html"] = Route(
        page.encode(), last_modified="Wed, 24 Dec 2025 07:00:00 GMT"
    )
    report = ingest([http_server.url("/rss.xml")], store)
    assert report.summary() == {"added": 2, "updated": 0, "duplicate": 0, "failed": 1}
    assert "HTTP 404" in report.failed[0].message
    docs = {d.title: d for d in store.list_documents(__import__("newsdesk").DocumentFilter())}
    assert docs["稀土永磁板块走强"].source_display == "Ge Long Hui"
    assert docs["稀土永磁板块走强"].published_at is not None
    assert all(h["User-Agent"].startswith("newsdesk/") for _, h in http_server.requests)

    http_server.requests.clear()
    again = ingest([http_server.url("/rss.xml")], store)
    assert again.items == []
    assert "not modified" in again.notes[0]
    feed_request = http_server.requests[0]
    assert feed_request[0] == "/rss.xml"
    assert feed_request[1]["If-None-Match"] == '"feed-v1"'
    assert len(http_server.requests) == 1  # a 304 feed costs one request and no page fetches


def test_teaser_page_revalidated_with_last_modified(http_server: LocalServer, store: Store) -> None:
    base = http_server.base
    http_server.routes["/rss.xml"] = Route(
        RSS.format(base=base, full="").encode(), "application/rss+xml"
    )
    page = (
        "<html><body><article>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</article></body></html>"
    )
    http_server.routes["/teaser.html"] = Route(
        page.encode(), last_modified="Wed, 24 Dec 2025 07:00:00 GMT"
    )
    ingest([http_server.url("/rss.xml")], store)
    again = ingest([http_server.url("/rss.xml")], store)
    teaser = next(i for i in again.items if i.origin.endswith("/teaser.html"))
    assert teaser.outcome is Outcome.DUPLICATE
    assert teaser.message == "not modified (HTTP 304)"


def test_server_errors_are_retried(http_server: LocalServer, store: Store) -> None:
    page = (
        "<html><body><article>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</article></body></html>"
    )
    http_server.routes["/flaky.html"] = Route(page.encode(), fail_first=2)
    report = ingest([http_server.url("/flaky.html")], store)
    assert report.summary()["added"] == 1
    assert len(http_server.requests) == 3


def test_dead_url_gives_clear_error_and_batch_goes_on(tmp_path: Path, store: Store) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    path = write_jsonl(tmp_path / "f.jsonl", [{"title": "稀土", "paragraphs": ARTICLE}])
    report = ingest([f"http://127.0.0.1:{port}/gone", str(path)], store)
    assert report.summary()["added"] == 1
    assert report.failed[0].origin == f"http://127.0.0.1:{port}/gone"
    assert "connection failed" in report.failed[0].message
    assert "gave up after 4 attempts" in report.failed[0].message


def test_gbk_page_over_http(http_server: LocalServer, store: Store) -> None:
    page = (
        "<html><body><article><h1>包头稀土</h1>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</article></body></html>"
    )
    http_server.routes["/gbk.html"] = Route(page.encode("gbk"), "text/html; charset=gb2312")
    report = ingest([http_server.url("/gbk.html")], store)
    doc = store.get(report.items[0].doc_id or "")
    assert doc.paragraphs == tuple(ARTICLE)


def test_killed_ingest_leaves_a_consistent_store_that_the_next_run_completes(
    tmp_path: Path,
) -> None:
    n = 6000
    rng = random.Random(7)
    words = [
        "稀土",
        "永磁",
        "出口",
        "管制",
        "商务部",
        "价格",
        "钕铁硼",
        "配额",
        "海关",
        "企业",
        "市场",
        "项目",
        "投资",
        "产能",
        "需求",
        "供应",
    ]

    def body() -> list[str]:  # distinct articles, so the run measures ingest, not dedup
        return ["".join(rng.choice(words) for _ in range(40)) + "。" for _ in range(3)]

    path = write_jsonl(
        tmp_path / "big.jsonl",
        [{"id": i, "title": f"稀土新闻{i}", "paragraphs": body()} for i in range(n)],
    )
    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "newsdesk.cli", "ingest", str(path), "--db", str(db), "--no-embed"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
    )
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                s = open_store(str(db))
                stored = s.count_documents()
                s.close()
            except Exception:
                continue
            if stored > 0:
                break
    assert proc.poll() is None, "ingest finished before it could be killed; make the input larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    s = open_store(str(db))
    assert isinstance(s, SQLiteStore)
    assert s.check() == []
    partial = s.count_documents()
    assert 0 < partial < n
    s.close()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    s = open_store(str(db))
    assert s.count_documents() == n
    assert s.check() == []
    s.close()


def test_the_steps_index_only_new_documents_and_cluster_only_stored_ones(
    tmp_path: Path, store: Store
) -> None:
    from newsdesk.ingest.pipeline import build_document, write_batch
    from newsdesk.ingest.sources import RawArticle

    def built(title: str, source: str) -> tuple[Document, str | None]:
        raw = RawArticle(title, list(ARTICLE), title=title, date="2025-12-26", source=source)
        return build_document(raw)[0], None

    first, repost = built("稀土出口", "搜狐财经"), built("稀土出口管制", "格隆汇")
    assert write_batch(store, [first], None, None, cluster_stories=True) == [Outcome.ADDED]
    # Step 3 indexes only what the store lacks; step 5 clusters only what step 4 stored.
    again = write_batch(store, [first, repost], None, None, cluster_stories=True)
    assert again == [Outcome.DUPLICATE, Outcome.ADDED]
    assert store.unindexed_ids(None) == []
    assert store.unclustered_ids() == []
    assert store.cluster_id_of(repost[0].id) == store.cluster_id_of(first[0].id)
    # Without step 5 (as on a Dask worker) the documents wait for cluster_unassigned.
    lone = built("稀土价格", "新浪财经")
    write_batch(store, [lone], None, None, cluster_stories=False)
    assert store.unclustered_ids() == [lone[0].id]


def test_embedders_and_segmenters_come_from_the_plugin_registry() -> None:
    from newsdesk.errors import ConfigError
    from newsdesk.text.embed import EMBEDDERS, get_embedder
    from newsdesk.text.segment import SEGMENTERS, JiebaSegmenter, get_segmenter, search_tokens

    assert "use-multilingual" in EMBEDDERS.names()  # the built-ins are entry points
    assert SEGMENTERS.get("jieba") is JiebaSegmenter
    with pytest.raises(ConfigError, match=r"no embedder named 'nope' \(known: .*use-multilingual"):
        get_embedder("nope")

    class Characters:
        name = "chars"

        def cut(self, text: str) -> list[str]:
            return list(text)

    SEGMENTERS.register("chars", Characters)
    try:
        assert get_segmenter("chars").cut("稀土") == ["稀", "土"]
        assert search_tokens("稀土", get_segmenter("chars")) == ["稀", "土"]
    finally:
        SEGMENTERS.unregister("chars")
        get_segmenter.cache_clear()
