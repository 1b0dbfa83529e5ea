"""The topic overview of a digest: its key developments, each citing [item¶paragraph]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from newsdesk.model.summary import Verdict
from newsdesk.model.wire import JSONObject, as_list, as_objects


@dataclass(frozen=True, slots=True)
class Development:
    """One key development and where it is stated: (item number, paragraph) pairs."""

    text: str
    citations: tuple[tuple[int, int], ...]
    verdict: Verdict = Verdict.UNCHECKED
    note: str = ""

    def to_dict(self, doc_ids: Sequence[str]) -> dict[str, object]:
        """JSON-ready, each citation also naming its document id (item k is ``doc_ids[k-1]``)."""
        return {
            "text": self.text,
            "citations": [
                {"item": k, "paragraph": p, "doc_id": doc_ids[k - 1]} for k, p in self.citations
            ],
            "verdict": self.verdict.value,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: JSONObject) -> Development:
        """The inverse of ``to_dict``."""
        return cls(
            str(d["text"]),
            tuple((int(c["item"]), int(c["paragraph"])) for c in as_objects(d["citations"])),
            Verdict(d.get("verdict", "unchecked")),
            str(d.get("note", "")),
        )


@dataclass(frozen=True, slots=True)
class Overview:
    """The developments of one run, most widely reported first."""

    developments: tuple[Development, ...]
    backend: str
    model: str = "none"
    notes: tuple[str, ...] = field(default=())
    prompt_version: str = ""  # of the prompts that wrote it: a changed prompt writes it anew

    def to_dict(self, doc_ids: Sequence[str]) -> dict[str, object]:
        """JSON-ready (stored with the run, so an unchanged digest reuses it)."""
        return {
            "developments": [d.to_dict(doc_ids) for d in self.developments],
            "backend": self.backend,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: JSONObject) -> Overview:
        """The inverse of ``to_dict``."""
        return cls(
            developments=tuple(Development.from_dict(d) for d in as_objects(data["developments"])),
            backend=str(data["backend"]),
            model=str(data.get("model", "none")),
            notes=tuple(str(n) for n in as_list(data.get("notes"))),
            prompt_version=str(data.get("prompt_version", "")),
        )
