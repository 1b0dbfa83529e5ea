"""Exit codes and messages of the real entry point, ``newsdesk.cli.main()``: never a traceback."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from newsdesk import IngestOptions, cli, ingest
from newsdesk.store import open_store
from tests.test_workflow import ROOT, topic_file

DEMO = str(ROOT / "examples" / "demo" / "articles.jsonl")


def main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """Run ``newsdesk ARGS`` through main(); (exit code, stderr on one line)."""
    monkeypatch.setattr(sys, "argv", ["newsdesk", *args])
    monkeypatch.setattr(cli.err, "width", 10_000)  # one message, one line
    with pytest.raises(SystemExit) as exited:
        cli.main()
    code = exited.value.code
    return (code if isinstance(code, int) else 0 if code is None else 2), capsys.readouterr().err


def not_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    return str(path)


def stored(tmp_path: Path) -> str:
    """A real newsdesk store with the demo articles."""
    path = tmp_path / "corrupt.db"
    store = open_store(str(path))
    ingest([DEMO], store, IngestOptions(embed=False))
    store.close()
    # Everything into the main file, so the damage below is what every reader sees (a
    # connection left open elsewhere in this process would otherwise keep pages in the WAL).
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return str(path)


def corrupt(tmp_path: Path) -> str:
    """A real newsdesk store whose pages after the first are overwritten."""
    path = Path(stored(tmp_path))
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xa5" * (len(data) - page)
    path.write_bytes(bytes(data))
    return str(path)


def damaged_pages(tmp_path: Path) -> str:
    """A store that opens, with damage in some pages: found only when a command reads them."""
    path = Path(stored(tmp_path))
    con = sqlite3.connect(path)
    size = con.execute("PRAGMA page_size").fetchone()[0]
    roots = [
        r
        for (r,) in con.execute(
            "SELECT rootpage FROM sqlite_master WHERE name IN ('paragraphs', 'doc_fts_data')"
        )
    ]
    con.close()
    assert len(roots) == 2
    data = bytearray(path.read_bytes())
    for root in roots:
        # The b-tree page's header, which every read of the table checks (the bytes further in
        # may be free space, and which are depends on the lengths of what was stored).
        at = (root - 1) * size
        data[at : at + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))
    return str(path)


def commands(db: str, tmp_path: Path) -> list[list[str]]:
    topic = str(topic_file(tmp_path))
    return [
        ["ingest", DEMO, "--db", db, "--no-embed"],
        ["show", "abc", "--db", db],
        ["list", "--db", db],
        ["stats", "--db", db],
        ["search", "稀土", "--db", db, "--mode", "lexical"],
        ["summarize", "abc", "--db", db, "--backend", "extractive"],
        ["run", topic, "--db", db],
        ["runs", "--db", db],
        ["dedup", "--db", db],
        ["index", "--db", db, "--no-embed"],
        ["migrate", "--from", db, "--to", str(tmp_path / "copy.db")],
    ]


@pytest.mark.parametrize("broken", [not_sqlite, corrupt, damaged_pages])
def test_a_broken_store_is_a_clear_error_for_every_command(
    broken: Callable[[Path], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = broken(tmp_path)
    failed = 0
    seen: list[str] = []
    for args in commands(db, tmp_path):
        code, err = main(args, monkeypatch, capsys)  # an exception would escape main() here
        seen.append(f"{args[0]} {code} {err.strip()[:200]}")
        assert "Traceback" not in err, args
        if code:
            assert code == 2, (args, err)
            assert "\nerror " in "\n" + err, (args, err)  # after a progress bar, perhaps
            failed += 1
    assert failed >= 3, seen  # a damaged file does not pass for a store
    assert any(f"store {db} is damaged" in x or "not a usable" in x for x in seen), seen
    print("\n".join(seen))


def test_a_broken_model_file_is_named_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    store = open_store(db)
    ingest([DEMO], store, IngestOptions(embed=False))
    doc_id = store.list_documents(__import__("newsdesk").DocumentFilter(limit=1))[0].id
    store.close()
    junk = tmp_path / "model.gguf"
    junk.write_text("<html>404 not found</html>")
    args = ["summarize", doc_id, "--db", db, "--backend", "local", "--model", str(junk)]
    code, err = main(args, monkeypatch, capsys)
    assert code == 2
    assert f"model file {junk} is not a GGUF file" in err
    # a topic that names the file
    topic = topic_file(tmp_path, backend="local")
    text = topic.read_text(encoding="utf-8")
    named = text.replace('backend = "local"', f"backend = 'local'\nmodel = '{junk}'", 1)
    assert named != text
    topic.write_text(named, "utf-8")
    code, err = main(["run", str(topic), "--db", db], monkeypatch, capsys)
    assert code == 2
    assert str(junk) in err
    assert "failed" in open_store(db).runs()[0].status


def test_an_output_folder_that_cannot_be_made_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = topic_file(tmp_path)
    (tmp_path / "out").write_text("a file where the folder should be")
    code, err = main(["run", str(topic), "--db", str(tmp_path / "s.db")], monkeypatch, capsys)
    assert code == 2
    assert "outputs.folder" in err
    assert "cannot create it" in err


def test_counts_and_offsets_past_64_bits_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    for args in (["list", "--offset", str(2**64)], ["runs", "--limit", str(2**63)]):
        code, err = main([*args, "--db", db], monkeypatch, capsys)
        assert code == 2, args
        assert "Invalid value" in err


def test_ok_is_exit_0_and_failed_items_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    assert main(["ingest", DEMO, "--db", db, "--no-embed"], monkeypatch, capsys)[0] == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "稀土", "paragraphs": ["稀土出口。"]}\n{broken\n', "utf-8")
    assert main(["ingest", str(bad), "--db", db, "--no-embed"], monkeypatch, capsys)[0] == 1
