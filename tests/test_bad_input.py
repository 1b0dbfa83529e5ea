"""Hostile records and faults on ingest: each fails alone with a named error (issue 14)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk import IngestOptions, Outcome, ingest
from newsdesk.errors import NewsdeskError
from newsdesk.store import Store, open_store
from newsdesk.store.sqlite import SQLiteStore

ARTICLE = [
    "商务部新闻发言人表示，中方对稀土永磁体相关物项依法实施出口管制。",
    "发言人介绍，商务部已依法审批了一批符合规定的出口申请。",
]


def good(i: int) -> dict[str, object]:
    return {
        "id": f"good-{i}",
        "title": f"稀土出口新闻{i}",
        "paragraphs": [f"第{i}条：{p}" for p in ARTICLE],
        "source": "搜狐财经",
        "date": "2025-12-01 08:00",
    }


def record(key: str, **fields: object) -> str:
    base: dict[str, object] = {"id": key, "title": f"稀土{key}", "paragraphs": ARTICLE}
    base.update(fields)
    return json.dumps(base, ensure_ascii=True)  # \ud800 stays an escape, as exports write it


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "bad.db"))
    yield s
    s.close()


def test_hostile_jsonl_records_fail_alone_and_good_ones_are_stored(
    tmp_path: Path, sqlite_store: Store
) -> None:
    run_on = "稀土" * 500_000  # a megabyte with no sentence end
    lines = [
        "\ufeff" + json.dumps(good(1), ensure_ascii=False),  # a BOM before line 1
        record("nul", title="稀土\u0000标题", paragraphs=["含\u0000空字符的段落：" + ARTICLE[0]]),
        record("surrogate", title="稀土\ud800标题", paragraphs=["孤立代理\udc00：" + ARTICLE[0]]),
        '{"id": 1' + "1" * 5000 + ', "title": "大整数", "paragraphs": ["x"]}',
        "[" * 5000 + "]" * 5000,
        '{"id": "deep", "paragraphs": ["稀土"], "x": ' + "[" * 40 + "]" * 40 + "}",
        record("overflow-hours", date="3000000000小时前"),
        record("overflow-offset", date="2025-12-27T04:15:00+99:00"),
        record("year-3000", date="3000-01-01"),
        record("javascript", url="javascript:alert(document.cookie)"),
        record("data-url", url="data:text/html,<script>alert(1)</script>"),
        record("run-on", paragraphs=[run_on]),
        record("ten-mb", paragraphs=["稀" * (10 * 1024 * 1024)]),
        record("many", paragraphs=[f"第{i}段，稀土。" for i in range(5000)]),
        json.dumps(good(2), ensure_ascii=False),
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest([str(path)], sqlite_store, IngestOptions(embed=False))
    by = {int(i.origin.rsplit(":", 1)[1]): i for i in report.items}
    assert len(by) == len(lines)
    expect_failed = {4: "invalid JSON", 5: "invalid JSON", 6: "over budget", 13: "over budget"}
    expect_failed[14] = "over budget"
    for n, item in by.items():
        if n in expect_failed:
            assert item.outcome is Outcome.FAILED, (n, item)
            assert expect_failed[n] in item.message, (n, item.message)
        else:
            assert item.outcome is Outcome.ADDED, (n, item)
    docs = {n: sqlite_store.get(by[n].doc_id or "") for n in by if by[n].doc_id}
    assert docs[1].title == "稀土出口新闻1"  # line 1 survives its BOM
    assert "\x00" not in docs[2].title + docs[2].text
    assert docs[2].title == "稀土标题"
    assert docs[3].title == "稀土\ufffd标题"
    assert "\ufffd" in docs[3].text
    for n in (7, 8, 9):
        assert docs[n].published_at is None
        assert any("stored without a publish time" in w for w in by[n].warnings), by[n]
    for n in (10, 11):
        assert docs[n].url is None
        assert any("dropped: only http and https" in w for w in by[n].warnings), by[n]
    assert len(docs[12].paragraphs) > 1
    assert max(len(p) for p in docs[12].paragraphs) <= 32768
    assert "".join(docs[12].paragraphs) == run_on
    assert docs[15].title == "稀土出口新闻2"


def test_text_files_with_bad_bytes_are_repaired_with_a_warning(
    tmp_path: Path, sqlite_store: Store
) -> None:
    body = ("稀土永磁体出口管制依法实施，商务部审批了一批合规申请。" * 20).encode()
    (tmp_path / "damaged.txt").write_bytes("稀土新闻\n\n".encode() + body + b"\xff\xfe" + body)
    (tmp_path / "nul.md").write_bytes("# 稀土\x00标题\n\n正文\x00含空字符：".encode() + body)
    report = ingest([str(tmp_path)], sqlite_store, IngestOptions(embed=False))
    assert report.summary()["added"] == 2, report.failed
    by = {Path(i.origin).name: i for i in report.items}
    damaged = sqlite_store.get(by["damaged.txt"].doc_id or "")
    assert "\ufffd" in damaged.text
    assert "稀土永磁体" in damaged.text
    assert any(w.startswith("invalid UTF-8") for w in by["damaged.txt"].warnings)
    nul = sqlite_store.get(by["nul.md"].doc_id or "")
    assert "\x00" not in nul.title + nul.text


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """``newsdesk.cli.main`` as the installed command runs it; returns the exit status."""
    from newsdesk.cli import main

    monkeypatch.setattr(sys, "argv", ["newsdesk", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else (0 if code is None else 2)


def test_exit_codes_of_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "cli.db")
    ok = tmp_path / "ok.jsonl"
    ok.write_text(json.dumps(good(1), ensure_ascii=False) + "\n", encoding="utf-8")
    assert run_main(monkeypatch, "ingest", str(ok), "--db", db, "--no-embed") == 0
    # an empty feed and an XML file that is no feed are errors of their items, not ignored
    (tmp_path / "empty.rss").write_bytes(b"")
    (tmp_path / "config.xml").write_bytes(b"<?xml version='1.0'?><config><a/></config>")
    capsys.readouterr()
    code = run_main(
        monkeypatch,
        "ingest",
        str(tmp_path / "empty.rss"),
        str(tmp_path / "config.xml"),
        str(ok),
        "--db",
        db,
        "--no-embed",
    )
    err = "".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert code == 1
    assert "empty.rss:emptyfeed" in err
    assert "config.xml:notanRSSorAtomfeed" in err
    # a repaired file is stored (exit 0) with a warning that names it
    body = ("稀土永磁体出口管制依法实施，商务部审批了一批合规申请。" * 20).encode()
    (tmp_path / "damaged.txt").write_bytes(b"title\n\n" + body + b"\xff" + body)
    code = run_main(monkeypatch, "ingest", str(tmp_path / "damaged.txt"), "--db", db, "--no-embed")
    assert code == 0
    assert "damaged.txt:invalidUTF-8" in "".join(capsys.readouterr().err.split())
    # a broken store is a setup error with a message, not a traceback
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    assert run_main(monkeypatch, "ingest", str(ok), "--db", str(broken), "--no-embed") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "not a usable newsdesk database" in err
    assert "Traceback" not in err


def big_jsonl(path: Path, n: int) -> Path:
    rows = [
        {"id": i, "title": f"稀土新闻{i}", "paragraphs": [f"{i}号：{p}" for p in ARTICLE] * 20}
        for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def fill_up(store: Store, spare_pages: int = 4) -> None:
    """Let the SQLite file grow by only a few pages: a full disk, deterministically."""
    assert isinstance(store, SQLiteStore)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + spare_pages}")


def test_a_full_disk_stops_the_batch_with_a_named_error_and_a_consistent_store(
    tmp_path: Path,
) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps(good(1), ensure_ascii=False) + "\n", encoding="utf-8")
    big = big_jsonl(tmp_path / "big.jsonl", 400)
    s = open_store(str(tmp_path / "full.db"))
    assert isinstance(s, SQLiteStore)
    ingest([str(first)], s, IngestOptions(embed=False))
    fill_up(s)
    for _ in range(2):  # the next ingest names the cause too (not "cannot rollback")
        with pytest.raises(NewsdeskError, match="disk is full"):
            ingest([str(big)], s, IngestOptions(embed=False))
        assert s.check() == []
        assert s.count_documents() == 1
    s.conn.execute("PRAGMA max_page_count = 1073741823")
    report = ingest([str(big)], s, IngestOptions(embed=False))
    assert report.summary()["added"] == 400
    assert s.check() == []
    s.close()


def test_a_full_disk_on_the_command_line_is_a_message_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import newsdesk.cli.common
    import newsdesk.store

    real = newsdesk.store.open_store

    def full_store(location: str | None = None) -> Store:
        s = real(location)
        fill_up(s)
        return s

    monkeypatch.setattr(newsdesk.cli.common, "open_store", full_store)
    big = big_jsonl(tmp_path / "big.jsonl", 300)
    db = str(tmp_path / "full.db")
    assert run_main(monkeypatch, "ingest", str(big), "--db", db, "--no-embed") == 2
    err = "".join(capsys.readouterr().err.split())
    assert "diskisfull" in err
    assert db in err
    assert "Traceback" not in err


def test_a_full_disk_of_the_postgresql_server_is_store_full(postgres: object) -> None:
    import psycopg

    from newsdesk.errors import StoreFull
    from newsdesk.store.postgres import PostgresStore

    from .conftest import fresh_database

    s = open_store(fresh_database(postgres))
    assert isinstance(s, PostgresStore)
    with pytest.raises(StoreFull, match="out of space"), s.transaction():
        raise psycopg.errors.DiskFull("could not extend file: No space left on device")
    assert s.count_documents() == 0  # the connection is usable after it
    s.close()
