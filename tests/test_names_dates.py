from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsdesk.ingest.dates import parse_date
from newsdesk.ingest.names import display_name, romanize

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 12, 28, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("搜狐财经", "Sou Hu Cai Jing"),
        ("格隆汇", "Ge Long Hui"),
        ("21世纪经济报道", "21 Shi Ji Jing Ji Bao Dao"),
        ("CCTV 新闻联播 (央视网)", "CCTV Xin Wen Lian Bo (Yang Shi Wang)"),
        ("Reuters", "Reuters"),
    ],
)
def test_romanize(name: str, shown: str) -> None:
    assert romanize(name) == shown


def test_override_table_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "names.toml"
    table.write_text('[sources]\n"新浪财经" = "Sina Finance"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSDESK_SOURCE_NAMES", str(table))
    assert display_name("新浪财经") == "Sina Finance"
    assert display_name("格隆汇") == "Ge Long Hui"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025年12月27日 04:15", datetime(2025, 12, 27, 4, 15, tzinfo=SHANGHAI)),
        ("2025年12月27日04:15", datetime(2025, 12, 27, 4, 15, tzinfo=SHANGHAI)),
        ("2025-12-27", datetime(2025, 12, 27, tzinfo=SHANGHAI)),
        ("2025/12/27 04:15:30", datetime(2025, 12, 27, 4, 15, 30, tzinfo=SHANGHAI)),
        ("12-27 04:15", datetime(2025, 12, 27, 4, 15, tzinfo=SHANGHAI)),
        ("12月27日", datetime(2025, 12, 27, tzinfo=SHANGHAI)),
        ("昨天 08:30", datetime(2025, 12, 27, 8, 30, tzinfo=SHANGHAI)),
        ("3小时前", NOW - timedelta(hours=3)),
        ("Wed, 24 Dec 2025 06:30:00 +0000", datetime(2025, 12, 24, 6, 30, tzinfo=UTC)),
        ("2025-12-22T08:00:00Z", datetime(2025, 12, 22, 8, 0, tzinfo=UTC)),
    ],
)
def test_parse_chinese_and_feed_dates(raw: str, expected: datetime) -> None:
    parsed = parse_date(raw, chinese=True, now=NOW)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is not None


def test_date_without_year_in_the_future_belongs_to_last_year() -> None:
    parsed = parse_date("12-30 10:00", now=datetime(2026, 1, 2, tzinfo=SHANGHAI))
    assert parsed == datetime(2025, 12, 30, 10, 0, tzinfo=SHANGHAI)


def test_english_source_without_zone_is_utc() -> None:
    assert parse_date("December 27, 2025", chinese=False) == datetime(2025, 12, 27, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "not a date", "2025-13-45"])
def test_garbage_dates_give_none(raw: str) -> None:
    assert parse_date(raw) is None
