"""The web app and REST API: ``newsdesk serve``.

Pages (Jinja2, every article string escaped): ``/topics``, ``/topics/{name}``
(the digest in the seed's layout, citations linking to the article),
``/documents/{id}`` (numbered paragraphs, ``#p5`` anchors, cited paragraphs
highlighted with their claim), ``/search?q=`` (results as you type),
``/stories/{id}`` (a story and its reposts), ``/runs``. The REST API under
``/api`` does what the CLI does; its OpenAPI description is ``/openapi.json``
and errors are ``{"error": "..."}`` with a message a person can act on.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, Field

from newsdesk import config
from newsdesk.errors import (
    ConfigError,
    InputError,
    ModelError,
    NewsdeskError,
    NotFound,
    Overloaded,
)
from newsdesk.ingest.dates import parse_date
from newsdesk.render import byline, document_json, format_time, hit_json, link_url
from newsdesk.search import SearchOptions, SearchState, search
from newsdesk.store import open_store
from newsdesk.store.base import DocumentFilter, Store, list_with_reposts
from newsdesk.store.pool import StorePool
from newsdesk.text.embed import CachingEmbedder, get_embedder
from newsdesk.text.segment import search_tokens
from newsdesk.web import feeds
from newsdesk.web import limits as budget
from newsdesk.web.jobs import Jobs
from newsdesk.web.limits import LimitMiddleware, Limits
from newsdesk.web.security import (
    COOKIE,
    BodyLimit,
    SecurityHeaders,
    WriteToken,
    check_token,
    check_topic_fields,
    check_topic_sources,
    topic_path,
)
from newsdesk.workflow import Topic, TopicBusy, load_topic, parse_topic, write_atomically

MAX_ID = 2**63 - 1  # ids and offsets are signed 64-bit integers in both stores

STATUS = {
    NotFound: 404,
    TopicBusy: 409,
    ModelError: 502,
    ConfigError: 400,
    InputError: 400,
    Overloaded: 503,
}


def limits_from_settings() -> Limits:
    """The request limits the ``serve_*`` settings describe."""
    return Limits(
        concurrency=max(1, config.get_int("serve_concurrency")),
        queue=max(0, config.get_int("serve_queue")),
        deadline=config.get_float("serve_deadline"),
        grace=config.get_float("serve_grace"),
        # A brief may make several model calls, each up to NEWSDESK_LLM_TIMEOUT.
        slow_deadline=5 * config.get_float("llm_timeout"),
    )


class Web:
    """Where the app's state lives: the store pool, search state, limits, topics, token.

    One per worker process: the store is opened (and migrated) once, and every
    request borrows its connection and shares its vectors and caches.
    """

    def __init__(
        self, db: str | None, topics: Path | None, token: str | None, limits: Limits | None = None
    ) -> None:
        self.db = db or config.default_db()
        self.topics = (topics or config.topics_folder()).expanduser()
        self.topics.mkdir(parents=True, exist_ok=True)
        self.token = token or config.get("token") or secrets.token_urlsafe(18)
        self.limits = limits or limits_from_settings()
        self.pool = StorePool(
            self.db,
            size=self.limits.concurrency,
            should_stop=budget.should_stop,
            on_stopped=budget.check,
            timeout=self.limits.deadline,
        )
        self.search_state = SearchState(CachingEmbedder(get_embedder(), before=budget.check))
        self.jobs = Jobs(lambda: open_store(self.db))

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store for one request: this thread's connection (or a pooled one)."""
        budget.check()
        with self.pool.store() as store:
            yield store

    def warm(self) -> None:
        """Load what the first search would: the embedder, vectors, index size, dictionary."""
        with self.store() as store:
            self.search_state.embedder.embed(["新闻 news"])
            if getattr(store, "dense_search", None) is None:  # pgvector searches in the database
                store.vectors(self.search_state.embedder.name)
            store.document_frequencies(["新闻"])
        if config.get("query_translator") != "off":
            from newsdesk.text.translate import reverse_dictionary

            reverse_dictionary()  # CC-CEDICT takes seconds to load: not in a request

    def topic_files(self) -> list[tuple[str, Topic | None, str]]:
        """(file name, topic or None, error) for every topic file, by file name."""
        out: list[tuple[str, Topic | None, str]] = []
        for path in sorted(self.topics.glob("*.toml")):
            try:
                out.append((path.stem, load_topic(path), ""))
            except ConfigError as e:
                out.append((path.stem, None, str(e)))
        return out

    def topic_name(self, topic: str | None) -> str | None:
        """The TOML name of topic file ``topic``; a name with no such file is taken as is."""
        if not topic:
            return None
        try:
            path = topic_path(self.topics, topic)
        except HTTPException:
            return topic
        return load_topic(path).name if path.exists() else topic

    def topic(self, name: str) -> Topic:
        """The topic stored as ``<name>.toml`` in the topics folder."""
        path = topic_path(self.topics, name)
        if not path.exists():
            raise NotFound(f"no topic {name!r} in {self.topics}; GET /api/topics lists them")
        return load_topic(path)


# --- templates -----------------------------------------------------------------------------

env = Environment(
    loader=PackageLoader("newsdesk.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = lambda value: format_time(
    datetime.fromisoformat(value) if isinstance(value, str) else value
)
env.filters["urlquote"] = lambda value: quote(str(value), safe="")
env.filters["link_url"] = link_url  # only http(s) URLs become links


def marked(text: str, spans: Sequence[Sequence[int]]) -> Markup:
    """``text`` escaped, with the given character spans wrapped in <mark>."""
    out, at = [], 0
    for start, end in sorted((int(a), int(b)) for a, b in spans):
        if start < at:
            continue
        out += [html.escape(text[at:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        at = end
    out.append(html.escape(text[at:]))
    return Markup("".join(out))


env.globals["marked"] = marked


def page(template: str, code: int = 200, **context: Any) -> HTMLResponse:
    """A rendered page."""
    return HTMLResponse(env.get_template(template).render(**context), status_code=code)


def cite_url(doc_id: str, citations: list[int], claim: str) -> str:
    """The article page with the cited paragraphs highlighted, scrolled to the first."""
    cites = ",".join(str(n) for n in citations)
    return f"/documents/{doc_id}?cite={cites}&claim={quote(claim, safe='')}#p{citations[0]}"


env.globals["cite_url"] = cite_url
feeds.register(env, cite_url)


# --- API models ----------------------------------------------------------------------------


class TopicBody(BaseModel):
    """A topic file to create or replace."""

    name: str = Field(description="File name in the topics folder, without .toml")
    toml: str = Field(description="The topic file's text (see the README's Topics table)")


class RunBody(BaseModel):
    """A run to start."""

    topic: str = Field(description="File name of a topic in the topics folder, without .toml")


class SummaryBody(BaseModel):
    """A brief to write (or read from the cache)."""

    doc_id: str
    backend: str = ""
    language: str = ""
    refresh: bool = False
    keep_unverified: bool = False


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

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def error(request: Request, status: int, message: str) -> Response:
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        return page("error.html", status, status=status, message=message)

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

    def write(request: Request) -> None:
        check_token(request, web.token)

    # --- pages ------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/topics")

    @app.get("/login", include_in_schema=False)
    def login(token: str = "") -> Response:
        if not secrets.compare_digest(token.encode(), web.token.encode()):
            return page("error.html", 403, status=403, message="wrong token")
        response = RedirectResponse("/topics", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.get("/topics", include_in_schema=False)
    def topics_page() -> HTMLResponse:
        with web.store() as store:
            rows = [
                (name, topic, err, store.runs(topic.name, 1) if topic else [])
                for name, topic, err in web.topic_files()
            ]
        return page("topics.html", rows=rows, folder=web.topics)

    @app.get("/topics/{name}", include_in_schema=False)
    def topic_page(name: str) -> HTMLResponse:
        topic = web.topic(name)
        with web.store() as store:
            runs = store.runs(topic.name, 20)
            done = next((r for r in runs if r.ok), None)
            digest = (store.run(done.id).digest or {}) if done else {}
        return page("topic.html", name=name, topic=topic, digest=digest, runs=runs)

    @app.get("/documents/{doc_id}", include_in_schema=False)
    def document_page(doc_id: str, cite: str = "", claim: str = "", hl: str = "") -> HTMLResponse:
        with web.store() as store:
            doc = store.get(doc_id)
            members = store.cluster_members(doc.cluster_id) if doc.cluster_id else []
        cited = {int(n) for n in cite.split(",") if n.strip().isdigit()}
        words = [w for w in hl.split() if w][:10]
        paragraphs = [
            (n, marked(p, _spans(p, words)) if words else p, n in cited)
            for n, p in enumerate(doc.paragraphs, start=1)
        ]
        return page(
            "document.html",
            doc=doc,
            byline=byline(doc),
            paragraphs=paragraphs,
            cited=sorted(cited),
            claim=claim,
            reposts=len(members) - 1 if members else 0,
        )

    @app.get("/search", include_in_schema=False)
    def search_page(
        q: str = "",
        language: str = "",
        source: str = "",
        since: str = "",
        sort: str = "relevance",
        partial: bool = False,
    ) -> HTMLResponse:
        hits: list[dict[str, Any]] = []
        problem = ""
        if q.strip():
            try:
                with web.store() as store:
                    hits = [
                        hit_json(h)
                        for h in search(
                            store,
                            q,
                            _options(20, language, source, since, sort),
                            state=web.search_state,
                        )
                    ]
            except (ConfigError, InputError) as e:
                problem = str(e)
        words = [w for w in search_tokens(q) if len(w) > 1 or w.isascii()][:10]
        return page(
            "results.html" if partial else "search.html",
            q=q,
            hits=hits,
            problem=problem,
            language=language,
            source=source,
            since=since,
            sort=sort,
            hl=" ".join(words),
        )

    @app.get("/stories/{cluster_id}", include_in_schema=False)
    def story_page(cluster_id: str) -> HTMLResponse:
        with web.store() as store:
            members = store.cluster_members(cluster_id)
        if not members:
            raise NotFound(f"no story {cluster_id!r}")
        return page("story.html", cluster_id=cluster_id, members=members, byline=byline)

    @app.get("/runs", include_in_schema=False)
    def runs_page(topic: str = "") -> HTMLResponse:
        with web.store() as store:
            store.end_orphaned_runs()
            runs = store.runs(web.topic_name(topic), 100)
        names = {t.name: name for name, t, _ in web.topic_files() if t}
        return page("runs.html", runs=runs, topic=topic, names=names)

    # --- API: documents, search, stories ---------------------------------------------------

    @app.get("/api/documents", tags=["documents"])
    def list_documents(
        source: str | None = None,
        language: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
        all_reposts: bool = False,
    ) -> list[dict[str, Any]]:
        """Stored documents, newest first; one per story unless all_reposts."""
        flt = DocumentFilter(
            source=source,
            since=_date(since, "since"),
            until=_date(until, "until"),
            language=language,
            limit=limit,
            offset=offset,
            one_per_story=not all_reposts,
        )
        with web.store() as store:
            return [
                {**document_json(d, paragraphs=False), "reposts": n}
                for d, n in list_with_reposts(store, flt)
            ]

    @app.get("/api/documents/{doc_id}", tags=["documents"])
    def get_document(doc_id: str) -> dict[str, Any]:
        """One document with its numbered paragraphs (an id prefix works)."""
        with web.store() as store:
            return document_json(store.get(doc_id))

    @app.get("/api/search", tags=["search"])
    def api_search(
        q: Annotated[str, Query(min_length=1, description="Chinese or English")],
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        language: str = "",
        source: str = "",
        since: str = "",
        sort: str = "relevance",
    ) -> list[dict[str, Any]]:
        """Hybrid search: one hit per story, with best paragraphs and a highlighted snippet."""
        with web.store() as store:
            return [
                hit_json(h)
                for h in search(
                    store, q, _options(limit, language, source, since, sort), state=web.search_state
                )
            ]

    @app.get("/api/stories/{cluster_id}", tags=["documents"])
    def get_story(cluster_id: str) -> dict[str, Any]:
        """A story: its canonical document first, then its reposts."""
        with web.store() as store:
            members = store.cluster_members(cluster_id)
        if not members:
            raise NotFound(f"no story {cluster_id!r}; a document's cluster_id names its story")
        return {
            "id": cluster_id,
            "documents": [document_json(d, paragraphs=False) for d in members],
        }

    # --- API: topics and runs --------------------------------------------------------------

    @app.get("/api/topics", tags=["topics"])
    def list_topics() -> list[dict[str, Any]]:
        """Every topic file in the topics folder (an invalid one with its error)."""
        return [
            {
                "name": name,
                "topic": t.name if t else None,
                "description": t.description if t else "",
                "error": err,
            }
            for name, t, err in web.topic_files()
        ]

    @app.get("/api/topics/{name}", tags=["topics"])
    def get_topic(name: str) -> dict[str, Any]:
        """A topic: its settings, its file's text and its last runs."""
        topic = web.topic(name)
        with web.store() as store:
            runs = store.runs(topic.name, 5)
        text = topic_path(web.topics, name).read_text(encoding="utf-8")
        return {
            "name": name,
            "topic": topic.model_dump(exclude={"path"}),
            "toml": text,
            "runs": [r.to_dict() for r in runs],
        }

    @app.post("/api/topics", tags=["topics"], status_code=201)
    def create_topic(request: Request, body: TopicBody) -> dict[str, Any]:
        """Create a topic file from TOML (409 if it exists; PUT replaces)."""
        write(request)
        path = topic_path(web.topics, body.name)
        if path.exists():
            raise HTTPException(
                409, f"topic {body.name!r} exists: PUT /api/topics/{body.name} replaces it"
            )
        return _save_topic(web, body.name, body.toml)

    @app.put("/api/topics/{name}", tags=["topics"])
    def put_topic(
        request: Request, name: str, toml: Annotated[str, Body(media_type="application/toml")]
    ) -> dict[str, Any]:
        """Create or replace a topic file; the body is its TOML text."""
        write(request)
        return _save_topic(web, name, toml)

    @app.delete("/api/topics/{name}", tags=["topics"], status_code=204)
    def delete_topic(request: Request, name: str) -> Response:
        """Remove a topic file (its runs stay in the store)."""
        write(request)
        path = topic_path(web.topics, name)
        if not path.exists():
            raise NotFound(f"no topic {name!r}")
        path.unlink()
        return Response(status_code=204)

    @app.get("/api/runs", tags=["runs"])
    def list_runs(
        topic: Annotated[
            str | None,
            Query(description="File name of a topic, as POST /api/runs takes it (or its name)"),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> list[dict[str, Any]]:
        """Past runs, newest first: of one topic (by its file name, like POST), or of all."""
        with web.store() as store:
            store.end_orphaned_runs()  # a run whose process was killed shows as failed
            return [r.to_dict() for r in store.runs(web.topic_name(topic), limit)]

    @app.post("/api/runs", tags=["runs"], status_code=202)
    def start_run(request: Request, body: RunBody) -> dict[str, Any]:
        """Start a run of a topic now; poll GET /api/runs/{id} for progress and the digest."""
        write(request)
        run_id = web.jobs.start(web.topic(body.topic))
        return {"id": run_id, "status": "running", "url": f"/api/runs/{run_id}"}

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def get_run(run_id: Annotated[int, PathParam(ge=1, le=MAX_ID)]) -> dict[str, Any]:
        """A run: status, live progress while it runs, and its digest once done."""
        with web.store() as store:
            run = store.run(run_id).to_dict()
        live = web.jobs.progress(run_id)
        if live is not None:
            run["progress"] = {"stage": live.stage, "done": live.done, "total": live.total}
        return run

    feeds.add_routes(app, web)  # Atom feeds, change sets, timelines (web/feeds.py)

    # --- API: summaries --------------------------------------------------------------------

    @app.get("/api/summaries/{doc_id}", tags=["summaries"])
    def get_summary(doc_id: str, backend: str = "", language: str = "") -> dict[str, Any]:
        """The cached brief of a document (404 if none yet: POST /api/summaries writes one)."""
        from newsdesk.summarize import SummaryOptions, cached_summary

        opts = SummaryOptions(backend=backend, language=language).resolved()
        with web.store() as store:
            doc = store.get(doc_id)
            cached = cached_summary(store, doc.id, opts)
        if cached is None:
            raise NotFound(
                f"no {opts.backend} {opts.language} brief of {doc.id} yet: "
                "POST /api/summaries writes one"
            )
        return cached.to_dict()

    @app.post("/api/summaries", tags=["summaries"])
    def create_summary(request: Request, body: SummaryBody) -> dict[str, Any]:
        """Write (or read from the cache) the verified brief of a document."""
        from newsdesk.summarize import SummaryOptions, summarize

        write(request)
        opts = SummaryOptions(
            backend=body.backend,
            language=body.language,
            refresh=body.refresh,
            keep_unverified=body.keep_unverified,
        )
        with web.store() as store:
            doc = store.get(body.doc_id)
            return summarize(store, [doc.id], opts)[0].to_dict()

    return app


def app_from_env() -> FastAPI:
    """The app over the store, topics and token of the settings (one per worker process)."""
    return create_app()


def _save_topic(web: Web, name: str, text: str) -> dict[str, Any]:
    """Validate and write a topic file atomically; errors name the field."""
    path = topic_path(web.topics, name)
    topic = parse_topic(text, path)
    check_topic_sources(web.topics, topic.sources)
    backend = topic.backend or config.get("summary_backend")
    check_topic_fields(web.topics, topic.outputs.folder, backend, topic.model)
    write_atomically(path, text)
    return {"name": name, "topic": topic.model_dump(exclude={"path"})}


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise HTTPException(422, f"{name}={value!r} is not a date (try 2025-12-01)")
    return parsed


def _options(limit: int, language: str, source: str, since: str, sort: str) -> SearchOptions:
    if sort not in ("relevance", "newest"):
        raise HTTPException(422, f"sort={sort!r}: use relevance or newest")
    return SearchOptions(
        limit=limit,
        language=language or None,
        source=source or None,
        since=_date(since, "since"),
        sort=sort,  # type: ignore[arg-type]
    )


def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    lower = text.lower()
    spans = []
    for w in words:
        at = lower.find(w.lower())
        while at >= 0:
            spans.append((at, at + len(w)))
            at = lower.find(w.lower(), at + len(w))
    return spans
