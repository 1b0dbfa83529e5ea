"""What changed in a topic since its previous run: the change set shown on top of a digest.

A story is new, updated (a new version of its article under the same origin,
with the numbered paragraphs added or changed in the new version), grew (new
reposts, from which sources) or left the topic. Stories keep their key across
versions (the ``story`` of each digest item), so an updated article stays the
same story.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from newsdesk.model import CHANGE_KINDS, ChangeSet, Document, Run, StoryChange
from newsdesk.store.base import Store


def story_key(doc: Document) -> str:
    """A story's key: its cluster id, or the document id when it is in no cluster."""
    return doc.cluster_id or doc.id


def paragraph_diff(old: Sequence[str], new: Sequence[str]) -> tuple[list[int], list[int], int]:
    """(added, changed, removed): paragraph numbers of ``new`` added or changed, and how many
    paragraphs of ``old`` are gone."""
    added: list[int] = []
    changed: list[int] = []
    removed = 0
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "insert":
            added += range(j1 + 1, j2 + 1)
        elif op == "delete":
            removed += i2 - i1
        elif op == "replace":
            pairs = min(i2 - i1, j2 - j1)
            changed += range(j1 + 1, j1 + pairs + 1)
            added += range(j1 + pairs + 1, j2 + 1)
            removed += (i2 - i1) - pairs
    return added, changed, removed


def _change(kind: str, doc: Document, story: str, **more: Any) -> StoryChange:
    return StoryChange(
        kind=kind,
        doc_id=doc.id,
        title=doc.title,
        source_display=doc.source_display,
        published_at=doc.published_at.isoformat() if doc.published_at else None,
        story=story,
        **more,
    )


def compute_changes(
    store: Store, run_id: int, previous: Run | None, docs: Sequence[Document]
) -> tuple[ChangeSet, list[str]]:
    """The change set of a run showing ``docs``, against the ``previous`` run (with its digest).

    Returns it with the story key of each of ``docs`` (kept from the previous
    run for an updated article).
    """
    digest = (previous.digest if previous else None) or {}
    before: list[dict[str, Any]] = list(digest.get("items") or [])
    old_coverage = (digest.get("changes") or {}).get("coverage")
    member_ids = [m for ids in (old_coverage or {}).values() for m in ids]
    current = store.current_versions([p["id"] for p in before] + member_ids)

    def key_of(p: dict[str, Any]) -> str:
        return str(p.get("story") or p.get("cluster_id") or p["id"])

    changes: list[StoryChange] = []
    coverage: dict[str, tuple[str, ...]] = {}
    keys: list[str] = []
    matched: set[str] = set()
    for doc in docs:
        members = store.cluster_members(doc.cluster_id) if doc.cluster_id else [doc]
        was = (
            next((p for p in before if p["id"] == doc.id), None)
            or next((p for p in before if current.get(p["id"]) == doc.id), None)
            or next((p for p in before if key_of(p) in (story_key(doc), doc.cluster_id)), None)
        )
        key = key_of(was) if was else story_key(doc)
        keys.append(key)
        coverage[key] = tuple(m.id for m in members)
        if previous is None or was is None:
            changes.append(_change("new", doc, key))
            continue
        matched.add(was["id"])
        if was["id"] != doc.id and current.get(was["id"]) == doc.id:
            old = store.get_many([was["id"]])[0]
            added, changed, removed = paragraph_diff(old.paragraphs, doc.paragraphs)
            changes.append(
                _change(
                    "updated",
                    doc,
                    key,
                    previous_id=was["id"],
                    added=tuple(added),
                    changed=tuple(changed),
                    removed=removed,
                )
            )
        if old_coverage is not None:
            seen = {current.get(m, m) for m in old_coverage.get(key, [was["id"]])}
            seen.add(current.get(was["id"], was["id"]))
            grown = [m for m in members if m.id not in seen]
            if grown:
                changes.append(
                    _change(
                        "grew",
                        members[0],  # the story's canonical document names it
                        key,
                        new_sources=tuple(dict.fromkeys(m.source_display for m in grown)),
                        new_doc_ids=tuple(m.id for m in grown),
                    )
                )
    for p in before:
        if p["id"] not in matched and previous is not None:
            changes.append(
                StoryChange(
                    kind="left",
                    doc_id=p["id"],
                    title=p.get("title", ""),
                    source_display=p.get("source_display", ""),
                    published_at=p.get("published_at"),
                    story=key_of(p),
                )
            )
    previous_id = previous.id if previous else None
    changes.sort(key=lambda c: CHANGE_KINDS.index(c.kind))  # by kind, digest order within
    return ChangeSet(run_id, previous_id, tuple(changes), coverage), keys


def change_set_from_dict(d: dict[str, Any]) -> ChangeSet:
    """A stored change set (``digest["changes"]``) as a ChangeSet."""
    changes = [
        StoryChange(
            kind=c["kind"],
            doc_id=c["doc_id"],
            title=c["title"],
            source_display=c["source_display"],
            published_at=c["published_at"],
            story=c["story"],
            previous_id=c.get("previous_id"),
            added=tuple(c.get("added") or ()),
            changed=tuple(c.get("changed") or ()),
            removed=int(c.get("removed") or 0),
            new_sources=tuple(c.get("new_sources") or ()),
            new_doc_ids=tuple(c.get("new_doc_ids") or ()),
        )
        for kind in CHANGE_KINDS
        for c in d.get(kind) or []
    ]
    coverage = {k: tuple(v) for k, v in (d.get("coverage") or {}).items()}
    return ChangeSet(int(d["run_id"]), d.get("previous_run_id"), tuple(changes), coverage)
