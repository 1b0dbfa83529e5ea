"""The topic-over-time chart: stories per day as inline SVG, bars stacked by source.

No script and no style attributes: colours and sizes are SVG presentation
attributes, so the chart renders under a strict Content-Security-Policy.
Spike days carry a red marker, days with alerts a triangle; every bar has a
``<title>`` with its numbers.
"""

from __future__ import annotations

import html
from typing import Any

# Okabe-Ito colours (distinguishable with colour blindness), then grey for "other".
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#999999")
WIDTH, HEIGHT, PAD, AXIS = 640, 160, 4, 18


def timeline_svg(timeline: dict[str, Any]) -> str:
    """The chart of a timeline dict (``Timeline.to_dict()``) as an inline ``<svg>``."""
    days = timeline.get("days") or []
    if not days:
        return ""
    sources = list(timeline.get("sources") or [])
    colour = {s: COLOURS[min(i, len(COLOURS) - 1)] for i, s in enumerate(sources)}
    if "other" in colour:
        colour["other"] = COLOURS[-1]
    top = max(1, max(d["stories"] for d in days))
    slot = (WIDTH - 2 * PAD) / len(days)
    bar = max(1.0, slot * 0.8)
    plot = HEIGHT - AXIS - 12  # room for the markers above the tallest bar
    esc = html.escape
    total = sum(d["stories"] for d in days)
    label = f"Stories per day, {days[0]['day']} to {days[-1]['day']}: {total} in all"
    out = [
        f'<figure class="timeline"><svg xmlns="http://www.w3.org/2000/svg" role="img"'
        f' viewBox="0 0 {WIDTH} {HEIGHT + 20}" width="100%" aria-label="{esc(label)}">',
        f"<title>{esc(label)}</title>",
        f'<line x1="{PAD}" y1="{HEIGHT - AXIS}" x2="{WIDTH - PAD}" y2="{HEIGHT - AXIS}"'
        ' stroke="#888" stroke-width="1"/>',
    ]
    for i, d in enumerate(days):
        x = PAD + i * slot + (slot - bar) / 2
        y = float(HEIGHT - AXIS)
        parts = ", ".join(f"{s} {n}" for s, n in d["by_source"].items())
        tip = f"{d['day']}: {d['stories']} stories" + (f" ({parts})" if parts else "")
        if d.get("spike"):
            tip += " · spike"
        if d.get("alerts"):
            tip += f" · {d['alerts']} alert(s)"
        out.append(f'<g class="day" data-day="{d["day"]}"><title>{esc(tip)}</title>')
        for source in sources:
            n = d["by_source"].get(source, 0)
            if not n:
                continue
            h = plot * n / top
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"'
                f' fill="{colour[source]}"/>'
            )
        if d.get("spike"):
            out.append(
                f'<rect class="spike" x="{x - 1:.1f}" y="{y - 4:.1f}" width="{bar + 2:.1f}"'
                ' height="3" fill="#D55E00"/>'
            )
        if d.get("alerts"):
            cx = x + bar / 2
            out.append(
                f'<polygon class="alert" points="{cx - 4:.1f},{y - 12:.1f} {cx + 4:.1f},'
                f'{y - 12:.1f} {cx:.1f},{y - 5:.1f}" fill="#D55E00"/>'
            )
        out.append("</g>")
    for x, anchor, text in (
        (PAD, "start", days[0]["day"]),
        (WIDTH - PAD, "end", days[-1]["day"]),
    ):
        out.append(
            f'<text x="{x}" y="{HEIGHT - 4}" font-size="11" text-anchor="{anchor}"'
            f' fill="#555">{esc(text)}</text>'
        )
    out.append(
        f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 4}" font-size="11" text-anchor="middle"'
        f' fill="#555">most in a day: {top}</text>'
    )
    legend_x = float(PAD)
    for source in sources:
        out.append(
            f'<rect x="{legend_x:.0f}" y="{HEIGHT + 6}" width="10" height="10"'
            f' fill="{colour[source]}"/><text x="{legend_x + 14:.0f}" y="{HEIGHT + 15}"'
            f' font-size="11" fill="#333">{esc(source)}</text>'
        )
        legend_x += 24 + 7 * len(source)
    out.append("</svg></figure>")
    return "".join(out)
