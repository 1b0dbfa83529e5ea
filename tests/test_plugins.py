"""One plugin registry: every kind loads its built-ins from entry points, and a
third party registers the same way (here in-process, as a test or notebook would)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from newsdesk import plugins
from newsdesk.errors import ConfigError
from newsdesk.formats import FORMATS
from newsdesk.model import Digest
from newsdesk.store import Store
from newsdesk.text.embed import USEEmbedder
from newsdesk.workflow import load_topic, run_topic
from tests.test_workflow import topic_file


def test_every_kind_has_its_built_ins_from_entry_points() -> None:
    found = plugins.registered()
    assert set(found) == set(plugins.KINDS)
    assert {"sqlite", "postgresql"} <= set(found["stores"])
    assert {"local", "openai", "extractive"} <= set(found["llms"])
    assert {"text", "md", "html", "json", "atom"} <= set(found["formats"])
    assert {"webhook", "slack", "email"} <= set(found["channels"])


def test_an_unknown_name_is_an_error_that_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"no output format named 'pdf' \(known: atom, html"):
        FORMATS.get("pdf")
    with pytest.raises(ValueError, match="unknown plugin kind"):
        plugins.Registry("widgets")


def test_a_broken_plugin_fails_alone_and_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    group = "newsdesk.embedders"
    points = [
        EntryPoint("broken", "no_such_package.embed:Embedder", group),
        EntryPoint("fine", "newsdesk.text.embed:USEEmbedder", group),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: points)
    registry: plugins.Registry[Callable[[], object]] = plugins.Registry("embedders")
    assert registry.names() == ["broken", "fine"]
    assert registry.get("fine") is USEEmbedder
    with pytest.raises(ConfigError, match=r"embedder 'broken' \(no_such_package.embed:Embedder, "):
        registry.get("broken")


class CountDigest:
    """A third-party format: one line, the number of stories."""

    extension: ClassVar[str] = "count"

    def render(self, digest: Digest) -> str:
        return f"{len(digest.items)} stories\n"


def test_a_registered_output_format_is_written_by_a_topic_run(tmp_path: Path, store: Store) -> None:
    FORMATS.register("count", CountDigest)
    try:
        assert "count" in FORMATS.names()
        path = topic_file(tmp_path)
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                'formats = ["text", "md", "html", "json", "atom"]', 'formats = ["count", "json"]'
            ),
            encoding="utf-8",
        )
        topic = load_topic(path)
        digest = run_topic(store, topic)
        written = sorted(p.name for p in (tmp_path / "out").iterdir())
        assert written == [f"{topic.name}.count", f"{topic.name}.json"]
        text = (tmp_path / "out" / f"{topic.name}.count").read_text(encoding="utf-8")
        assert text == f"{len(digest.items)} stories\n"
    finally:
        FORMATS.unregister("count")
    assert "count" not in FORMATS.names()
    with pytest.raises(ConfigError, match=r"outputs\.formats takes"):
        load_topic(path)
