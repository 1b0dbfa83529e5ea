"""Search: ``/search`` (results as you type) and ``/api/search``, one value rendered twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from newsdesk.errors import ConfigError, InputError
from newsdesk.model import Hit
from newsdesk.search import SearchOptions, search
from newsdesk.text.segment import search_tokens
from newsdesk.web.pages import html
from newsdesk.web.routes.common import date_param
from newsdesk.web.state import CurrentWeb, Web

router = APIRouter()

SORTS = ("relevance", "newest")


@dataclass(frozen=True, slots=True)
class SearchResults:
    """The hits of one query with the filters it ran under, or the problem it ran into."""

    q: str
    hits: list[Hit] = field(default_factory=list)
    problem: str = ""  # what the page shows instead of hits (the API raises it)
    language: str = ""
    source: str = ""
    since: str = ""
    sort: str = "relevance"
    template: ClassVar[str] = "search.html"

    def to_json(self) -> list[dict[str, object]]:
        """One hit per story, with best paragraphs and a highlighted snippet."""
        return [h.to_dict() for h in self.hits]

    def context(self) -> Mapping[str, object]:
        """The form's values, the hits, and the query words the result links highlight."""
        words = [w for w in search_tokens(self.q) if len(w) > 1 or w.isascii()][:10]
        return {
            "q": self.q,
            "hits": self.to_json(),
            "problem": self.problem,
            "language": self.language,
            "source": self.source,
            "since": self.since,
            "sort": self.sort,
            "hl": " ".join(words),
        }


def search_results(
    web: Web,
    q: str,
    limit: int,
    language: str = "",
    source: str = "",
    since: str = "",
    sort: str = "relevance",
) -> SearchResults:
    """Run a search with the filters of the query string (422 for a bad sort or date)."""
    if sort not in SORTS:
        raise HTTPException(422, f"sort={sort!r}: use relevance or newest")
    options = SearchOptions(
        limit=limit,
        language=language or None,
        source=source or None,
        since=date_param(since, "since"),
        sort="newest" if sort == "newest" else "relevance",
    )
    with web.store() as store:
        hits = search(store, q, options, state=web.search_state)
    return SearchResults(q, hits, "", language, source, since, sort)


@router.get("/search", include_in_schema=False)
def search_page(
    web: CurrentWeb,
    q: str = "",
    language: str = "",
    source: str = "",
    since: str = "",
    sort: str = "relevance",
    partial: bool = False,
) -> HTMLResponse:
    results = SearchResults(q, [], "", language, source, since, sort)
    if q.strip():
        try:
            results = search_results(web, q, 20, language, source, since, sort)
        except (ConfigError, InputError) as e:
            results = SearchResults(q, [], str(e), language, source, since, sort)
    return html(results, "results.html" if partial else "search.html")


@router.get("/api/search", tags=["search"])
def api_search(
    web: CurrentWeb,
    q: Annotated[str, Query(min_length=1, description="Chinese or English")],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    language: str = "",
    source: str = "",
    since: str = "",
    sort: str = "relevance",
) -> list[dict[str, object]]:
    """Hybrid search: one hit per story, with best paragraphs and a highlighted snippet."""
    return search_results(web, q, limit, language, source, since, sort).to_json()
