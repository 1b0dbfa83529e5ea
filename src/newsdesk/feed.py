"""Feeds out: a topic's digest as an Atom feed (RFC 4287), one entry per story.

Built from the digest's JSON (the stored run), so the file beside the digest
and the web app's ``/topics/{name}/feed.xml`` are the same feed. Each entry's
summary is the story's verified brief with its ``[n]`` paragraph citations;
its link is the story's article page in the web app.
"""

from __future__ import annotations

import hashlib
from typing import Any
from xml.etree import ElementTree as ET

from newsdesk.model import Summary

ATOM = "http://www.w3.org/2005/Atom"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def topic_id(topic: str) -> str:
    """The feed's stable id: a tag URI over the topic's name."""
    return f"tag:newsdesk,2025:topic/{hashlib.sha256(topic.encode()).hexdigest()[:16]}"


def atom_feed(digest: dict[str, Any], base_url: str, page: str = "") -> str:
    """The Atom XML of a digest dict (``render.digest_json``); links point under ``base_url``."""
    from newsdesk.render import summary_text

    ET.register_namespace("", ATOM)
    base = base_url.rstrip("/")
    topic = str(digest.get("topic", ""))
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", topic_id(topic))
    _sub(feed, "title", topic)
    _sub(feed, "updated", str(digest.get("generated_at")))
    _sub(feed, "generator", "newsdesk")
    if page:
        _sub(feed, "link", rel="alternate", type="text/html", href=f"{base}{page}")
        _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}{page}/feed.xml")
    for item in digest.get("items") or []:
        entry = _sub(feed, "entry")
        story = item.get("story") or item.get("cluster_id") or item["id"]
        _sub(entry, "id", f"{topic_id(topic)}/story/{story}")
        _sub(entry, "title", item["title"])
        when = item.get("published_at") or item["fetched_at"]
        _sub(entry, "updated", when)
        if item.get("published_at"):
            _sub(entry, "published", item["published_at"])
        author = _sub(entry, "author")
        _sub(author, "name", item.get("source_display") or item.get("source") or "unknown")
        href = f"{base}/documents/{item['id']}"
        _sub(entry, "link", rel="alternate", type="text/html", href=href)
        if item.get("url"):
            _sub(entry, "link", rel="via", href=item["url"])
        brief = summary_text(Summary.from_dict(item["summary"]))
        _sub(entry, "summary", brief, type="text")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
