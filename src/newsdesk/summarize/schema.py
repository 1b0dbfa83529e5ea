"""Summary / Group / Claim: the brief of one article, every claim with its citations."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """What verification found for one claim."""

    UNCHECKED = "unchecked"
    SUPPORTED = "supported"  # the judge read the cited paragraphs and agreed
    UNSUPPORTED = "unsupported"  # kept only with --keep-unverified
    FLAGGED = "flagged"  # e.g. source-language characters left after repair


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement and the paragraph numbers (1-based) that support it."""

    text: str
    citations: tuple[int, ...]
    verdict: Verdict = Verdict.UNCHECKED
    note: str = ""
    # The source sentences the claim was written from, each inside a cited
    # paragraph: the judge reads these, and the web app highlights them.
    evidence: tuple[str, ...] = ()

    def with_verdict(self, verdict: Verdict, note: str = "") -> Claim:
        """A copy with a verification result."""
        return replace(self, verdict=verdict, note=note or self.note)


@dataclass(frozen=True, slots=True)
class Group:
    """A short heading and 1-3 points."""

    title: str
    points: tuple[Claim, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """The brief of one document, as the seed page shows it."""

    doc_id: str
    core_viewpoint: Claim
    groups: tuple[Group, ...]
    language: str
    backend: str
    model: str
    prompt_version: str
    created_at: datetime
    notes: tuple[str, ...] = field(default=())
    seconds: float = 0.0

    def claims(self) -> list[Claim]:
        """Every claim: the core viewpoint, then each group's points."""
        return [self.core_viewpoint, *(p for g in self.groups for p in g.points)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the stored and the --format json form)."""

        def claim(c: Claim) -> dict[str, Any]:
            return {
                "text": c.text,
                "citations": list(c.citations),
                "verdict": c.verdict.value,
                "note": c.note,
                "evidence": list(c.evidence),
            }

        return {
            "doc_id": self.doc_id,
            "core_viewpoint": claim(self.core_viewpoint),
            "groups": [
                {"title": g.title, "points": [claim(p) for p in g.points]} for g in self.groups
            ],
            "language": self.language,
            "backend": self.backend,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "created_at": self.created_at.isoformat(),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """The inverse of ``to_dict``."""

        def claim(c: dict[str, Any]) -> Claim:
            return Claim(
                text=c["text"],
                citations=tuple(int(n) for n in c["citations"]),
                verdict=Verdict(c.get("verdict", "unchecked")),
                note=c.get("note", ""),
                evidence=tuple(c.get("evidence", ())),
            )

        return cls(
            doc_id=data["doc_id"],
            core_viewpoint=claim(data["core_viewpoint"]),
            groups=tuple(
                Group(g["title"], tuple(claim(p) for p in g["points"])) for g in data["groups"]
            ),
            language=data["language"],
            backend=data["backend"],
            model=data["model"],
            prompt_version=data["prompt_version"],
            created_at=datetime.fromisoformat(data["created_at"]),
            notes=tuple(data.get("notes", ())),
            seconds=float(data.get("seconds", 0.0)),
        )
