from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from newsdesk import IngestOptions, ingest
from newsdesk.errors import ConfigError
from newsdesk.model import Digest, Outputs
from newsdesk.store import Store
from newsdesk.workflow import load_topic, run_topic, select, watch
from tests.conftest import ChatServer, Unclosed

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "rare-earth-magnets.toml"


def topic_file(tmp_path: Path, **changes: Any) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    demo = (ROOT / "examples" / "demo").as_posix()
    text = text.replace('"demo/', f'"{demo}/').replace(
        '"../.demo/digests"', f'"{tmp_path / "out"}"'
    )
    text = text.replace('backend = ""', f'backend = "{changes.pop("backend", "extractive")}"')
    path = tmp_path / "topic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_topic_end_to_end_and_incremental(tmp_path: Path, store: Store) -> None:
    topic = load_topic(topic_file(tmp_path))
    first = run_topic(store, topic)
    assert 5 <= len(first.items) <= topic.max_items
    assert all(i.new for i in first.items)
    assert first.summarized == len(first.items)
    dates = [i.doc.published_at for i in first.items]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    text = (tmp_path / "out" / "高性能稀土永磁体.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[:2] == ["Workflow", "高性能稀土永磁体"]
    assert lines[2].startswith("Key Developments - 1. ")
    assert lines[3] == "Search documents"
    assert lines[5].endswith(first.items[0].doc.published_at.strftime("%Y-%m-%d %H:%M"))  # type: ignore[union-attr]
    assert lines[6].startswith("Core Viewpoint - ")
    # the overview: 3-6 developments, each citing [item¶paragraph] that resolve
    assert first.overview is not None
    assert 3 <= len(first.overview.developments) <= 6
    for d in first.overview.developments:
        assert d.citations
        for k, p in d.citations:
            assert 1 <= p <= len(first.items[k - 1].doc.paragraphs)
    for item in first.items:  # every citation resolves
        for claim in item.summary.claims():
            assert all(1 <= n <= len(item.doc.paragraphs) for n in claim.citations)
    html = (tmp_path / "out" / "高性能稀土永磁体.html").read_text(encoding="utf-8")
    doc = first.items[0]
    n = doc.summary.core_viewpoint.citations[0]
    assert f'href="#{doc.doc.id}-p{n}"' in html
    assert f'id="{doc.doc.id}-p{n}"' in html
    data = json.loads((tmp_path / "out" / "高性能稀土永磁体.json").read_text(encoding="utf-8"))
    assert len(data["items"]) == len(first.items)
    k, p = first.overview.developments[0].citations[0]
    assert f'href="#{first.items[k - 1].doc.id}-p{p}">[{k}¶{p}]</a>' in html
    cited = data["overview"]["developments"][0]["citations"][0]
    assert cited == {"item": k, "paragraph": p, "doc_id": first.items[k - 1].doc.id}
    # the digest JSON reads back into the same digest (a stored one keeps no paragraphs)
    back = json.loads(json.dumps(Digest.from_dict(data, topic).to_dict(), ensure_ascii=False))
    assert back == {**data, "items": [{**i, "n_paragraphs": 0} for i in data["items"]]}

    second = run_topic(store, topic)
    assert second.summarized == 0
    assert not any(i.new for i in second.items)
    assert second.overview == first.overview  # reused from the stored run
    runs = store.runs(topic.name)
    assert [len(r.new_items) for r in runs] == [0, len(first.items)]
    assert (store.run(runs[0].id).digest or {})["overview"] == data["overview"]


def test_topic_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nqueries = ["稀土"]\nmax_itemz = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: max_itemz"):
        load_topic(bad)
    bad.write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="queries"):
        load_topic(bad)


def test_watch_once_logs_a_failing_topic_and_runs_the_others(tmp_path: Path, store: Store) -> None:
    good = load_topic(topic_file(tmp_path))
    broken = good.model_copy(update={"name": "broken", "backend": "no-such-backend"})
    logs: list[str] = []
    watch(lambda: Unclosed(store), [broken, good], log=logs.append, once=True)
    assert any(line.startswith("broken: failed") for line in logs)
    assert any(line.startswith("高性能稀土永磁体:") and "items" in line for line in logs)


@pytest.mark.slow
def test_example_topic_over_all_corpora(corpora_store: tuple[Store, Any], tmp_path: Path) -> None:
    store, _ = corpora_store
    topic = load_topic(EXAMPLE).model_copy(update={"sources": [], "max_items": 20})
    items = select(store, topic)
    assert len(items) == 20

    def substantive(text: str) -> bool:
        return sum(text.count(w) for w in ("稀土", "永磁", "钕铁硼")) >= 2

    assert sum(substantive(d.title + d.text) for d, _, _ in items) >= 18
    assert any("稀土管理条例" in d.title for d, _, _ in items)
    topic = topic.model_copy(
        update={"backend": "extractive", "outputs": Outputs(folder=str(tmp_path))}
    )
    run_topic(store, topic)
    again = run_topic(store, topic)
    assert again.summarized == 0
    assert not any(i.new for i in again.items)


@pytest.fixture
def paired_llm(chat_server: ChatServer) -> ChatServer:
    """The chat server answering requests in pairs.

    Each request waits (up to 2 s) for another one, so two topics run in two
    threads stay in step, the way ``serve`` runs topics side by side. It echoes
    the sentence it is asked to rewrite and says YES to every judge question.
    """
    partner = threading.Barrier(2)

    def paired(body: dict[str, Any]) -> dict[str, object]:
        with contextlib.suppress(threading.BrokenBarrierError):
            partner.wait(2)
        if partner.broken:
            partner.reset()
        asked = re.search(r"(?:Key sentence|Sentence): (.*)", body["messages"][-1]["content"])
        echo = asked.group(1) if asked else "稀土。"
        return {"core": echo, "point": echo, "heading": "稀土", "answer": "YES"}

    chat_server.answer = paired
    return chat_server


def test_two_topics_with_their_own_models_in_one_process_keep_them(
    tmp_path: Path, paired_llm: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each topic's briefs come from its own model, also while another topic runs."""
    from newsdesk.store import open_store

    monkeypatch.setenv("NEWSDESK_OPENAI_BASE_URL", paired_llm.url)
    monkeypatch.setenv("NEWSDESK_HTTP_RETRIES", "0")
    db = str(tmp_path / "two.db")
    store = open_store(db)
    ingest([str(ROOT / "examples/demo/articles.jsonl")], store, IngestOptions(embed=False))
    store.close()
    base = load_topic(topic_file(tmp_path, backend="openai"))
    topics = [
        base.model_copy(
            update={
                "name": f"topic-{m}",
                "model": f"model-{m}",
                "sources": [],
                "max_items": 3,
                "language": "zh",
                "overview": False,
                "alerts": [],
                "outputs": Outputs(folder=str(tmp_path / m), formats=["json"]),
            }
        )
        for m in ("a", "b")
    ]
    digests: dict[str, Any] = {}
    failures: list[BaseException] = []

    def run(topic: Any) -> None:
        s = open_store(db)
        try:
            digests[topic.name] = run_topic(s, topic)
        except BaseException as e:
            failures.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in topics]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures
    for topic in topics:
        items = digests[topic.name].items
        assert len(items) >= 2
        assert [(i.summary.backend, i.summary.model) for i in items] == [
            ("openai", topic.model)
        ] * len(items)
    assert {r["model"] for r in paired_llm.requests} == {"model-a", "model-b"}
    assert "NEWSDESK_OPENAI_MODEL" not in os.environ
