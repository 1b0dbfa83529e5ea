"""The change set of a run: new, updated (which paragraphs), more coverage, left."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from newsdesk.changes import paragraph_diff
from newsdesk.store import open_store
from newsdesk.workflow import load_topic, run_topic
from tests.alert_helpers import ARTICLES, REPOST_B, UPDATED_A, write_jsonl, write_topic

ROOT = Path(__file__).resolve().parent.parent


def test_paragraph_diff_numbers_the_new_version() -> None:
    assert paragraph_diff(["a", "b", "c"], ["a", "B", "c", "d"]) == ([4], [2], 0)
    assert paragraph_diff(["a", "b", "c"], ["a", "c"]) == ([], [], 1)
    assert paragraph_diff(["a"], ["x", "a"]) == ([1], [], 0)


def test_second_run_shows_exactly_the_update_and_the_repost(tmp_path: Path) -> None:
    topic_path = write_topic(tmp_path)
    write_jsonl(tmp_path / "corpus" / "wire.jsonl", ARTICLES)
    db = str(tmp_path / "t.db")
    store = open_store(db)
    topic = load_topic(topic_path)
    first = run_topic(store, topic)
    assert {i.doc.title for i in first.items} == {a["title"] for a in ARTICLES}
    assert first.changes is not None
    assert first.changes.previous_run_id is None
    assert all(i.new for i in first.items)

    write_jsonl(tmp_path / "corpus" / "wire.jsonl", [UPDATED_A, *ARTICLES[1:]])
    write_jsonl(tmp_path / "corpus" / "reposts.jsonl", [REPOST_B])
    second = run_topic(store, topic)
    changes = second.changes
    assert changes is not None
    assert changes.previous_run_id == first.run_id
    assert [c.kind for c in changes.changes] == ["updated", "grew"]
    updated, grew = changes.changes
    new_a = next(i.doc for i in second.items if i.doc.title == UPDATED_A["title"])
    old_a = next(i.doc for i in first.items if i.doc.title == UPDATED_A["title"])
    assert updated.doc_id == new_a.id != old_a.id
    assert updated.previous_id == old_a.id
    assert (updated.added, updated.changed, updated.removed) == ((4,), (2,), 0)
    assert new_a.paragraphs[3] == UPDATED_A["paragraphs"][3]  # [4] is the added paragraph
    assert grew.title == ARTICLES[1]["title"]
    assert grew.new_sources == ("Sou Hu Cai Jing",)
    assert not any(i.new for i in second.items)  # an updated article is not a new story

    out = tmp_path / "out"
    text = (out / "magnets.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[2] == (
        f"Changes since run {first.run_id}: 0 new · 1 updated · 1 more coverage · 0 left the topic"
    )
    assert lines[3] == (
        f"- Updated: {UPDATED_A['title']} (Xin Hua She· 2025-12-20 09:00):"
        " new version: paragraphs added [4], changed [2]"
    )
    assert lines[4] == (
        f"- More coverage: {ARTICLES[1]['title']} (Cai Xin Wang· 2025-12-21 10:00):"
        " +1 repost (Sou Hu Cai Jing)"
    )
    assert lines[5] == "Search documents"
    md = (out / "magnets.md").read_text(encoding="utf-8")
    assert f"## Changes since run {first.run_id}" in md
    assert lines[3] in md
    html = (out / "magnets.html").read_text(encoding="utf-8")
    assert f'<a class="cite" href="#{new_a.id}-p4">[4]</a>' in html
    assert f'id="{new_a.id}-p4"' in html  # the citation resolves inside the digest
    data = json.loads((out / "magnets.json").read_text(encoding="utf-8"))
    assert [c["doc_id"] for c in data["changes"]["updated"]] == [new_a.id]
    assert data["changes"]["grew"][0]["new_sources"] == ["Sou Hu Cai Jing"]
    assert data["changes"]["new"] == data["changes"]["left"] == []
    stored = (store.run(second.run_id).digest or {})["changes"]
    assert stored == data["changes"]

    # a third run with nothing new; then article c drops out of the corpus
    third = run_topic(store, topic)
    assert third.changes is not None
    assert third.changes.changes == ()
    text = topic_path.read_text(encoding="utf-8")
    topic_path.write_text(text.replace("backend =", 'since = "2025-12-21"\nbackend ='), "utf-8")
    fourth = run_topic(store, load_topic(topic_path))
    assert fourth.changes is not None
    assert [(c.kind, c.doc_id) for c in fourth.changes.changes] == [("left", new_a.id)]
    store.close()

    done = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "runs", "magnets", "--changes", "--db", db],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"Changes since run {third.run_id}: 0 new · 0 updated" in done.stdout
    assert f"- Left the topic: {UPDATED_A['title']}" in done.stdout
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsdesk.cli",
            "runs",
            "magnets",
            "--changes",
            "--json",
            "--db",
            db,
            "--run",
            str(second.run_id),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["updated"][0]["added"] == [4]
