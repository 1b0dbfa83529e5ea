"""newsdesk: Chinese and English news into topic briefs that cite their paragraphs."""

from newsdesk.config import __version__
from newsdesk.errors import (
    ConfigError,
    DecodeError,
    EmptyDocument,
    FetchError,
    InputError,
    MalformedRecord,
    NewsdeskError,
    NotFound,
    StoreError,
)
from newsdesk.index import index_store
from newsdesk.ingest.pipeline import IngestOptions, build_document, ingest
from newsdesk.model import Document, Hit, IngestReport, ItemReport, Outcome, document_id
from newsdesk.search import SearchOptions, search
from newsdesk.store import DocumentFilter, Store, open_store

__all__ = [
    "ConfigError",
    "DecodeError",
    "Document",
    "DocumentFilter",
    "EmptyDocument",
    "FetchError",
    "Hit",
    "IngestOptions",
    "IngestReport",
    "InputError",
    "ItemReport",
    "MalformedRecord",
    "NewsdeskError",
    "NotFound",
    "Outcome",
    "SearchOptions",
    "Store",
    "StoreError",
    "__version__",
    "build_document",
    "document_id",
    "index_store",
    "ingest",
    "open_store",
    "search",
]
