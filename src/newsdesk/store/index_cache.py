"""What the connections of one process to one SQLite store share: vectors, index size.

A server holds one connection per thread; without this each would load every
vector (19,778 x 512 floats) and count the word index itself, and again after
every commit. Here they are loaded once per process and kept current:

- ``PRAGMA data_version`` on a connection that never writes changes whenever
  any other connection, in this process or another, commits. Reading it costs
  microseconds, so every read asks.
- When it changed, one background thread applies the change log (migration
  m012: triggers record each document whose row or vector changed) since the
  last entry it applied, reloading only those vectors, and recounts the index.
  Readers keep using the previous snapshot until the new one is in place, so a
  large ingest next door never makes a search wait for a reload.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

# Above this many changed documents a full reload (one ordered scan) is cheaper
# than patching: patching reads the changed rows by id, 500 per query.
FULL_RELOAD_CHANGES = 5000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The vectors of one model, ordered by document id (as a full load orders them)."""

    ids: list[str]
    matrix: npt.NDArray[np.float32]


class IndexCache:
    """Vectors by model and the indexed-document count of the SQLite file at ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._monitor = self._connect()  # PRAGMA data_version only
        self._loader = self._connect()  # reads for (re)loads, under _load
        self._check = threading.Lock()
        self._load = threading.Lock()
        self._state = threading.Lock()
        self._seen: int | None = None
        self._seq = 0  # the last change_log entry applied
        self._count: int | None = None
        self._vectors: dict[str, Snapshot] = {}
        self._refreshing = False
        self._again = False
        self.refreshes = 0  # completed background refreshes (for tests and logs)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn

    # --- reads -------------------------------------------------------------

    def vectors(self, model: str) -> tuple[list[str], npt.NDArray[np.float32]]:
        """Ids and vectors of every current document embedded by ``model``."""
        self._poll()
        snap = self._vectors.get(model)
        if snap is None:
            with self._load:
                snap = self._vectors.get(model)
                if snap is None:
                    snap = self._full(model)
        return snap.ids, snap.matrix

    def indexed_count(self) -> int:
        """How many documents the word index holds."""
        self._poll()
        count = self._count
        if count is None:
            with self._load:
                if self._count is None:
                    self._begin()
                    try:
                        self._count = self._counted()
                    finally:
                        self._loader.execute("COMMIT")
                count = self._count
        return count

    # --- refresh -----------------------------------------------------------

    def _poll(self) -> None:
        """Start a background refresh when another connection has committed since last time."""
        with self._check:
            version = int(self._monitor.execute("PRAGMA data_version").fetchone()[0])
            if version == self._seen:
                return
            first = self._seen is None
            self._seen = version
        if first:
            return
        with self._state:
            if self._refreshing:
                self._again = True
                return
            self._refreshing = True
        threading.Thread(target=self._refresh_loop, name="index cache", daemon=True).start()

    def _refresh_loop(self) -> None:
        again = True
        try:
            while again:
                try:
                    self.refresh()
                except sqlite3.Error as e:  # drop the snapshot: the next read reloads fully
                    log.warning("%s: refreshing the shared index cache failed: %s", self.path, e)
                    with self._load:
                        self._vectors, self._count = {}, None
                with self._state:
                    again, self._again = self._again, False
        finally:
            with self._state:
                self._refreshing = False

    def refresh(self) -> None:
        """Apply the change log since the last refresh (the background thread calls this)."""
        with self._load:
            self._begin()
            try:
                rows = self._loader.execute(
                    "SELECT seq, doc_id FROM change_log WHERE seq > ? ORDER BY seq", (self._seq,)
                ).fetchall()
                if rows:
                    changed = {r[1] for r in rows}
                    vectors = {}
                    for model, snap in self._vectors.items():
                        if len(changed) > FULL_RELOAD_CHANGES:
                            vectors[model] = self._full(model, commit=False)
                        else:
                            vectors[model] = self._patched(model, snap, changed)
                    count = self._counted()
                    self._seq = max(self._seq, rows[-1][0])
                    self._vectors, self._count = vectors, count
            finally:
                self._loader.execute("COMMIT")
            self.refreshes += 1

    def _begin(self) -> None:
        """One read transaction: the log position and the rows read agree."""
        self._loader.execute("BEGIN")

    def _counted(self) -> int:
        return int(self._loader.execute("SELECT count(*) FROM doc_fts").fetchone()[0])

    def _last_seq(self) -> int:
        row = self._loader.execute("SELECT max(seq) FROM change_log").fetchone()
        return int(row[0] or 0)

    def _full(self, model: str, commit: bool = True) -> Snapshot:
        """Load every vector of ``model`` (the caller holds _load)."""
        if commit:
            self._begin()
        try:
            seq = self._last_seq()
            rows = self._loader.execute(
                "SELECT e.doc_id, e.vector FROM embeddings e JOIN documents d ON d.id = e.doc_id"
                " WHERE e.model = ? AND d.superseded_by IS NULL ORDER BY e.doc_id",
                (model,),
            ).fetchall()
        finally:
            if commit:
                self._loader.execute("COMMIT")
        if not self._vectors:
            self._seq = seq
        snap = _snapshot([r[0] for r in rows], [r[1] for r in rows])
        self._vectors[model] = snap
        return snap

    def _patched(self, model: str, snap: Snapshot, changed: set[str]) -> Snapshot:
        """``snap`` with the rows of the changed documents replaced by what is stored now."""
        fresh: dict[str, bytes] = {}
        ids = sorted(changed)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            fresh.update(
                self._loader.execute(
                    "SELECT e.doc_id, e.vector FROM embeddings e JOIN documents d"
                    " ON d.id = e.doc_id WHERE e.model = ? AND d.superseded_by IS NULL"
                    f" AND e.doc_id IN ({marks})",
                    (model, *chunk),
                ).fetchall()
            )
        keep = [i for i, d in enumerate(snap.ids) if d not in changed]
        if len(keep) == len(snap.ids) and not fresh:
            return snap
        kept_ids = [snap.ids[i] for i in keep]
        new_ids = sorted(fresh)
        all_ids = kept_ids + new_ids
        if not all_ids:
            return _snapshot([], [])
        parts = [snap.matrix[keep]] if keep and snap.matrix.size else []
        if new_ids:
            parts.append(_matrix([fresh[d] for d in new_ids]))
        matrix = np.vstack(parts) if len(parts) > 1 else parts[0]
        order = sorted(range(len(all_ids)), key=all_ids.__getitem__)
        return Snapshot([all_ids[i] for i in order], np.ascontiguousarray(matrix[order]))

    def close(self) -> None:
        """Close both connections."""
        with self._load:
            self._monitor.close()
            self._loader.close()


def _matrix(blobs: list[bytes]) -> npt.NDArray[np.float32]:
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)


def _snapshot(ids: list[str], blobs: list[bytes]) -> Snapshot:
    matrix = _matrix(blobs) if blobs else np.zeros((0, 0), dtype=np.float32)
    return Snapshot(ids, matrix)
