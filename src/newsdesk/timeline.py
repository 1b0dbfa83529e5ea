"""A topic over time: stories per day (in all and by source), and volume spikes.

A day is a spike when its stories exceed the mean of the ``window_days``
before it by more than ``k`` standard deviations (Feedly's trend rule is
mean + 3 sigma), and it has at least ``SPIKE_MIN_STORIES`` stories.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from newsdesk.model import DayCount, Document, Timeline

# A day with fewer stories is never a spike: over a quiet baseline (mean 0.1,
# sigma 0.3) one or two stories would pass mean + 3 sigma. Chosen by judgment
# on the demo corpus (1-3 stories a day), not tuned on data.
SPIKE_MIN_STORIES = 3
CHART_SOURCES = 5  # sources charted by name; the rest are "other" (legible bars)


def _day(doc: Document) -> date | None:
    return doc.published_at.date() if doc.published_at else None


def daily_counts(docs: Sequence[Document]) -> Counter[date]:
    """Stories per publication day (undated stories are not counted)."""
    return Counter(d for d in map(_day, docs) if d is not None)


def is_spike(counts: Counter[date], day: date, k: float, window_days: int) -> bool:
    """Whether ``day`` is above the trailing mean + k standard deviations of its window."""
    n = counts.get(day, 0)
    trailing = [counts.get(day - timedelta(days=i), 0) for i in range(1, window_days + 1)]
    mean = statistics.fmean(trailing)
    sigma = statistics.pstdev(trailing)
    return n >= SPIKE_MIN_STORIES and n > mean + k * sigma


def make_timeline(
    docs: Sequence[Document],
    days: int,
    k: float,
    window_days: int,
    since: datetime | None = None,
    today: date | None = None,
) -> Timeline:
    """The last ``days`` days up to the newest story (or ``today``), spikes marked."""
    counts = daily_counts(docs)
    end = today or (max(counts) if counts else datetime.now().date())
    start = end - timedelta(days=days - 1)
    if since is not None and since.date() > start:
        start = since.date()
    in_window = [d for d in docs if (day := _day(d)) is not None and start <= day <= end]
    ranked = Counter(d.source_display for d in in_window).most_common()
    named = [s for s, _ in ranked[:CHART_SOURCES]]
    per_day: dict[date, Counter[str]] = {}
    for d in in_window:
        source = d.source_display if d.source_display in named else "other"
        per_day.setdefault(_day(d) or end, Counter())[source] += 1
    sources = named + (["other"] if len(ranked) > CHART_SOURCES else [])
    out = []
    day = start
    while day <= end:
        out.append(
            DayCount(
                day=day.isoformat(),
                stories=counts.get(day, 0),
                by_source=dict(per_day.get(day, Counter())),
                spike=is_spike(counts, day, k, window_days),
            )
        )
        day += timedelta(days=1)
    return Timeline(tuple(out), tuple(sources))
