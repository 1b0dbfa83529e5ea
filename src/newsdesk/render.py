"""Renderers: documents, briefs, overviews and digests as text, Markdown, HTML and JSON."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from newsdesk.model import (
    CHANGE_KINDS,
    ChangeSet,
    Claim,
    Document,
    Hit,
    StoryChange,
    Summary,
    Verdict,
)


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


def document_json(doc: Document, *, paragraphs: bool = True) -> dict[str, Any]:
    """A document as a JSON-ready dict; paragraphs are numbered from 1."""
    out: dict[str, Any] = {
        "id": doc.id,
        "title": doc.title,
        "source": doc.source,
        "source_display": doc.source_display,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "language": doc.language,
        "url": doc.url,
        "fetched_at": doc.fetched_at.isoformat(),
        "cluster_id": doc.cluster_id,
        "n_paragraphs": len(doc.paragraphs),
    }
    if paragraphs:
        out["paragraphs"] = [{"n": n, "text": p} for n, p in enumerate(doc.paragraphs, start=1)]
    return out


def hit_json(hit: Hit) -> dict[str, Any]:
    """A search hit as a JSON-ready dict."""
    return {
        **document_json(hit.doc, paragraphs=False),
        "score": round(hit.score, 6),
        "paragraphs": list(hit.paragraphs),
        "snippet": hit.snippet,
        "highlights": [list(span) for span in hit.highlights],
        "lexical_rank": hit.lexical_rank,
        "dense_rank": hit.dense_rank,
        "reposts": hit.reposts,
        "repost_sources": list(hit.repost_sources),
    }


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


def _development_text(d: Any, esc: Callable[[str], str] = str) -> str:
    text = esc(d.text.strip().rstrip("。."))
    flag = " (unverified)" if d.verdict in (Verdict.UNSUPPORTED, Verdict.FLAGGED) else ""
    return f"{text}{flag} {''.join(f'[{k}¶{p}]' for k, p in d.citations)}."


def overview_text(overview: Any) -> str:
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


def change_detail(c: StoryChange, cite: Any = None) -> str:
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


def changes_html(changes: ChangeSet | None, cite: Any) -> str:
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


def digest_text(digest: Any) -> str:
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


def digest_markdown(digest: Any) -> str:
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


def _html_claim(claim: Claim, doc_id: str) -> str:
    text = html.escape(claim.text.strip().rstrip("。."))
    links = "".join(f'<a class="cite" href="#{doc_id}-p{n}">[{n}]</a>' for n in claim.citations)
    flag = (
        ' <span class="flag">(unverified)</span>'
        if claim.verdict in (Verdict.UNSUPPORTED, Verdict.FLAGGED)
        else ""
    )
    return f"{text}{flag} {links}."


def digest_html(digest: Any) -> str:
    """A self-contained HTML digest: citations link to the highlighted paragraph below."""
    esc = html.escape
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Opened from disk, the file runs no script and loads nothing (its style is inline).
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{esc(digest.topic.name)}</title><style>",
        "body{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;max-width:52rem;margin:auto;"
        "padding:1rem;line-height:1.5}.byline{color:#555}.new{background:#fd0;padding:0 .3em}"
        ".cite{text-decoration:none}.flag{color:#b00}details{margin:.5rem 0 1.5rem}"
        "p:target{background:#ffef9e}</style></head><body>",
        f"<h1>{esc(digest.topic.name)}</h1>",
        changes_html(
            digest.changes, lambda doc, n: f'<a class="cite" href="#{doc}-p{n}">[{n}]</a>'
        ),
    ]
    if digest.timeline:
        from newsdesk.chart import timeline_svg

        parts.append(timeline_svg(digest.timeline.to_dict()))
    if digest.overview and digest.overview.developments:
        ids = [i.doc.id for i in digest.items]
        parts.append("<h2>Key developments</h2><ol>")
        for d in digest.overview.developments:
            links = "".join(
                f'<a class="cite" href="#{ids[k - 1]}-p{p}">[{k}¶{p}]</a>' for k, p in d.citations
            )
            parts.append(f"<li>{esc(d.text.strip().rstrip('。.'))} {links}.</li>")
        parts.append("</ol>")
    for item in digest.items:
        d, s = item.doc, item.summary
        new = ' <span class="new">new</span>' if item.new else ""
        parts.append(f"<article><h2>{esc(d.title)}{new}</h2>")
        reposts = f" · +{item.reposts} reposts" if item.reposts else ""
        parts.append(f'<div class="byline">{esc(byline(d))}{reposts}</div>')
        parts.append(f"<p><b>Core Viewpoint</b> - {_html_claim(s.core_viewpoint, d.id)}</p>")
        for i, g in enumerate(s.groups, start=1):
            points = "".join(f"<li>{_html_claim(p, d.id)}</li>" for p in g.points)
            parts.append(f"<p><b>Group {i}: {esc(g.title)}</b></p><ul>{points}</ul>")
        paras = "".join(
            f'<p id="{d.id}-p{n}">[{n}] {esc(text)}</p>' for n, text in enumerate(d.paragraphs, 1)
        )
        summary = f"<summary>Article ({len(d.paragraphs)} paragraphs)</summary>"
        parts.append(f"<details open>{summary}{paras}</details></article>")
    parts.append("</body></html>")
    return "\n".join(parts)


def digest_json(digest: Any) -> dict[str, Any]:
    """The digest as a JSON-ready dict."""
    from newsdesk.workflow import digest_dict_items

    return {
        "topic": digest.topic.name,
        "run_id": digest.run_id,
        "generated_at": digest.generated_at.isoformat(),
        "items": digest_dict_items(digest),
        "overview": (
            digest.overview.to_dict([i.doc.id for i in digest.items]) if digest.overview else None
        ),
        "changes": digest.changes.to_dict() if digest.changes else None,
        "timeline": digest.timeline.to_dict() if digest.timeline else None,
        "alerts": [a.to_dict() for a in digest.alerts],
    }


def digest_atom(digest: Any) -> str:
    """The digest as an Atom feed, one entry per story with its brief."""
    from newsdesk.alerts.conditions import public_url
    from newsdesk.feed import atom_feed

    return atom_feed(digest_json(digest), public_url())
