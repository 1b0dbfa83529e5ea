"""The app's routes, one module per area; each view builds one value (``web.pages.View``).

``documents``, ``search``, ``stories``, ``topics`` and ``runs`` serve a page
and its ``/api`` twin from the same value; ``feeds`` serves a topic's Atom feed,
timeline and change sets; ``summaries`` the briefs API.
"""

from __future__ import annotations

from fastapi import APIRouter

from newsdesk.web.routes import documents, feeds, runs, search, stories, summaries, topics

ROUTERS: tuple[APIRouter, ...] = (
    documents.router,
    search.router,
    stories.router,
    topics.router,
    runs.router,
    feeds.router,
    summaries.router,
)
