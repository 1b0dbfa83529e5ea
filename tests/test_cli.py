"""The command line through its real entry point, ``newsdesk.cli.main()``, exit codes included."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from newsdesk import cli

ARTICLE = ["稀土永磁体出口管制依法实施。", "商务部审批了一批合规申请。"]


class Newsdesk:
    """Runs ``newsdesk ARGS`` in this process as the installed command does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        """(exit code, stdout, stderr on one line per message)."""
        self.monkeypatch.setattr(sys, "argv", ["newsdesk", *args])
        self.monkeypatch.setattr(cli.err, "width", 10_000)
        with pytest.raises(SystemExit) as exited:
            cli.main()
        code = exited.value.code
        captured = self.capsys.readouterr()
        status = code if isinstance(code, int) else (0 if code is None else 2)
        return status, captured.out, captured.err

    def json(self, *args: str) -> object:
        """The JSON a command prints, after checking it exited 0."""
        code, stdout, stderr = self(*args, "--json")
        assert code == 0, stderr
        return json.loads(stdout)


@pytest.fixture
def newsdesk(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Newsdesk:
    return Newsdesk(monkeypatch, capsys)


def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    rows = [
        {
            "id": 1,
            "title": "稀土一",
            "paragraphs": ARTICLE,
            "date": "2025-12-01",
            "source": "搜狐财经",
        },
        {
            "id": 2,
            "title": "稀土二",
            "paragraphs": ARTICLE[:1],
            "date": "2025-12-02",
            "source": "格隆汇",
        },
    ]
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{bad\n", "utf-8"
    )
    return path


def test_ingest_json_counts_and_nonzero_exit_on_failure(tmp_path: Path, newsdesk: Newsdesk) -> None:
    db = str(tmp_path / "cli.db")
    code, stdout, _ = newsdesk("ingest", str(corpus(tmp_path)), "--db", db, "--json")
    assert code == 1
    data = json.loads(stdout)
    assert (data["added"], data["failed"]) == (2, 1)
    assert data["failures"][0]["item"].endswith("in.jsonl:3")


def test_list_show_stats(tmp_path: Path, newsdesk: Newsdesk) -> None:
    db = str(tmp_path / "cli.db")
    code, _, stderr = newsdesk("ingest", str(corpus(tmp_path)), "--db", db, "--no-embed")
    assert code == 1  # the bad line
    assert "added 2, updated 0, duplicate 0, failed 1" in stderr
    listed = newsdesk.json("list", "--db", db)
    assert isinstance(listed, list)
    assert [d["title"] for d in listed] == ["稀土二", "稀土一"]
    only = newsdesk.json("list", "--db", db, "--source", "Sou Hu Cai Jing")
    assert isinstance(only, list)
    assert [d["title"] for d in only] == ["稀土一"]
    code, stdout, _ = newsdesk("show", listed[1]["id"][:8], "--db", db)
    assert code == 0
    assert f"[2] {ARTICLE[1]}" in stdout
    assert "Sou Hu Cai Jing· 2025-12-01 00:00" in stdout
    shown = newsdesk.json("show", listed[1]["id"], "--db", db)
    assert isinstance(shown, dict)
    assert shown["paragraphs"][0] == {"n": 1, "text": ARTICLE[0]}
    stats = newsdesk.json("stats", "--db", db)
    assert isinstance(stats, dict)
    assert stats["documents"] == 2
    assert stats["languages"] == {"zh": 2}


def test_an_unknown_document_is_exit_2_with_a_message(tmp_path: Path, newsdesk: Newsdesk) -> None:
    code, _, stderr = newsdesk("show", "ffffffff", "--db", str(tmp_path / "x.db"))
    assert code == 2
    assert stderr.startswith("error ")


def test_bad_date_option_is_a_usage_error(tmp_path: Path, newsdesk: Newsdesk) -> None:
    code, _, stderr = newsdesk("list", "--db", str(tmp_path / "x.db"), "--since", "someday")
    assert code == 2
    assert "not a date" in stderr


def test_bad_mode_is_a_usage_error(tmp_path: Path, newsdesk: Newsdesk) -> None:
    code, _, stderr = newsdesk("search", "稀土", "--db", str(tmp_path / "x.db"), "--mode", "fuzzy")
    assert code == 2
    assert "use hybrid, lexical or dense" in stderr


def test_settings_lists_every_variable(newsdesk: Newsdesk) -> None:
    rows = newsdesk.json("settings")
    assert isinstance(rows, list)
    assert {r["env"] for r in rows} >= {"NEWSDESK_HOME", "NEWSDESK_DB", "NEWSDESK_USER_AGENT"}


def test_plugins_lists_the_built_ins_by_kind(newsdesk: Newsdesk) -> None:
    found = newsdesk.json("plugins")
    assert isinstance(found, dict)
    assert set(found) == {"stores", "llms", "embedders", "segmenters", "channels", "formats"}
    assert "sqlite" in found["stores"]
    assert {"text", "html", "atom"} <= set(found["formats"])
    assert "use-multilingual" in found["embedders"]
    assert "jieba" in found["segmenters"]
    assert {"webhook", "email"} <= set(found["channels"])
    code, stdout, _ = newsdesk("plugins")
    assert code == 0
    assert "segmenters: jieba" in stdout


def test_the_dask_address_is_checked_and_the_old_spelling_still_works(
    tmp_path: Path, newsdesk: Newsdesk
) -> None:
    db = str(tmp_path / "x.db")
    code, _, stderr = newsdesk("ingest", str(corpus(tmp_path)), "--db", db, "--dask", "nowhere")
    assert code == 2
    assert "--dask nowhere: give the scheduler as tcp://HOST:PORT" in stderr
    code, _, stderr = newsdesk("ingest", str(corpus(tmp_path)), "--db", db, "--cluster", "nowhere")
    assert code == 2
    assert "--cluster ADDRESS is now --dask ADDRESS" in stderr
    assert "--dask nowhere: give the scheduler as tcp://HOST:PORT" in stderr
    code, stdout, _ = newsdesk("ingest", "--help")
    assert code == 0
    assert "--dask" in stdout
    assert "--cluster" not in stdout  # the old spelling is hidden


def test_help_is_exit_0_and_no_command_is_exit_2(newsdesk: Newsdesk) -> None:
    code, stdout, _ = newsdesk("--help")
    assert code == 0
    assert "plugins" in stdout
    code, _, _ = newsdesk("no-such-command")
    assert code == 2
