"""Topic runs and cached briefs in SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from newsdesk.errors import NotFound
from newsdesk.model import Run, RunResult
from newsdesk.model.summary import Summary
from newsdesk.store.base import TABLES
from newsdesk.store.rows import RUN_COLUMNS, orphan_message, run_from_row
from newsdesk.store.sql.driver import SQLDriver, upsert


class RunsSQL(SQLDriver):
    """Topic runs and cached briefs in SQL."""

    # --- runs --------------------------------------------------------------------

    def _running(self, topic: str | None) -> list[tuple[int, str, str]]:
        """(id, topic, owner) of the running runs (of ``topic``, or all), oldest first."""
        where, args = ("AND topic = ?", [topic]) if topic else ("", [])
        rows = self._all(
            f"SELECT id, topic, owner FROM runs WHERE status = 'running' {where} ORDER BY id", args
        )
        return [(int(i), str(t), str(o)) for i, t, o in rows]

    def _insert_run(self, topic: str, owner: str) -> int:
        row = self._one(
            "INSERT INTO runs (topic, started_at, status, owner)"
            " VALUES (?, ?, 'running', ?) RETURNING id",
            (topic, datetime.now(UTC).isoformat(), owner),
        )
        assert row is not None
        return int(row[0])

    def _end_runs(self, runs: Sequence[tuple[int, str]]) -> None:
        """End these (run id, owner) runs as failed: their process is gone."""
        self._many(
            "UPDATE runs SET status = 'failed', finished_at = ?, message = ?"
            " WHERE id = ? AND status = 'running'",
            [(datetime.now(UTC).isoformat(), orphan_message(o), i) for i, o in runs],
        )

    def finish_run(self, run_id: int, result: RunResult) -> None:
        """Record how a run ended, which items its digest holds, and the digest itself."""
        after = self._release_run(run_id)
        try:
            with self.transaction():
                self._run(
                    "UPDATE runs SET finished_at = ?, status = ?, items = ?, new_items = ?,"
                    " summarized = ?, message = ?, digest = ? WHERE id = ?",
                    (
                        datetime.now(UTC).isoformat(),
                        result.status,
                        json.dumps(list(result.items)),
                        json.dumps(list(result.new_items)),
                        result.summarized,
                        result.message,
                        json.dumps(result.digest, ensure_ascii=False) if result.digest else "",
                        run_id,
                    ),
                )
        finally:
            after()

    def runs(self, topic: str | None = None, limit: int = 20) -> list[Run]:
        """Past runs, newest first (of one topic, or of all), without their digests."""
        rows = self._newest(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs", "topic", topic, limit)
        return [run_from_row(r) for r in rows]

    def run(self, run_id: int) -> Run:
        """One run with its digest (``{}`` for a run that wrote none)."""
        row = self._one(
            f"SELECT {', '.join(RUN_COLUMNS)}, digest FROM runs WHERE id = ?", (run_id,)
        )
        if row is None:
            raise NotFound(f"no run {run_id} in {self.shown_location}; `newsdesk runs` lists them")
        return run_from_row(row)

    # --- summaries -----------------------------------------------------------------

    def get_summary(
        self, doc_id: str, backend: str, model: str, prompt_version: str, language: str
    ) -> Summary | None:
        """A cached summary, or None."""
        row = self._one(
            "SELECT summary FROM summaries WHERE doc_id = ? AND backend = ? AND model = ?"
            " AND prompt_version = ? AND language = ?",
            (doc_id, backend, model, prompt_version, language),
        )
        if row is None:
            return None
        data = json.loads(row[0])
        data.pop("cache_language", None)  # the key column, kept in older rows' JSON too
        return Summary.from_dict(data)

    def save_summary(self, summary: Summary, language: str) -> None:
        """Cache a summary under (document, backend, model, prompt version, ``language``)."""
        # The JSON keeps the language asked for, as it always has (``cache_language``).
        stored = {**summary.to_dict(), "cache_language": language}
        with self.transaction():
            self._run(
                upsert(
                    "summaries",
                    TABLES["summaries"],
                    ("doc_id", "backend", "model", "prompt_version", "language"),
                ),
                (
                    summary.doc_id,
                    summary.backend,
                    summary.model,
                    summary.prompt_version,
                    language,
                    json.dumps(stored, ensure_ascii=False),
                    summary.created_at.isoformat(),
                ),
            )
