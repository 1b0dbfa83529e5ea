"""The outbox: alerts are stored before they are sent, so nothing is lost or sent twice.

A run enqueues its alerts (one row per alert and channel, under a unique key:
the same story and rule never enqueue twice) before it records its end, then
delivers what is pending. A crash, a dead endpoint or a restart leaves rows
pending; the next delivery (a run, ``newsdesk watch`` or ``newsdesk alerts
--send``) sends them. Each pending row is claimed for a lease while it is
being sent, so two senders never send it at once. Delivery is at least once
across a crash mid-request; the alert key travels as Idempotency-Key (webhook)
and Message-ID (email) so a receiver can drop a repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsdesk import config
from newsdesk.alerts.channels import Channel, load_channels
from newsdesk.model import Alert, Delivery
from newsdesk.store.base import Store

# Seconds a sender holds a claimed row: longer than its retries can take
# (timeout x attempts + backoff), so a live sender is never overtaken.
LEASE = 300.0
# Between delivery passes a pending row waits 60 s, doubling per failed pass up
# to an hour: a dead endpoint is not hammered, a brief outage heals quickly.
PASS_DELAY, MAX_PASS_DELAY = 60.0, 3600.0


@dataclass(slots=True)
class DeliveryReport:
    """What one delivery pass did."""

    sent: list[Delivery] = field(default_factory=list)
    retrying: list[tuple[Delivery, str]] = field(default_factory=list)
    failed: list[tuple[Delivery, str]] = field(default_factory=list)

    def summary(self) -> str:
        """``2 sent, 1 to retry, 0 failed``."""
        return f"{len(self.sent)} sent, {len(self.retrying)} to retry, {len(self.failed)} failed"


def enqueue(store: Store, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> int:
    """Put each alert in the outbox once per channel; returns how many rows are new."""
    return store.enqueue_alerts([(a, ch) for a, channels in alerts for ch in channels])


def _attempt(channel: Channel, alert: Alert, retries: int, backoff: float) -> str:
    """Send with retries and exponential backoff; the last error, or "" when sent."""
    error = ""
    for attempt in range(retries + 1):
        try:
            channel.send(alert)
            return ""
        except Exception as e:  # a failing channel (or plugin) never stops the run
            error = str(e) or type(e).__name__
        if attempt < retries:
            time.sleep(backoff * 2**attempt)
    return error


def deliver_pending(
    store: Store,
    channels: dict[str, Channel] | None = None,
    now: float | None = None,
    log: Callable[[str], None] | None = None,
) -> DeliveryReport:
    """Send every pending delivery that is due; never raises for a channel's failure."""
    problems: dict[str, str] = {}
    if channels is None:
        channels, problems = load_channels()
    retries = config.get_int("alert_retries")
    backoff = config.get_float("alert_backoff")
    max_passes = config.get_int("alert_max_attempts")
    report = DeliveryReport()
    at = now if now is not None else datetime.now(UTC).timestamp()
    for d in store.claim_alerts(at, LEASE):
        channel = channels.get(d.channel)
        if channel is None:
            error = (
                problems.get(d.channel)
                or problems.get("*")
                or (
                    f"no channel {d.channel!r} is configured (add it to channels.toml or set "
                    f"NEWSDESK_CHANNEL_{d.channel.upper()})"
                )
            )
        else:
            error = _attempt(channel, d.alert, retries, backoff)
        if not error:
            store.record_delivery(d.id, "sent", "", at)
            report.sent.append(d)
            continue
        if d.attempts + 1 >= max_passes:
            store.record_delivery(d.id, "failed", error, at)
            report.failed.append((d, error))
        else:
            delay = min(MAX_PASS_DELAY, PASS_DELAY * 2**d.attempts)
            store.record_delivery(d.id, "pending", error, at + delay)
            report.retrying.append((d, error))
        if log:
            log(f"alert {d.alert.rule!r} to {d.channel}: {error}")
    return report
