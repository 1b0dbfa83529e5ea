"""Alert rules from the topic file, and which stories of a run fire them.

A rule fires on a story that is new or updated in this run when every
condition it sets holds: the story matches ``query`` with at least
``min_relevance``, comes from at least ``min_sources`` independent sources,
and contains every one of ``terms``. A rule with ``spike`` fires when the day
of the newest story is a volume spike; it carries that day's newest story
(that passes the other conditions).
"""

from __future__ import annotations

from collections.abc import Sequence

from newsdesk import config
from newsdesk.model import Alert, AlertRule, ChangeSet, Document, Item, Topic
from newsdesk.relevance import query_weights, relevance
from newsdesk.render import summary_text
from newsdesk.store.base import Store
from newsdesk.timeline import daily_counts, is_spike


def independent_sources(store: Store, doc: Document) -> int:
    """How many distinct sources (as published) carry the story."""
    members = store.cluster_members(doc.cluster_id) if doc.cluster_id else [doc]
    return len({m.source for m in members} | {doc.source})


def story_reasons(
    store: Store, rule: AlertRule, doc: Document, topic_relevance: float
) -> list[str] | None:
    """Why ``doc`` passes the rule's story conditions, or None when one fails."""
    when = rule.when
    reasons = []
    if when.query:
        threshold = topic_relevance if when.min_relevance is None else when.min_relevance
        score = relevance(query_weights(store, when.query), doc)
        if score < threshold:
            return None
        reasons.append(f"matches {when.query!r} at {score:.2f} >= {threshold:.2f}")
    if when.min_sources > 1:
        n = independent_sources(store, doc)
        if n < when.min_sources:
            return None
        reasons.append(f"{n} sources >= {when.min_sources}")
    if when.terms:
        text = (doc.title + "\n" + doc.text).lower()
        if not all(t.lower() in text for t in when.terms):
            return None
        reasons.append("mentions " + ", ".join(when.terms))
    return reasons


def public_url() -> str:
    """The web app's address that alerts and feeds link to (no trailing slash)."""
    return config.get("public_url").rstrip("/")


def make_alert(topic: str, rule: AlertRule, story: str, reason: str, item: Item) -> Alert:
    """The alert of a rule about a digest item: the story's title, source, time and brief."""
    doc, summary = item.doc, item.summary
    cites = sorted({n for c in summary.claims() for n in c.citations})
    return Alert(
        key=f"{topic}|{rule.name}|{story}",
        topic=topic,
        rule=rule.name,
        reason=reason,
        title=doc.title,
        source_display=doc.source_display,
        published_at=doc.published_at.isoformat() if doc.published_at else None,
        brief=summary_text(summary),
        citations=tuple(cites),
        url=f"{public_url()}/documents/{doc.id}",
        doc_id=doc.id,
        language=summary.language,
    )


def evaluate(
    store: Store,
    topic: Topic,
    items: Sequence[Item],
    changes: ChangeSet,
    stories: Sequence[Document],
) -> list[tuple[Alert, list[str]]]:
    """The alerts this run fires, each with the channels it goes to.

    ``items`` are the digest's items (with briefs); ``stories`` every story the
    topic's queries found, one document each (the volume a spike is measured on).
    """
    fresh = {c.doc_id: c.kind for c in changes.changes if c.kind in ("new", "updated")}
    rules: Sequence[AlertRule] = topic.alerts
    out: list[tuple[Alert, list[str]]] = []
    for rule in rules:
        if rule.when.spike is not None:
            hit = _spike_alert(store, topic, rule, items, stories)
            if hit:
                out.append((hit, list(rule.to)))
            continue
        for item in items:
            kind = fresh.get(item.doc.id)
            if kind is None:
                continue
            reasons = story_reasons(store, rule, item.doc, topic.min_relevance)
            if reasons is None:
                continue
            reason = "; ".join([f"{kind} story", *reasons])
            out.append((make_alert(topic.name, rule, item.story, reason, item), list(rule.to)))
    return out


def _spike_alert(
    store: Store,
    topic: Topic,
    rule: AlertRule,
    items: Sequence[Item],
    stories: Sequence[Document],
) -> Alert | None:
    spike = rule.when.spike
    dated = [(i, i.doc.published_at.date()) for i in items if i.doc.published_at]
    if spike is None or not dated:
        return None
    series = daily_counts(stories)
    day = max(d for _, d in dated)
    if not is_spike(series, day, spike.k, spike.window_days):
        return None
    for item, published in dated:  # newest first
        if published != day:
            continue
        reasons = story_reasons(store, rule, item.doc, topic.min_relevance)
        if reasons is None:
            continue
        head = (
            f"spike: {series[day]} stories on {day} (k={spike.k:g}, {spike.window_days}-day window)"
        )
        return make_alert(topic.name, rule, f"spike:{day}", "; ".join([head, *reasons]), item)
    return None
