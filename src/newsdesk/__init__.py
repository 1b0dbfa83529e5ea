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
from newsdesk.ingest.pipeline import IngestOptions, build_document, ingest
from newsdesk.model import Document, IngestReport, ItemReport, Outcome, document_id
from newsdesk.store import DocumentFilter, Store, open_store

__all__ = [
    "ConfigError",
    "DecodeError",
    "Document",
    "DocumentFilter",
    "EmptyDocument",
    "FetchError",
    "IngestOptions",
    "IngestReport",
    "InputError",
    "ItemReport",
    "MalformedRecord",
    "NewsdeskError",
    "NotFound",
    "Outcome",
    "Store",
    "StoreError",
    "__version__",
    "build_document",
    "document_id",
    "ingest",
    "open_store",
]
