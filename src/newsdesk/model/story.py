"""A document's place in a story (a cluster of reposts), as dedup decides and the store keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Assignment:
    """A document's place in a story: its cluster, body hash, LSH band keys and why."""

    doc_id: str
    cluster_id: str
    body_hash: str
    bands: tuple[int, ...]  # one 63-bit key per LSH band
    reason: str  # "new", "exact" or "near"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "doc_id": self.doc_id,
            "cluster_id": self.cluster_id,
            "body_hash": self.body_hash,
            "bands": list(self.bands),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Assignment:
        """The inverse of ``to_dict``."""
        bands = d.get("bands") or []
        if not isinstance(bands, list | tuple):
            raise ValueError(f"bands must be a list of integers, not {bands!r}")
        return cls(
            doc_id=str(d["doc_id"]),
            cluster_id=str(d["cluster_id"]),
            body_hash=str(d["body_hash"]),
            bands=tuple(int(b) for b in bands),
            reason=str(d["reason"]),
        )
