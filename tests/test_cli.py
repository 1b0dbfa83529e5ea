from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from newsdesk.cli import app

runner = CliRunner()
ARTICLE = ["稀土永磁体出口管制依法实施。", "商务部审批了一批合规申请。"]


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


def test_ingest_json_counts_and_nonzero_exit_on_failure(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    result = runner.invoke(app, ["ingest", str(corpus(tmp_path)), "--db", db, "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["added"], data["failed"]) == (2, 1)
    assert data["failures"][0]["item"].endswith("in.jsonl:3")


def test_list_show_stats(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    runner.invoke(app, ["ingest", str(corpus(tmp_path)), "--db", db])
    listed = json.loads(runner.invoke(app, ["list", "--db", db, "--json"]).stdout)
    assert [d["title"] for d in listed] == ["稀土二", "稀土一"]
    only = json.loads(
        runner.invoke(app, ["list", "--db", db, "--json", "--source", "Sou Hu Cai Jing"]).stdout
    )
    assert [d["title"] for d in only] == ["稀土一"]
    shown = runner.invoke(app, ["show", listed[1]["id"][:8], "--db", db])
    assert shown.exit_code == 0
    assert f"[2] {ARTICLE[1]}" in shown.stdout
    assert "Sou Hu Cai Jing· 2025-12-01 00:00" in shown.stdout
    as_json = json.loads(runner.invoke(app, ["show", listed[1]["id"], "--db", db, "--json"]).stdout)
    assert as_json["paragraphs"][0] == {"n": 1, "text": ARTICLE[0]}
    stats = json.loads(runner.invoke(app, ["stats", "--db", db, "--json"]).stdout)
    assert stats["documents"] == 2
    assert stats["languages"] == {"zh": 2}


def test_bad_date_option_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["list", "--db", str(tmp_path / "x.db"), "--since", "someday"])
    assert result.exit_code == 2
    assert "not a date" in result.output


def test_settings_lists_every_variable() -> None:
    rows = json.loads(runner.invoke(app, ["settings", "--json"]).stdout)
    assert {r["env"] for r in rows} >= {"NEWSDESK_HOME", "NEWSDESK_DB", "NEWSDESK_USER_AGENT"}
