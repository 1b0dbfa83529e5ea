"""What several views check: dates and ids in query strings, the write token."""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, Request

from newsdesk.ingest.dates import parse_date
from newsdesk.web.security import check_token
from newsdesk.web.state import Web

MAX_ID = 2**63 - 1  # ids and offsets are signed 64-bit integers in both stores


def date_param(value: str | None, name: str) -> datetime | None:
    """A date given in the query string (422 when it is not one)."""
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise HTTPException(422, f"{name}={value!r} is not a date (try 2025-12-01)")
    return parsed


def check_write(request: Request, web: Web) -> None:
    """Refuse a write without the app's token (401) or with a wrong one (403)."""
    check_token(request, web.token)
