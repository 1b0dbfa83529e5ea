"""What keeps the web app safe to run: the write token, body limits, topic paths.

- Every write (POST, PUT, DELETE) needs the token: ``Authorization: Bearer
  TOKEN``, or the ``newsdesk_token`` cookie that ``/login?token=TOKEN`` sets
  together with the ``X-Newsdesk: 1`` header, which a page of another site
  cannot send (so a cookie alone never authorizes a cross-site form).
- Request bodies are limited to MAX_BODY bytes (413 beyond), counted as they
  arrive, so a missing or lying Content-Length does not help.
- Topic names are one path component of letters, digits, ``-`` and ``_``
  (Chinese included), resolved inside the topics folder; topics written over
  the API may read local files only inside that folder.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 256 * 1024  # bytes: a topic file is a few hundred
COOKIE = "newsdesk_token"
CSRF_HEADER = "x-newsdesk"
_TOPIC_NAME = re.compile(r"^[\w-]{1,80}$")


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token(request: Request, token: str) -> None:
    """Refuse a write without the token (401) or with a wrong one (403)."""
    header = request.headers.get("authorization", "")
    if header:
        given = header.removeprefix("Bearer ").strip()
    elif COOKIE in request.cookies and request.headers.get(CSRF_HEADER) == "1":
        given = request.cookies[COOKIE]
    else:
        raise HTTPException(
            401,
            "this write needs the token: send 'Authorization: Bearer <NEWSDESK_TOKEN>' "
            "(or open /login?token=<token> once in the browser)",
        )
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(403, "wrong token: use the one `newsdesk serve` printed or set")


def topic_path(folder: Path, name: str) -> Path:
    """The file of topic ``name`` inside ``folder``; anything else is refused (400)."""
    if not _TOPIC_NAME.match(name):
        raise HTTPException(
            400,
            f"bad topic name {name!r}: use 1-80 letters, digits, '-' or '_' "
            "(the file is <name>.toml in the topics folder)",
        )
    root = folder.resolve()
    path = (root / f"{name}.toml").resolve()
    if path.parent != root:
        raise HTTPException(400, f"topic {name!r} would lie outside the topics folder")
    return path


def check_topic_sources(folder: Path, sources: list[str]) -> None:
    """Topics written over the API read local files only inside the topics folder."""
    root = folder.resolve()
    for s in sources:
        if "://" in s:
            if not s.startswith(("http://", "https://")):
                raise HTTPException(400, f"source {s!r}: only http and https URLs are fetched")
            continue
        path = (root / s).resolve()
        if not path.is_relative_to(root):
            raise HTTPException(
                400,
                f"source {s!r} lies outside the topics folder {root}: a topic written over the "
                "API may read local files only there (URLs are fine)",
            )


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body: dict[str, Any] = {"error": f"request body over {limit} bytes"}
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(data)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
