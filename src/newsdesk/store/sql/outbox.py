"""The alert outbox in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from newsdesk.model import Alert, Delivery
from newsdesk.store.rows import DELIVERY_COLUMNS, alert_row, delivery_from_row
from newsdesk.store.sql.driver import SQLDriver


class OutboxSQL(SQLDriver):
    """The alert outbox in SQL."""

    # --- the alert outbox ----------------------------------------------------------

    def enqueue_alerts(self, items: Sequence[tuple[Alert, str]]) -> int:
        """Put (alert, channel) pairs in the outbox; a key already there is skipped."""
        now = datetime.now(UTC).timestamp()
        with self.transaction():
            return self._many(
                "INSERT INTO alerts (key, topic, rule, channel, payload, created_at, next_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                [alert_row(a, ch, now) for a, ch in items],
            )

    def claim_alerts(self, now: float, lease: float, limit: int = 100) -> list[Delivery]:
        """Pending deliveries due by ``now``, held for ``lease`` seconds from other senders."""
        with self.transaction():
            rows = self._all(
                f"SELECT {DELIVERY_COLUMNS} FROM alerts WHERE status = 'pending' AND next_at <= ?"
                f" ORDER BY id LIMIT ?{self.SKIP_LOCKED}",
                (now, limit),
            )
            self._many(
                "UPDATE alerts SET next_at = ? WHERE id = ?", [(now + lease, r[0]) for r in rows]
            )
        return [delivery_from_row(r) for r in rows]

    def record_delivery(self, delivery_id: int, status: str, error: str, next_at: float) -> None:
        """One attempt's outcome: sent, pending (retried from ``next_at``) or failed."""
        sent = datetime.now(UTC).isoformat() if status == "sent" else None
        with self.transaction():
            self._run(
                "UPDATE alerts SET status = ?, error = ?, next_at = ?, attempts = attempts + 1,"
                " sent_at = coalesce(?, sent_at) WHERE id = ?",
                (status, error, next_at, sent, delivery_id),
            )

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]:
        """The delivery log, newest first (of one status, or all)."""
        rows = self._newest(f"SELECT {DELIVERY_COLUMNS} FROM alerts", "status", status, limit)
        return [delivery_from_row(r) for r in rows]

    def retry_failed(self) -> int:
        """Put failed deliveries back in the queue; returns how many."""
        with self.transaction():
            return self._run(
                "UPDATE alerts SET status = 'pending', next_at = 0 WHERE status = 'failed'"
            )
