"""Renderers: documents, briefs, overviews and digests as text, Markdown and HTML.

The digest's HTML is written once (``digest_body_html``): the file beside the
digest wraps it in a self-contained page whose citations jump to the article
paragraphs below; the web app's topic page puts it in its layout with
citations opening the article page (``HtmlLinks`` says which). JSON is each
value's ``to_dict`` (``newsdesk.model``), Atom is ``newsdesk.feed``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from newsdesk.chart import timeline_svg
from newsdesk.model import (
    CHANGE_KINDS,
    ChangeSet,
    Development,
    Digest,
    Document,
    Item,
    Overview,
    StoryChange,
)
from newsdesk.model.summary import Claim, Summary, Verdict

# Renders a paragraph citation: (document id, paragraph number) -> HTML or text.
Cite = Callable[[str, int], str]


def format_time(dt: datetime | None) -> str:
    """A publish time as the seed shows it (``2025-12-27 04:15``), in its own zone."""
    return dt.strftime("%Y-%m-%d %H:%M") if dt else "undated"


def byline(doc: Document) -> str:
    """``Sou Hu Cai Jing· 2025-12-27 04:15``: the seed's source-and-time line."""
    return f"{doc.source_display}· {format_time(doc.published_at)}"


def document_text(doc: Document) -> str:
    """A document with numbered paragraphs, exactly as citations refer to them."""
    lines = [doc.title, byline(doc), f"id {doc.id} · {doc.language} · source {doc.source}"]
    if doc.url:
        lines.append(doc.url)
    lines.append("")
    lines += [f"[{n}] {p}" for n, p in enumerate(doc.paragraphs, start=1)]
    return "\n".join(lines)


def link_url(url: str | None) -> str | None:
    """``url`` if it may become a clickable link (http or https), else None.

    A stored ``javascript:`` or ``data:`` URL (from data of an older version,
    or a source that slipped one through) is shown as text, never linked.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


# Article text in Markdown: HTML (raw <script>, <img onerror>, <iframe>) is
# shown as text, and brackets cannot form a link or an image.
_MARKDOWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]"})


def md_escape(text: str) -> str:
    """``text`` safe inside Markdown: no raw HTML, no links or images of its own."""
    return text.translate(_MARKDOWN)


def _markers(citations: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in citations)


def _claim_text(claim: Claim, esc: Callable[[str], str] = str) -> str:
    text = esc(claim.text.strip().rstrip("。."))
    flag = " (unverified)" if claim.verdict in (Verdict.UNSUPPORTED, Verdict.FLAGGED) else ""
    return f"{text}{flag} {_markers(claim.citations)}."


def summary_text(summary: Summary) -> str:
    """The seed page's layout on one line: Core Viewpoint - ... [1]. Group 1: H - c [3]. - c [5]."""
    parts = [f"Core Viewpoint - {_claim_text(summary.core_viewpoint)}"]
    for i, group in enumerate(summary.groups, start=1):
        points = " - ".join(_claim_text(p) for p in group.points)
        parts.append(f"Group {i}: {group.title.strip().rstrip('.')} - {points}")
    return " ".join(parts)


def summary_markdown(summary: Summary, doc: Document | None = None) -> str:
    """The brief as Markdown: core viewpoint, then a heading and bullets per group."""
    esc = md_escape
    lines = []
    if doc is not None:
        lines += [f"### {esc(doc.title)}", f"*{esc(byline(doc))}*", ""]
    lines += [f"**Core Viewpoint** - {_claim_text(summary.core_viewpoint, esc)}", ""]
    for i, group in enumerate(summary.groups, start=1):
        lines.append(f"**Group {i}: {esc(group.title)}**")
        lines += [f"- {_claim_text(p, esc)}" for p in group.points]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def item_text(doc: Document, summary: Summary) -> str:
    """One digest item as the seed shows it: title, source and time, then the brief."""
    return f"{doc.title}\n{byline(doc)}\n{summary_text(summary)}"


# --- digests -----------------------------------------------------------------

NEW_MARK = "[NEW] "


def _development_text(d: Development, esc: Callable[[str], str] = str) -> str:
    text = esc(d.text.strip().rstrip("。."))
    flag = " (unverified)" if d.verdict in (Verdict.UNSUPPORTED, Verdict.FLAGGED) else ""
    return f"{text}{flag} {''.join(f'[{k}¶{p}]' for k, p in d.citations)}."


def overview_text(overview: Overview) -> str:
    """``Key Developments - 1. ... [2¶5]. 2. ... [1¶3].``: [k¶p] is paragraph p of item k."""
    points = " ".join(
        f"{i}. {_development_text(d)}" for i, d in enumerate(overview.developments, 1)
    )
    return f"Key Developments - {points}"


# --- the change set ------------------------------------------------------------

CHANGE_LABELS = {
    "new": "New",
    "updated": "Updated",
    "grew": "More coverage",
    "left": "Left the topic",
}


def _when(iso: str | None) -> str:
    return format_time(datetime.fromisoformat(iso)) if iso else "undated"


def change_detail(c: StoryChange, cite: Cite | None = None) -> str:
    """What changed in one story; ``cite(doc_id, n)`` renders a paragraph citation."""
    mark = cite or (lambda _doc, n: f"[{n}]")
    if c.kind == "updated":
        parts = []
        if c.added:
            parts.append("paragraphs added " + "".join(mark(c.doc_id, n) for n in c.added))
        if c.changed:
            parts.append("changed " + "".join(mark(c.doc_id, n) for n in c.changed))
        if c.removed:
            parts.append(f"{c.removed} removed")
        return "new version: " + (", ".join(parts) or "the same paragraphs")
    if c.kind == "grew":
        n = len(c.new_doc_ids)
        return f"+{n} repost{'s' * (n != 1)} ({', '.join(c.new_sources)})"
    return ""


def changes_heading(changes: ChangeSet) -> str:
    """``Changes since run 3: 1 new · 1 updated · 1 more coverage · 0 left``."""
    counts = " · ".join(f"{len(changes.of(k))} {CHANGE_LABELS[k].lower()}" for k in CHANGE_KINDS)
    return f"Changes since run {changes.previous_run_id}: {counts}"


def changes_text(changes: ChangeSet) -> list[str]:
    """The change set as lines of text (none on a topic's first run: every story is new)."""
    if changes.previous_run_id is None:
        return []
    lines = [changes_heading(changes)]
    for c in changes.changes:
        detail = change_detail(c)
        line = f"- {CHANGE_LABELS[c.kind]}: {c.title} ({c.source_display}· {_when(c.published_at)})"
        lines.append(line + (f": {detail}" if detail else ""))
    return lines


def changes_html(changes: ChangeSet | None, cite: Cite) -> str:
    """The change set as an HTML section (empty on a topic's first run)."""
    if changes is None or changes.previous_run_id is None:
        return ""
    esc = html.escape
    rows = []
    for c in changes.changes:
        detail = change_detail(c, cite)
        rows.append(
            f'<li class="change-{c.kind}"><b>{CHANGE_LABELS[c.kind]}</b>: {esc(c.title)}'
            f' <span class="byline">({esc(c.source_display)}· {esc(_when(c.published_at))})</span>'
            + (f": {detail}" if detail else "")
            + "</li>"
        )
    body = f"<ul>{''.join(rows)}</ul>" if rows else "<p>Nothing changed.</p>"
    return f'<section class="changes"><h2>{esc(changes_heading(changes))}</h2>{body}</section>'


def digest_text(digest: Digest) -> str:
    """The digest in the seed page's layout: the topic on top, items newest first."""
    lines = ["Workflow", digest.topic.name]
    if digest.changes:
        lines += changes_text(digest.changes)
    if digest.overview and digest.overview.developments:
        lines.append(overview_text(digest.overview))
    lines.append("Search documents")
    for item in digest.items:
        lines.append((NEW_MARK if item.new else "") + item.doc.title)
        lines.append(byline(item.doc))
        lines.append(summary_text(item.summary))
    return "\n".join(lines) + "\n"


def digest_markdown(digest: Digest) -> str:
    """The digest as Markdown (article and topic text escaped: see ``md_escape``)."""
    esc = md_escape
    out = [f"# {esc(digest.topic.name)}", ""]
    if digest.topic.description:
        out += [esc(digest.topic.description), ""]
    out.append(f"*{len(digest.items)} stories · generated {digest.generated_at:%Y-%m-%d %H:%M}*")
    out.append("")
    if digest.changes and digest.changes.previous_run_id is not None:
        heading, *rows = changes_text(digest.changes)
        out += [f"## {heading}", "", *(rows or ["Nothing changed."]), ""]
    if digest.overview and digest.overview.developments:
        out += ["## Key developments", ""]
        out += [
            f"{i}. {_development_text(d, esc)}"
            for i, d in enumerate(digest.overview.developments, 1)
        ]
        out += ["", "*[k¶p] is paragraph p of story k below.*", ""]
    for item in digest.items:
        new = " **(new)**" if item.new else ""
        reposts = f" · +{item.reposts} reposts" if item.reposts else ""
        out += [f"## {esc(item.doc.title)}{new}", f"*{esc(byline(item.doc))}{reposts}*", ""]
        out.append(summary_markdown(item.summary))
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class HtmlLinks:
    """Where a digest's HTML links: to the web app's pages, or to anchors inside one file."""

    # (document id, paragraph numbers, the claim citing them) -> the citation's href
    cite: Callable[[str, Sequence[int], str], str]
    document: Callable[[Document], str | None] = lambda _doc: None  # an item's title link
    story: Callable[[str], str | None] = lambda _story: None  # its reposts link
    paragraphs: bool = False  # the articles' numbered paragraphs below each item


# The self-contained file: citations jump to the paragraphs printed below each item.
FILE_LINKS = HtmlLinks(cite=lambda doc, ns, _claim: f"#{doc}-p{ns[0]}", paragraphs=True)


def _href(url: str) -> str:
    return html.escape(url, quote=True)


def _cite_link(href: str, label: str, title: str = "") -> str:
    """A citation link; the title (what it cites) comes before the href."""
    titled = f' title="{html.escape(title)}"' if title else ""
    return f'<a class="cite"{titled} href="{_href(href)}">[{label}]</a>'


def _html_claim(claim: Claim, doc_id: str, links: HtmlLinks) -> str:
    """A claim, its (unverified) flag and its citation links, as the topic page shows it."""
    esc = html.escape
    text = esc(claim.text.strip().rstrip("。."))
    flag = (
        f' <span class="flag" title="{esc(claim.note)}">(unverified)</span>'
        if claim.verdict in (Verdict.UNSUPPORTED, Verdict.FLAGGED)
        else ""
    )
    cites = "".join(
        _cite_link(links.cite(doc_id, [n], claim.text), str(n), f"paragraph {n}")
        for n in claim.citations
    )
    return f"{text}{flag}{cites}."


def _overview_html(overview: Overview, items: Sequence[Item], links: HtmlLinks) -> str:
    ids = [i.doc.id for i in items]
    rows = []
    for d in overview.developments:
        cites = "".join(
            _cite_link(links.cite(ids[k - 1], [p], d.text), f"{k}¶{p}", f"story {k}, paragraph {p}")
            for k, p in d.citations
        )
        rows.append(f"  <li>{html.escape(d.text.strip().rstrip('。.'))}\n{cites}.</li>")
    head = '<section class="overview">\n<h2>Key developments</h2>\n<ol>'
    return "\n".join([head, *rows, "</ol>\n</section>"])


def _item_html(number: int, item: Item, links: HtmlLinks) -> str:
    esc = html.escape
    d, s = item.doc, item.summary
    href = links.document(d)
    title = (
        f'<a href="{_href(href)}" lang="{esc(d.language)}">{esc(d.title)}</a>'
        if href
        else esc(d.title)
    )
    new = ' <span class="new">new</span>' if item.new else ""
    reposts = ""
    if item.reposts:
        story = links.story(d.cluster_id or d.id)
        label = f"+{item.reposts} reposts"
        reposts = f' · <a href="{_href(story)}">{label}</a>' if story else f" · {label}"
    groups = "".join(
        f"\n    <b>Group {i}: {esc(g.title.strip().rstrip('.'))}</b> -\n"
        + " - ".join(_html_claim(p, d.id, links) for p in g.points)
        for i, g in enumerate(s.groups, start=1)
    )
    parts = [
        f'<article class="item" id="item-{number}">',
        f'  <h2><span class="num">{number}</span> {title}{new}</h2>',
        f'  <div class="byline">{esc(byline(d))}{reposts}</div>',
        f'  <p class="brief"><b>Core Viewpoint</b> - {_html_claim(s.core_viewpoint, d.id, links)}'
        f"{groups}</p>",
    ]
    if links.paragraphs:
        paras = "".join(
            f'<p id="{d.id}-p{n}">[{n}] {esc(text)}</p>' for n, text in enumerate(d.paragraphs, 1)
        )
        summary = f"<summary>Article ({len(d.paragraphs)} paragraphs)</summary>"
        parts.append(f"  <details open>{summary}{paras}</details>")
    parts.append("</article>")
    return "\n".join(parts)


def digest_body_html(digest: Digest, links: HtmlLinks) -> str:
    """The digest as HTML below its title: counts, changes, chart, key developments, items."""
    when = format_time(digest.generated_at)
    parts = [f'<p class="byline">{len(digest.items)} stories · generated {when}</p>']

    def cite(doc_id: str, n: int) -> str:
        return _cite_link(links.cite(doc_id, [n], ""), str(n))

    parts.append(changes_html(digest.changes, cite))
    if digest.timeline:
        parts.append(timeline_svg(digest.timeline.to_dict()))
    if digest.overview and digest.overview.developments:
        parts.append(_overview_html(digest.overview, digest.items, links))
    parts.append('<div class="crumbs">Search documents</div>')
    parts += [_item_html(k, item, links) for k, item in enumerate(digest.items, start=1)]
    return "\n".join(p for p in parts if p)


_FILE_STYLE = (
    "body{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;max-width:52rem;margin:auto;"
    "padding:1rem;line-height:1.5}.byline,.crumbs{color:#555}.new{background:#fd0;padding:0 .3em}"
    ".cite{text-decoration:none}.flag{color:#b00}details{margin:.5rem 0 1.5rem}"
    "p:target{background:#ffef9e}"
)


def digest_html(digest: Digest) -> str:
    """A self-contained HTML digest: citations link to the highlighted paragraph below."""
    esc = html.escape
    return "\n".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            # Opened from disk, the file runs no script and loads nothing (its style is inline).
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">",
            f"<title>{esc(digest.topic.name)}</title><style>{_FILE_STYLE}</style></head><body>",
            '<div class="crumbs">Workflow</div>',
            f"<h1>{esc(digest.topic.name)}</h1>",
            digest_body_html(digest, FILE_LINKS),
            "</body></html>",
        ]
    )
