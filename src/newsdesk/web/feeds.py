"""Routes of what changed and over time: Atom feeds, change sets, the stories-per-day chart.

Kept apart from ``app.py``: ``add_routes`` adds the routes to the app and
``register`` the template helpers that render a stored digest's change set
and chart on the topic page.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from jinja2 import Environment
from markupsafe import Markup

from newsdesk.alerts.conditions import public_url
from newsdesk.changes import change_set_from_dict
from newsdesk.chart import timeline_svg
from newsdesk.errors import NotFound
from newsdesk.feed import atom_feed
from newsdesk.render import changes_html


def last_digest(web: Any, name: str) -> dict[str, Any]:
    """The digest of the topic's last successful run; NotFound when it has none."""
    topic = web.topic(name)
    with web.store() as store:
        done = next((r for r in store.runs(topic.name, 20) if r.ok), None)
        if done is None:
            raise NotFound(f"topic {name!r} has no finished run yet: POST /api/runs starts one")
        digest: dict[str, Any] = store.run(done.id).digest or {}
    return digest


def register(env: Environment, cite_url: Any) -> None:
    """Template helpers: ``changes_of(digest)`` and ``chart_of(digest)`` as safe HTML."""

    def changes_of(digest: dict[str, Any]) -> Markup:
        stored = digest.get("changes")
        if not stored:
            return Markup("")
        cs = change_set_from_dict(stored)

        def cite(doc_id: str, n: int) -> str:
            return f'<a class="cite" href="{cite_url(doc_id, [n], "")}">[{n}]</a>'

        return Markup(changes_html(cs, cite))

    def chart_of(digest: dict[str, Any]) -> Markup:
        return Markup(timeline_svg(digest.get("timeline") or {}))

    env.globals["changes_of"] = changes_of
    env.globals["chart_of"] = chart_of


def add_routes(app: FastAPI, web: Any) -> None:
    """The feed, change-set and timeline routes."""

    @app.get("/topics/{name}/feed.xml", tags=["topics"])
    def topic_feed(name: str) -> Response:
        """The topic as an Atom feed: one entry per story of its last digest, with its brief."""
        xml = atom_feed(last_digest(web, name), public_url(), page=f"/topics/{name}")
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    @app.get("/api/topics/{name}/timeline", tags=["topics"])
    def topic_timeline(name: str) -> dict[str, Any]:
        """Stories per day (in all and by source) over the topic's window, spikes marked."""
        timeline: dict[str, Any] = last_digest(web, name).get("timeline") or {}
        return timeline

    @app.get("/api/runs/{run_id}/changes", tags=["runs"])
    def run_changes(run_id: int) -> dict[str, Any]:
        """What changed in a run: new, updated (paragraphs), more coverage, left."""
        with web.store() as store:
            changes: dict[str, Any] | None = (store.run(run_id).digest or {}).get("changes")
        if not changes:
            raise NotFound(f"run {run_id} has no change set (not finished, or before tracking)")
        return changes
