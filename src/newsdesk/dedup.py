"""Keep one copy of each story: exact and near-duplicate clustering at ingest.

A document joins a cluster when

- its normalized body is identical to a stored one (exact repost), or
- a MinHash LSH candidate (datasketch, 128 permutations over character
  5-shingles, 32 bands of 4 rows: pairs of Jaccard 0.6 become candidates with
  probability 0.99) passes verification on the real shingle sets: Jaccard at
  least 0.6, or one text at least 80% contained in the other (a repost with
  an added paragraph or a cut ending), *and* the facts agree.

The facts check is what keeps same-template stories apart: two buyback notices
of different companies, or one company's results of two quarters, share most of
their wording and differ only in numbers, dates and names. A candidate pair is
rejected when the numbers of the shorter text are mostly absent from the
longer one, or when their titles name different entities.

Clustering is incremental: a new document looks up candidates in the stored
LSH bands and joins an existing cluster without touching the rest. A cluster's
canonical document is its earliest published member, then the most complete.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

from newsdesk.model import Assignment, Document
from newsdesk.store.base import Store

SCHEME = "affine32"  # datasketch's default permutation scheme since 2.0
SHINGLE = 5
NUM_PERM = 128
BANDS, ROWS = 32, 4
# Verification thresholds. Jaccard 0.6 is where the evaluation set draws its
# near-duplicate line; containment 0.8 accepts reposts that add or cut a
# paragraph. Both checked against the spot-checked pairs (README).
MIN_JACCARD = 0.6
MIN_CONTAINMENT = 0.8
# Share of the shorter text's numbers that must appear in the longer one.
MIN_NUMBER_AGREEMENT = 0.7
# Candidates verified per document, those sharing the most bands first: a true
# near-duplicate shares ~4 of 32 bands at Jaccard 0.6 and more above, while a
# template shared by thousands of notices would otherwise cost thousands of checks.
MAX_CANDIDATES = 10
# A container more than twice as long as the text it contains merges with it
# only under a similar headline (title character-bigram Jaccard).
MIN_SIZE_RATIO = 0.5
MIN_TITLE_OVERLAP = 0.5

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


@dataclass(frozen=True, slots=True)
class Signature:
    """What dedup needs of one document."""

    doc_id: str
    body_hash: str
    shingles: frozenset[str]
    bands: tuple[int, ...]  # one 63-bit key per band
    numbers: frozenset[str]
    title_numbers: frozenset[str]
    title_bigrams: frozenset[str]
    rank: tuple[bool, float, int]  # canonical order: dated first, earliest, longest


@lru_cache(maxsize=1)
def _permutations() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    return MinHash(num_perm=NUM_PERM, seed=7, scheme=SCHEME).permutations  # type: ignore[no-any-return]


def _body(doc: Document) -> str:
    return _STRIP.sub("", "".join(doc.paragraphs)).lower()


def signature(doc: Document) -> Signature:
    """Body hash, shingles, LSH band keys and numbers of a document."""
    body = _body(doc)
    title = _STRIP.sub("", doc.title).lower()
    shingles = frozenset(body[i : i + SHINGLE] for i in range(max(1, len(body) - SHINGLE + 1)))
    mh = MinHash(
        num_perm=NUM_PERM, seed=7, permutations=_permutations(), scheme=SCHEME, hashfunc=zlib.crc32
    )
    mh.update_batch([s.encode("utf-8") for s in shingles])
    hv = mh.hashvalues
    bands = tuple(
        int.from_bytes(
            hashlib.blake2b(hv[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).digest(), "big"
        )
        >> 1
        for b in range(BANDS)
    )
    return Signature(
        doc_id=doc.id,
        body_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        shingles=shingles,
        bands=bands,
        numbers=frozenset(_NUMBER.findall(doc.text)),
        title_numbers=frozenset(_NUMBER.findall(doc.title)),
        title_bigrams=frozenset(title[i : i + 2] for i in range(len(title) - 1)),
        rank=(
            doc.published_at is None,
            doc.published_at.timestamp() if doc.published_at else 0.0,
            -sum(len(p) for p in doc.paragraphs),
        ),
    )


def similarity(a: Signature, b: Signature) -> tuple[float, float]:
    """Jaccard and containment (of the smaller in the larger) of two shingle sets."""
    inter = len(a.shingles & b.shingles)
    union = len(a.shingles | b.shingles)
    smaller = min(len(a.shingles), len(b.shingles))
    return (inter / union if union else 0.0), (inter / smaller if smaller else 0.0)


def facts_agree(a: Signature, b: Signature) -> bool:
    """Whether two similar texts report the same facts (numbers, title figures)."""
    if a.title_numbers and b.title_numbers and not (a.title_numbers & b.title_numbers):
        return False
    small, large = (a, b) if len(a.numbers) <= len(b.numbers) else (b, a)
    if not small.numbers:
        return True
    return len(small.numbers & large.numbers) / len(small.numbers) >= MIN_NUMBER_AGREEMENT


def same_story(a: Signature, b: Signature) -> tuple[bool, float, float]:
    """The merge decision for a candidate pair, with its Jaccard and containment."""
    if a.body_hash == b.body_hash:
        return True, 1.0, 1.0
    jac, con = similarity(a, b)
    similar = jac >= MIN_JACCARD or (con >= MIN_CONTAINMENT and _contained_repost(a, b))
    return similar and facts_agree(a, b), jac, con


def _contained_repost(a: Signature, b: Signature) -> bool:
    """A contained text is a repost of its container only when the container is
    not mostly other text (a page that scraped several articles) or when the
    two carry the same headline."""
    small, large = sorted((len(a.shingles), len(b.shingles)))
    if large and small / large >= MIN_SIZE_RATIO:
        return True
    union = a.title_bigrams | b.title_bigrams
    return bool(union) and len(a.title_bigrams & b.title_bigrams) / len(union) >= MIN_TITLE_OVERLAP


def assign(
    store: Store, docs: Sequence[Document], progress: Callable[[int], None] | None = None
) -> list[Assignment]:
    """Place each document in a cluster (an existing one, or its own) and store it.

    Documents of one call can join each other's clusters: each is compared with
    the stored documents and with those placed before it in the same call.
    """
    placed: dict[str, tuple[Signature, str]] = {}  # doc id -> (signature, cluster id)
    batch_bands: dict[tuple[int, int], list[str]] = defaultdict(list)
    batch_hash: dict[str, str] = {}
    out: list[Assignment] = []
    cache: dict[str, Signature] = {}
    for i, doc in enumerate(docs):
        sig = signature(doc)
        cluster, reason = _place(store, sig, placed, batch_bands, batch_hash, cache)
        placed[doc.id] = (sig, cluster)
        batch_hash.setdefault(sig.body_hash, doc.id)
        for b, key in enumerate(sig.bands):
            batch_bands[(b, key)].append(doc.id)
        out.append(Assignment(doc.id, cluster, sig.body_hash, sig.bands, reason))
        if progress:
            progress(i + 1)
    store.save_clusters(out)
    return out


def _place(
    store: Store,
    sig: Signature,
    placed: dict[str, tuple[Signature, str]],
    batch_bands: dict[tuple[int, int], list[str]],
    batch_hash: dict[str, str],
    cache: dict[str, Signature],
) -> tuple[str, str]:
    if sig.body_hash in batch_hash:
        return placed[batch_hash[sig.body_hash]][1], "exact"
    stored_exact = store.cluster_of_body(sig.body_hash)
    if stored_exact is not None:
        return stored_exact, "exact"
    candidates = set(store.lsh_candidates(sig.bands, MAX_CANDIDATES))
    for b, key in enumerate(sig.bands):
        candidates.update(batch_bands.get((b, key), ()))
    candidates.discard(sig.doc_id)
    if not candidates:
        return sig.doc_id, "new"
    need = [c for c in candidates if c not in placed and c not in cache]
    for doc in store.get_many(sorted(need)):
        cache[doc.id] = signature(doc)
    best: tuple[float, str] | None = None
    for c in candidates:
        other = placed[c][0] if c in placed else cache.get(c)
        if other is None:
            continue
        ok, jac, con = same_story(sig, other)
        if ok and (best is None or max(jac, con) > best[0]):
            best = (max(jac, con), c)
    if best is None:
        return sig.doc_id, "new"
    match = best[1]
    cluster = (placed[match][1] if match in placed else store.cluster_id_of(match)) or match
    # No chaining: the story's canonical document must match too, or a text that
    # many stories contain (a site notice, a roundup) would link them all.
    canonical = _canonical(store, cluster, placed)
    if canonical not in (None, match):
        other = (
            placed[canonical][0] if canonical in placed else _signature_of(store, canonical, cache)
        )
        if other is not None and not same_story(sig, other)[0]:
            return sig.doc_id, "new"
    return cluster, "near"


def _canonical(store: Store, cluster: str, placed: dict[str, tuple[Signature, str]]) -> str | None:
    """The canonical member by the store's rule, counting members placed in this call."""
    members = [(sig.rank, d) for d, (sig, c) in placed.items() if c == cluster]
    stored = store.cluster_sizes([cluster]).get(cluster)
    if stored is not None:
        docs = store.get_many([stored[0]])
        if docs:
            members.append((signature(docs[0]).rank, docs[0].id))
    return min(members)[1] if members else None


def _signature_of(store: Store, doc_id: str, cache: dict[str, Signature]) -> Signature | None:
    if doc_id not in cache:
        docs = store.get_many([doc_id])
        if not docs:
            return None
        cache[doc_id] = signature(docs[0])
    return cache[doc_id]


def cluster_unassigned(
    store: Store, batch: int = 500, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Cluster every current document that has no story yet (after a crash, or --rebuild).

    ``on_progress(done, total)`` is told the count before the first batch and
    after each one.
    """
    todo = store.unclustered_ids()
    if on_progress:
        on_progress(0, len(todo))
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        assign(store, store.get_many(chunk))
        if on_progress:
            on_progress(start + len(chunk), len(todo))
    return len(todo)
