"""Publish times: Chinese and common English formats into timezone-aware datetimes.

A time that states no zone is taken in Asia/Shanghai for Chinese sources (the
``chinese_timezone`` setting) and in UTC otherwise. Dates without a year
(``12-27 04:15``) take the year of ``now`` unless that would put them more than
a day in the future, in which case they belong to the year before.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from newsdesk import config

_NUM_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2})秒?)?)?"
)
_NO_YEAR = re.compile(
    r"^(?P<m>\d{1,2})\s*[-/月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?\s*$"
)
_RELATIVE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>秒|分钟|小时|天)前$")
_DAY_WORD = re.compile(r"^(?P<w>今天|昨天|前天)\s*(?:(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?$")
_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}
_DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2}


def zone_for(chinese: bool) -> tzinfo:
    """The zone of a time that states none."""
    return ZoneInfo(config.get("chinese_timezone")) if chinese else UTC


def parse_date(raw: str, *, chinese: bool = True, now: datetime | None = None) -> datetime | None:
    """Parse ``raw`` into an aware datetime, or None when it is no date we know."""
    try:
        return _parse(raw, chinese, now)
    except (ValueError, OverflowError, ArithmeticError, TypeError, IndexError):
        return None  # a date past what datetime holds (3000000000小时前, +99:00, year 99999)


def _parse(raw: str, chinese: bool, now: datetime | None) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    zone = zone_for(chinese)
    now = (now or datetime.now(UTC)).astimezone(zone)
    m = _NUM_DATE.match(text)
    if m and not re.search(r"[+-]\d{2}:?\d{2}$|Z$", text):
        return _build(zone, int(m["y"]), int(m["m"]), int(m["d"]), m["H"], m["M"], m["S"])
    m = _NO_YEAR.match(text)
    if m:
        dt = _build(zone, now.year, int(m["m"]), int(m["d"]), m["H"], m["M"], None)
        if dt is not None and dt > now + timedelta(days=1):
            dt = dt.replace(year=now.year - 1)
        return dt
    m = _RELATIVE.match(text)
    if m:
        return now - timedelta(**{_UNITS[m["unit"]]: int(m["n"])})
    m = _DAY_WORD.match(text)
    if m:
        day = now - timedelta(days=_DAYS_BACK[m["w"]])
        return day.replace(hour=int(m["H"] or 0), minute=int(m["M"] or 0), second=0, microsecond=0)
    return _parse_other(text, zone)


def _build(
    zone: tzinfo, y: int, mo: int, d: int, hh: str | None, mm: str | None, ss: str | None
) -> datetime | None:
    try:
        return datetime(y, mo, d, int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=zone)
    except ValueError:
        return None


def _parse_other(text: str, zone: tzinfo) -> datetime | None:
    """ISO 8601 with a zone, RFC 2822 (feeds), and English forms via dateutil."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        dt = None
    if dt is None:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            dt = None
    if dt is None:
        try:
            dt = dateutil_parser.parse(text, fuzzy=False)
        except (ValueError, OverflowError):
            return None
    dt = dt if dt.tzinfo is not None else dt.replace(tzinfo=zone)
    dt.utcoffset()  # an offset of a day or more raises here, not in a later comparison
    dt.astimezone(UTC)  # and so does a time that UTC cannot hold
    return dt
