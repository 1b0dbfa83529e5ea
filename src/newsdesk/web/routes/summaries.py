"""Briefs: a document's cached brief, and writing one (``/api/summaries``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from newsdesk.errors import NotFound
from newsdesk.summarize import SummaryOptions, cached_summary, summarize
from newsdesk.web.routes.common import check_write
from newsdesk.web.state import CurrentWeb

router = APIRouter()


class SummaryBody(BaseModel):
    """A brief to write (or read from the cache)."""

    doc_id: str
    backend: str = ""
    language: str = ""
    refresh: bool = False
    keep_unverified: bool = False


@router.get("/api/summaries/{doc_id}", tags=["summaries"])
def get_summary(
    web: CurrentWeb, doc_id: str, backend: str = "", language: str = ""
) -> dict[str, object]:
    """The cached brief of a document (404 if none yet: POST /api/summaries writes one)."""
    opts = SummaryOptions(backend=backend, language=language).resolved()
    with web.store() as store:
        doc = store.get(doc_id)
        cached = cached_summary(store, doc.id, opts)
    if cached is None:
        raise NotFound(
            f"no {opts.backend} {opts.language} brief of {doc.id} yet: "
            "POST /api/summaries writes one"
        )
    return cached.to_dict()


@router.post("/api/summaries", tags=["summaries"])
def create_summary(web: CurrentWeb, request: Request, body: SummaryBody) -> dict[str, object]:
    """Write (or read from the cache) the verified brief of a document."""
    check_write(request, web)
    opts = SummaryOptions(
        backend=body.backend,
        language=body.language,
        refresh=body.refresh,
        keep_unverified=body.keep_unverified,
    )
    with web.store() as store:
        doc = store.get(body.doc_id)
        return summarize(store, [doc.id], opts)[0].to_dict()
