"""How a view's value becomes a page: the Jinja templates, their helpers, and ``html``.

Every view builds one value (a ``View``): ``to_json()`` is its answer under
``/api``, ``context()`` what its page's template shows. Article strings are
escaped everywhere (autoescape, and ``marked`` escapes what it wraps).
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import ClassVar, Protocol
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from newsdesk.model import Digest, Document
from newsdesk.render import HtmlLinks, digest_body_html, format_time, link_url


class View(Protocol):
    """One value of a view, rendered as JSON under ``/api`` or as its page."""

    template: ClassVar[str]

    def to_json(self) -> object:
        """The ``/api`` answer (JSON-ready)."""
        ...

    def context(self) -> Mapping[str, object]:
        """What the page's template shows."""
        ...


def _when(value: str | datetime | None) -> str:
    return format_time(datetime.fromisoformat(value) if isinstance(value, str) else value)


def marked(text: str, spans: Sequence[Sequence[int]]) -> Markup:
    """``text`` escaped, with the given character spans wrapped in <mark>."""
    out, at = [], 0
    for start, end in sorted((int(a), int(b)) for a, b in spans):
        if start < at:
            continue
        out += [_html.escape(text[at:start]), "<mark>", _html.escape(text[start:end]), "</mark>"]
        at = end
    out.append(_html.escape(text[at:]))
    return Markup("".join(out))


def cite_url(doc_id: str, citations: Sequence[int], claim: str) -> str:
    """The article page with the cited paragraphs highlighted, scrolled to the first."""
    cites = ",".join(str(n) for n in citations)
    return f"/documents/{doc_id}?cite={cites}&claim={quote(claim, safe='')}#p{citations[0]}"


def _document_url(doc: Document) -> str:
    return f"/documents/{doc.id}"


def _story_url(story: str) -> str:
    return f"/stories/{story}"


# The topic page: citations open the article page at the cited paragraphs.
PAGE_LINKS = HtmlLinks(cite=cite_url, document=_document_url, story=_story_url)


def digest_markup(digest: Digest) -> Markup:
    """The digest as the topic page shows it (the renderer of the HTML digest file, too)."""
    return Markup(digest_body_html(digest, PAGE_LINKS))


env = Environment(
    loader=PackageLoader("newsdesk.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = _when
env.filters["urlquote"] = lambda value: quote(str(value), safe="")
env.filters["link_url"] = link_url  # only http(s) URLs become links
env.globals["marked"] = marked


def page(template: str, code: int = 200, **context: object) -> HTMLResponse:
    """A rendered page."""
    return HTMLResponse(env.get_template(template).render(**context), status_code=code)


def html(view: View, template: str = "", **extra: object) -> HTMLResponse:
    """The page of a view's value (``template`` overrides the view's own)."""
    context = {**view.context(), **extra}
    return HTMLResponse(env.get_template(template or view.template).render(context))
