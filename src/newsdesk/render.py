"""Renderers: documents (and later summaries and digests) as text and JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newsdesk.model import Document, Hit
from newsdesk.summarize.schema import Claim, Summary, Verdict


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
    }


def _markers(citations: tuple[int, ...]) -> str:
    return "".join(f"[{n}]" for n in citations)


def _claim_text(claim: Claim) -> str:
    text = claim.text.strip().rstrip("。.")
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
    lines = []
    if doc is not None:
        lines += [f"### {doc.title}", f"*{byline(doc)}*", ""]
    lines += [f"**Core Viewpoint** - {_claim_text(summary.core_viewpoint)}", ""]
    for i, group in enumerate(summary.groups, start=1):
        lines.append(f"**Group {i}: {group.title}**")
        lines += [f"- {_claim_text(p)}" for p in group.points]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def item_text(doc: Document, summary: Summary) -> str:
    """One digest item as the seed shows it: title, source and time, then the brief."""
    return f"{doc.title}\n{byline(doc)}\n{summary_text(summary)}"
