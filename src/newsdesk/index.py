"""The index stage: search tokens and vectors for documents.

Runs inside ingest (new documents are indexed in the same transaction that
stores them) and on its own (``newsdesk index``) to fill in or rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from newsdesk.model import Document, IndexEntry
from newsdesk.store.base import Store
from newsdesk.text.embed import Embedder, document_text
from newsdesk.text.segment import Segmenter, search_tokens

# Documents indexed per transaction by ``index_store``.
BATCH = 256


def index_entries(
    docs: Sequence[Document], segmenter: Segmenter | None = None, embedder: Embedder | None = None
) -> list[IndexEntry]:
    """Index entries for ``docs``: segmented words, and vectors when an embedder is given."""
    vectors = embedder.embed([document_text(d) for d in docs]) if embedder and docs else None
    out = []
    for i, doc in enumerate(docs):
        out.append(
            IndexEntry(
                doc_id=doc.id,
                title_tokens=" ".join(search_tokens(doc.title, segmenter)),
                body_tokens=" ".join(search_tokens(doc.text, segmenter)),
                vector=vectors[i].tobytes() if vectors is not None else None,
                model=embedder.name if embedder else None,
            )
        )
    return out


def index_store(
    store: Store,
    *,
    embedder: Embedder | None,
    rebuild: bool = False,
    segmenter: Segmenter | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Index the documents that lack entries (every document with ``rebuild``)."""
    todo = store.all_ids() if rebuild else store.unindexed_ids(embedder.name if embedder else None)
    done = 0
    for start in range(0, len(todo), BATCH):
        docs = store.get_many(todo[start : start + BATCH])
        done += store.save_index(index_entries(docs, segmenter, embedder))
        if progress:
            progress(done, len(todo))
    return done
