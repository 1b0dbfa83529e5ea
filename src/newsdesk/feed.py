"""Feeds out: a topic's digest as an Atom feed (RFC 4287), one entry per story.

Built from a ``Digest``: the run's own for the file beside the digest, the
stored run's (``Digest.from_dict``) for the web app's ``/topics/{name}/feed.xml``,
so the two are the same feed. Each entry's
summary is the story's verified brief with its ``[n]`` paragraph citations;
its link is the story's article page in the web app.
"""

from __future__ import annotations

import hashlib
from xml.etree import ElementTree as ET

from newsdesk.alerts.conditions import public_url
from newsdesk.model import Digest
from newsdesk.render import summary_text

ATOM = "http://www.w3.org/2005/Atom"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def topic_id(topic: str) -> str:
    """The feed's stable id: a tag URI over the topic's name."""
    return f"tag:newsdesk,2025:topic/{hashlib.sha256(topic.encode()).hexdigest()[:16]}"


def atom_feed(digest: Digest, base_url: str, page: str = "") -> str:
    """The Atom XML of a digest; links point under ``base_url``."""
    ET.register_namespace("", ATOM)
    base = base_url.rstrip("/")
    topic = digest.topic.name
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", topic_id(topic))
    _sub(feed, "title", topic)
    _sub(feed, "updated", digest.generated_at.isoformat())
    _sub(feed, "generator", "newsdesk")
    if page:
        _sub(feed, "link", rel="alternate", type="text/html", href=f"{base}{page}")
        _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}{page}/feed.xml")
    for item in digest.items:
        doc = item.doc
        entry = _sub(feed, "entry")
        story = item.story or doc.cluster_id or doc.id
        _sub(entry, "id", f"{topic_id(topic)}/story/{story}")
        _sub(entry, "title", doc.title)
        published = doc.published_at.isoformat() if doc.published_at else None
        _sub(entry, "updated", published or doc.fetched_at.isoformat())
        if published:
            _sub(entry, "published", published)
        author = _sub(entry, "author")
        _sub(author, "name", doc.source_display or doc.source or "unknown")
        href = f"{base}/documents/{doc.id}"
        _sub(entry, "link", rel="alternate", type="text/html", href=href)
        if doc.url:
            _sub(entry, "link", rel="via", href=doc.url)
        _sub(entry, "summary", summary_text(item.summary), type="text")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def digest_atom(digest: Digest) -> str:
    """The digest as an Atom feed linking to the web app at the ``public_url`` setting."""
    return atom_feed(digest, public_url())
