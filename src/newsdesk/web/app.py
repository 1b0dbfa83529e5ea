"""The web app and REST API: ``newsdesk serve``.

Pages (Jinja2, every article string escaped): ``/topics``, ``/topics/{name}``
(the digest in the seed's layout, citations linking to the article),
``/documents/{id}`` (numbered paragraphs, ``#p5`` anchors, cited paragraphs
highlighted with their claim), ``/search?q=`` (results as you type),
``/stories/{id}`` (a story and its reposts), ``/runs``. The REST API under
``/api`` does what the CLI does; its OpenAPI description is ``/openapi.json``
and errors are ``{"error": "..."}`` with a message a person can act on.

``create_app`` only assembles: the state (``web.state``), the middlewares
(``web.limits``, ``web.security``), the error pages and the routes
(``web.routes``, one module per area, each view one value rendered as JSON
under ``/api`` or as a page: ``web.pages``).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from newsdesk.errors import (
    ConfigError,
    InputError,
    ModelError,
    NewsdeskError,
    NotFound,
    Overloaded,
    TopicBusy,
)
from newsdesk.web.limits import LimitMiddleware
from newsdesk.web.pages import page
from newsdesk.web.routes import ROUTERS
from newsdesk.web.security import COOKIE, BodyLimit, SecurityHeaders, WriteToken
from newsdesk.web.state import CurrentWeb, Web

STATUS = {
    NotFound: 404,
    TopicBusy: 409,
    ModelError: 502,
    ConfigError: 400,
    InputError: 400,
    Overloaded: 503,
}


def create_app(
    db: str | None = None, topics: Path | None = None, token: str | None = None
) -> FastAPI:
    """The app over store ``db`` and topic folder ``topics``; writes need ``token``."""
    web = Web(db, topics, token)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        undo = web.limits.on_sigterm()
        web.warm()
        try:
            yield
        finally:
            undo()
            web.pool.close()

    app = FastAPI(
        title="newsdesk",
        version="0.1.0",
        description="Chinese and English news as topic briefs whose every claim cites its "
        "source paragraphs. Writes need 'Authorization: Bearer <NEWSDESK_TOKEN>'.",
        lifespan=lifespan,
    )
    app.state.web = web
    app.add_middleware(BodyLimit)
    app.add_middleware(LimitMiddleware, limits=web.limits)
    app.add_middleware(WriteToken, token=web.token)  # before a slot is taken
    app.add_middleware(SecurityHeaders)  # outermost: on every response, errors included
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    _add_error_pages(app)
    app.add_api_route("/", home, include_in_schema=False)
    app.add_api_route("/login", login, include_in_schema=False)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """The app over the store, topics and token of the settings (one per worker process)."""
    return create_app()


def home() -> RedirectResponse:
    """The topics are the home page."""
    return RedirectResponse("/topics")


def login(web: CurrentWeb, token: str = "") -> Response:
    """Set the token cookie (writes from the browser also send the X-Newsdesk header)."""
    if not secrets.compare_digest(token.encode(), web.token.encode()):
        return page("error.html", 403, status=403, message="wrong token")
    response = RedirectResponse("/topics", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    return response


def error(request: Request, status: int, message: str) -> Response:
    """An error as ``{"error": ...}`` under /api/, as an error page elsewhere."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return page("error.html", status, status=status, message=message)


def _add_error_pages(app: FastAPI) -> None:
    """Every error answers with a message a person can act on."""

    @app.exception_handler(NewsdeskError)
    async def newsdesk_error(request: Request, exc: NewsdeskError) -> Response:
        status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 500)
        response = error(request, status, str(exc))
        if isinstance(exc, Overloaded):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        detail = getattr(exc, "detail", "") or "not found"
        return error(request, 404, f"{request.url.path}: {detail}")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}" for e in exc.errors()
        )
        return error(request, 422, f"bad request: {problems}")
