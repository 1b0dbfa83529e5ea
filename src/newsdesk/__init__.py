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
from newsdesk.model import (
    Digest,
    Document,
    Hit,
    IngestReport,
    Item,
    ItemReport,
    Outcome,
    Topic,
    document_id,
)
from newsdesk.render import (
    digest_html,
    digest_markdown,
    digest_text,
    summary_markdown,
    summary_text,
)
from newsdesk.search import SearchOptions, search
from newsdesk.store import DocumentFilter, Store, open_store
from newsdesk.summarize import Claim, Group, Summary, SummaryOptions, Verdict, summarize
from newsdesk.workflow import load_topic, run_topic, watch

__all__ = [
    "Claim",
    "ConfigError",
    "DecodeError",
    "Digest",
    "Document",
    "DocumentFilter",
    "EmptyDocument",
    "FetchError",
    "Group",
    "Hit",
    "IngestOptions",
    "IngestReport",
    "InputError",
    "Item",
    "ItemReport",
    "MalformedRecord",
    "NewsdeskError",
    "NotFound",
    "Outcome",
    "SearchOptions",
    "Store",
    "StoreError",
    "Summary",
    "SummaryOptions",
    "Topic",
    "Verdict",
    "__version__",
    "build_document",
    "digest_html",
    "digest_markdown",
    "digest_text",
    "document_id",
    "index_store",
    "ingest",
    "load_topic",
    "open_store",
    "run_topic",
    "search",
    "summarize",
    "summary_markdown",
    "summary_text",
    "watch",
]
