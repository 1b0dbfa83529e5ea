"""Stories (dedup clusters) in SQL."""

from __future__ import annotations

from collections.abc import Sequence

from newsdesk.model import Assignment, Document
from newsdesk.store.base import TABLES
from newsdesk.store.rows import DOC_COLUMNS
from newsdesk.store.sql.driver import SQLDriver, insert_new, upsert


class StoriesSQL(SQLDriver):
    """Stories (dedup clusters) in SQL."""

    # --- stories (dedup clusters) ------------------------------------------------

    def cluster_of_body(self, body_hash: str) -> str | None:
        """The cluster of a current document with exactly this normalized body."""
        row = self._one(
            "SELECT x.cluster_id FROM dedup x JOIN documents d ON d.id = x.doc_id"
            " WHERE x.body_hash = ? AND d.superseded_by IS NULL ORDER BY x.doc_id LIMIT 1",
            (body_hash,),
        )
        return str(row[0]) if row else None

    def cluster_id_of(self, doc_id: str) -> str | None:
        """The cluster a document belongs to."""
        row = self._one("SELECT cluster_id FROM dedup WHERE doc_id = ?", (doc_id,))
        return str(row[0]) if row else None

    def save_clusters(self, assignments: Sequence[Assignment]) -> None:
        """Store cluster assignments and refresh the canonical member and size of each cluster."""
        touched: set[str] = set()
        with self.transaction():
            for a in assignments:
                old = self._one("SELECT cluster_id FROM dedup WHERE doc_id = ?", (a.doc_id,))
                if old:
                    touched.add(old[0])
                # A document's bands depend on its immutable text alone, so a
                # re-clustered document re-inserts exactly the rows it had.
                self._run(
                    upsert("dedup", TABLES["dedup"], ("doc_id",)),
                    (a.doc_id, a.body_hash, a.cluster_id, a.reason),
                )
                self._many(
                    insert_new("lsh", TABLES["lsh"]),
                    [(b, int(key), a.doc_id) for b, key in enumerate(a.bands)],
                )
                self._run(
                    "UPDATE documents SET cluster_id = ? WHERE id = ?", (a.cluster_id, a.doc_id)
                )
                touched.add(a.cluster_id)
            for cluster in sorted(touched):
                self._refresh_cluster(cluster)

    def _refresh_cluster(self, cluster: str) -> None:
        members = self._all(
            "SELECT d.id FROM documents d WHERE d.cluster_id = ? AND d.superseded_by IS NULL"
            f" ORDER BY d.published_ts IS NULL, d.published_ts, {self.BODY_CHARS} DESC, d.id",
            (cluster,),
        )
        if not members:
            self._run("DELETE FROM clusters WHERE id = ?", (cluster,))
            return
        self._run(
            upsert("clusters", TABLES["clusters"], ("id",)), (cluster, members[0][0], len(members))
        )

    def unclustered_ids(self) -> list[str]:
        """Current documents that belong to no cluster yet."""
        rows = self._all(
            "SELECT d.id FROM documents d LEFT JOIN dedup x ON x.doc_id = d.id"
            " WHERE d.superseded_by IS NULL AND x.doc_id IS NULL"
            " ORDER BY d.published_ts IS NULL, d.published_ts, d.id"
        )
        return [r[0] for r in rows]

    def reset_clusters(self) -> None:
        """Forget every cluster (before ``newsdesk dedup --rebuild``)."""
        with self.transaction():
            for table in ("dedup", "lsh", "clusters"):
                self._run(f"DELETE FROM {table}")
            self._run("UPDATE documents SET cluster_id = NULL")

    def cluster_members(self, cluster_id: str) -> list[Document]:
        """Current members of a cluster, the canonical one first, then by publish time."""
        canonical = self._one("SELECT canonical_id FROM clusters WHERE id = ?", (cluster_id,))
        rows = self._all(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE cluster_id = ? AND superseded_by IS NULL"
            " ORDER BY id = ? DESC, published_ts IS NULL, published_ts, id",
            (cluster_id, canonical[0] if canonical else ""),
        )
        return self._documents(rows)

    def cluster_sizes(self, cluster_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(canonical id, size) of each of these clusters."""
        sql = "SELECT id, canonical_id, size FROM clusters WHERE id {ids}"
        return {cid: (canonical, int(size)) for cid, canonical, size in self._in(sql, cluster_ids)}
