"""What keeps the web app safe to run: the write token, body limits, topic paths.

- Every write (POST, PUT, DELETE) needs the token: ``Authorization: Bearer
  TOKEN``, or the ``newsdesk_token`` cookie that ``/login?token=TOKEN`` sets
  together with the ``X-Newsdesk: 1`` header, which a page of another site
  cannot send (so a cookie alone never authorizes a cross-site form).
- Request bodies are limited to MAX_BODY bytes (413 beyond), counted as they
  arrive, so a missing or lying Content-Length does not help.
- A write without a valid token is refused (401/403) before its body is
  read or validated (``WriteToken``, a middleware).
- Topic names are one path component of letters, digits, ``-`` and ``_``
  (Chinese included), resolved inside the topics folder; topics written over
  the API may read local files only inside that folder, write their digests
  only inside it (``[outputs] folder`` relative, never ``..`` out of it), and
  name no local model file (``model`` is a server's model name only).
- Every response carries a Content-Security-Policy (scripts, styles and
  everything else from the app itself only; no framing), ``nosniff`` and
  ``X-Frame-Options: DENY`` (``SecurityHeaders``, a middleware).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.web.asgi import HttpMiddleware, json_error

MAX_BODY = 256 * 1024  # bytes: a topic file is a few hundred
COOKIE = "newsdesk_token"
CSRF_HEADER = "x-newsdesk"
_TOPIC_NAME = re.compile(r"[\w-]{1,80}")  # used with fullmatch: no trailing newline
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The app's pages use only /static/app.js and /static/style.css: nothing inline.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load their scripts from a CDN and start them
# inline; they show no stored data.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_problem(request: Request, token: str) -> tuple[int, str] | None:
    """Why a write may not go on: (401, ...) without the token, (403, ...) with a wrong one."""
    header = request.headers.get("authorization", "")
    if header:
        given = header.removeprefix("Bearer ").strip()
    elif COOKIE in request.cookies and request.headers.get(CSRF_HEADER) == "1":
        given = request.cookies[COOKIE]
    else:
        return (
            401,
            "this write needs the token: send 'Authorization: Bearer <NEWSDESK_TOKEN>' "
            "(or open /login?token=<token> once in the browser)",
        )
    if not hmac.compare_digest(given.encode(), token.encode()):
        return 403, "wrong token: use the one `newsdesk serve` printed or set"
    return None


def check_token(request: Request, token: str) -> None:
    """Refuse a write without the token (401) or with a wrong one (403)."""
    problem = token_problem(request, token)
    if problem:
        raise HTTPException(*problem)


def topic_path(folder: Path, name: str) -> Path:
    """The file of topic ``name`` inside ``folder``; anything else is refused (400)."""
    if not _TOPIC_NAME.fullmatch(name):
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


def check_topic_fields(folder: Path, outputs_folder: str, backend: str, model: str) -> None:
    """Topics written over the API write inside the topics folder and name no model file.

    ``[outputs] folder`` must be relative and stay inside the topics folder
    (``digests``, ``out/today``; not ``/srv/x`` or ``../..``). ``model`` is
    refused with the local backend (its model is a file: the server's
    NEWSDESK_MODEL decides) and wherever it looks like a path (``/``, ``.``,
    ``~`` first, ``..`` or ``\\`` inside, ``.gguf`` last); a server's model
    name (``qwen2.5:7b``, ``Qwen/Qwen2.5-7B-Instruct``) is fine.
    """
    root = folder.resolve()
    out = Path(outputs_folder)
    if out.is_absolute() or not (root / out).resolve().is_relative_to(root):
        raise HTTPException(
            400,
            f"outputs.folder {outputs_folder!r} lies outside the topics folder {root}: a topic "
            "written over the API writes its digests there (use a relative folder)",
        )
    if not model:
        return
    looks_like_path = (
        model.startswith(("/", ".", "~"))
        or ".." in model
        or "\\" in model
        or model.lower().endswith(".gguf")
    )
    if backend == "local" or looks_like_path:
        raise HTTPException(
            400,
            f"model {model!r}: a topic written over the API names no model file (the server's "
            "NEWSDESK_MODEL decides); with the openai backend give the server's model name",
        )


class WriteToken(HttpMiddleware):
    """ASGI middleware: a write without the token is refused before its body is read."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        super().__init__(app)
        self.token = token

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a write without the right token (401/403); anything else goes on."""
        if scope["method"] in WRITES:
            problem = token_problem(Request(scope), self.token)
            if problem:
                await json_error(send, *problem)
                return
        await self.app(scope, receive, send)


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware: CSP, nosniff and no framing on every response."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response's start."""
        policy = CSP
        if str(scope.get("path", "")).startswith(DOCS_PATHS):
            policy = DOCS_CSP
        extra = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit(HttpMiddleware):
    """ASGI middleware: 413 for a request body over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        super().__init__(app)
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a body over the limit, by its Content-Length or as it arrives."""
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
    await json_error(send, 413, f"request body over {limit} bytes")
