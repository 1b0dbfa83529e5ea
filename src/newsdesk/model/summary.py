"""Summary / Group / Claim / Verdict: the brief of one article, every claim with its citations.

Each type has one ``to_dict`` (the stored, ``--format json`` and ``/api``
form) and one ``from_dict`` (its inverse); nothing else writes or reads that
form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

__all__ = ["Claim", "Group", "Summary", "Verdict"]


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

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "text": self.text,
            "citations": list(self.citations),
            "verdict": self.verdict.value,
            "note": self.note,
            "evidence": list(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Claim:
        """The inverse of ``to_dict`` (a claim stored before verdicts is ``unchecked``)."""
        return cls(
            text=str(data["text"]),
            citations=tuple(_int(n) for n in _list(data["citations"])),
            verdict=Verdict(str(data.get("verdict", Verdict.UNCHECKED.value))),
            note=str(data.get("note", "")),
            evidence=tuple(str(s) for s in _list(data.get("evidence", ()))),
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A short heading over one to three points of a brief."""

    title: str
    points: tuple[Claim, ...]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {"title": self.title, "points": [p.to_dict() for p in self.points]}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Group:
        """The inverse of ``to_dict``."""
        points = tuple(Claim.from_dict(_mapping(p)) for p in _list(data["points"]))
        return cls(str(data["title"]), points)


@dataclass(frozen=True, slots=True)
class Summary:
    """The brief of one document, as the seed page shows it."""

    doc_id: str
    core_viewpoint: Claim
    groups: tuple[Group, ...]
    language: str  # en or zh: the language the brief is written in
    backend: str  # local, openai, extractive, or "extractive (fallback from ...)"
    model: str  # the model file or name; "none" for extractive
    prompt_version: str
    created_at: datetime
    notes: tuple[str, ...] = field(default=())
    seconds: float = 0.0

    def claims(self) -> list[Claim]:
        """Every claim: the core viewpoint, then each group's points."""
        return [self.core_viewpoint, *(p for g in self.groups for p in g.points)]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (the stored and the --format json form)."""
        return {
            "doc_id": self.doc_id,
            "core_viewpoint": self.core_viewpoint.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "language": self.language,
            "backend": self.backend,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "created_at": self.created_at.isoformat(),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Summary:
        """The inverse of ``to_dict``."""
        return cls(
            doc_id=str(data["doc_id"]),
            core_viewpoint=Claim.from_dict(_mapping(data["core_viewpoint"])),
            groups=tuple(Group.from_dict(_mapping(g)) for g in _list(data["groups"])),
            language=str(data["language"]),
            backend=str(data["backend"]),
            model=str(data["model"]),
            prompt_version=str(data["prompt_version"]),
            created_at=datetime.fromisoformat(str(data["created_at"])),
            notes=tuple(str(n) for n in _list(data.get("notes", ()))),
            seconds=_float(data.get("seconds", 0.0)),
        )


def _list(value: object) -> list[object]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list, not {type(value).__name__}")
    return list(value)


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, not {type(value).__name__}")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, not {type(value).__name__}")
    return int(value)


def _float(value: object) -> float:
    if not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, not {type(value).__name__}")
    return float(value)
