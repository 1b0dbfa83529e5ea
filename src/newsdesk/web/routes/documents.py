"""Documents: ``/documents/{id}`` (numbered paragraphs, cited ones highlighted) and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from newsdesk.listing import document_filter, listing_json
from newsdesk.model import Document
from newsdesk.render import byline
from newsdesk.store.base import list_with_reposts
from newsdesk.web.pages import html, marked
from newsdesk.web.routes.common import MAX_ID, date_param
from newsdesk.web.state import CurrentWeb, Web

router = APIRouter()


@dataclass(frozen=True, slots=True)
class DocumentView:
    """One document, the paragraphs a claim cites, and the words to highlight."""

    doc: Document
    reposts: int = 0  # other documents of its story
    cited: frozenset[int] = frozenset()
    claim: str = ""
    words: tuple[str, ...] = ()
    template: ClassVar[str] = "document.html"

    def to_json(self) -> dict[str, object]:
        """The document with its numbered paragraphs."""
        return self.doc.to_dict()

    def context(self) -> Mapping[str, object]:
        """The page: paragraphs (number, text with words marked, cited?), byline, claim."""
        paragraphs = [
            (n, marked(p, spans(p, self.words)) if self.words else p, n in self.cited)
            for n, p in enumerate(self.doc.paragraphs, start=1)
        ]
        return {
            "doc": self.doc,
            "byline": byline(self.doc),
            "paragraphs": paragraphs,
            "cited": sorted(self.cited),
            "claim": self.claim,
            "reposts": self.reposts,
        }


@dataclass(frozen=True, slots=True)
class DocumentList:
    """Stored documents, each with how many reposts its story has."""

    rows: list[tuple[Document, int]] = field(default_factory=list)

    def to_json(self) -> list[dict[str, object]]:
        """The documents without their paragraphs, each with ``reposts``."""
        return listing_json(self.rows)


def document_view(
    web: Web, doc_id: str, cite: str = "", claim: str = "", hl: str = ""
) -> DocumentView:
    """A document (an id prefix works) with its story's size and what to highlight."""
    with web.store() as store:
        doc = store.get(doc_id)
        members = store.cluster_members(doc.cluster_id) if doc.cluster_id else []
    return DocumentView(
        doc,
        reposts=len(members) - 1 if members else 0,
        cited=frozenset(int(n) for n in cite.split(",") if n.strip().isdigit()),
        claim=claim,
        words=tuple(w for w in hl.split() if w)[:10],
    )


def spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where each of ``words`` occurs in ``text`` (case-insensitive), as [start, end) spans."""
    lower = text.lower()
    found = []
    for w in words:
        at = lower.find(w.lower())
        while at >= 0:
            found.append((at, at + len(w)))
            at = lower.find(w.lower(), at + len(w))
    return found


@router.get("/documents/{doc_id}", include_in_schema=False)
def document_page(
    web: CurrentWeb, doc_id: str, cite: str = "", claim: str = "", hl: str = ""
) -> HTMLResponse:
    return html(document_view(web, doc_id, cite, claim, hl))


@router.get("/api/documents", tags=["documents"])
def list_documents(
    web: CurrentWeb,
    source: str | None = None,
    language: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    all_reposts: bool = False,
) -> list[dict[str, object]]:
    """Stored documents, newest first; one per story unless all_reposts."""
    flt = document_filter(
        date_param,
        ("since", "until"),
        source=source,
        since=since,
        until=until,
        language=language,
        limit=limit,
        offset=offset,
        every_copy=all_reposts,
    )
    with web.store() as store:
        return DocumentList(list_with_reposts(store, flt)).to_json()


@router.get("/api/documents/{doc_id}", tags=["documents"])
def get_document(web: CurrentWeb, doc_id: str) -> dict[str, object]:
    """One document with its numbered paragraphs (an id prefix works)."""
    return document_view(web, doc_id).to_json()
