"""One plugin registry for every kind of extension newsdesk has.

Each kind is an entry-point group, ``newsdesk.<kind>``: stores (by URL
scheme), llms (summary backends), embedders, segmenters, channels (alert
delivery) and formats (digest files). The built-ins register in the project's own ``pyproject.toml``
exactly as a third-party package would in its own::

    [project.entry-points."newsdesk.embedders"]
    my-embedder = "my_package.embed:MyEmbedder"

The module that uses a kind owns its registry (``LLMS`` in
``summarize.backends``, ``STORES`` in ``store``, ...), typed by what a factory
returns, so this module imports nothing of newsdesk's and no import cycle can
run through it. ``register`` adds a factory in-process (tests, notebooks).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from threading import Lock
from typing import Generic, TypeVar

from newsdesk.errors import ConfigError

__all__ = ["KINDS", "Registry", "registered"]

F = TypeVar("F", bound=Callable[..., object])

# kind -> what one of them is called in messages.
KINDS: dict[str, str] = {
    "stores": "store backend",
    "llms": "summary backend",
    "embedders": "embedder",
    "segmenters": "segmenter",
    "channels": "alert channel",
    "formats": "output format",
}


class Registry(Generic[F]):
    """The factories of one kind, by name: entry points first, then ``register``."""

    def __init__(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown plugin kind {kind!r} (known: {', '.join(KINDS)})")
        self.kind = kind
        self.group = f"newsdesk.{kind}"
        self._points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, F] = {}
        self._added: dict[str, F] = {}
        self._lock = Lock()

    def _entry_points(self) -> dict[str, EntryPoint]:
        with self._lock:
            if self._points is None:
                points: dict[str, EntryPoint] = {}
                for ep in entry_points(group=self.group):
                    points.setdefault(ep.name, ep)
                self._points = points
            return self._points

    def register(self, name: str, factory: F) -> None:
        """Add (or replace) ``name`` in this process only."""
        self._added[name] = factory

    def unregister(self, name: str) -> None:
        """Take back what ``register`` added under ``name``."""
        self._added.pop(name, None)

    def names(self) -> list[str]:
        return sorted({*self._entry_points(), *self._added})

    def get(self, name: str, *, what: str | None = None) -> F:
        """The factory registered under ``name``; a ConfigError naming the known ones if none.

        Only the plugin asked for is imported, so a broken one fails alone, by name.
        """
        if name in self._added:
            return self._added[name]
        if name in self._loaded:
            return self._loaded[name]
        points = self._entry_points()
        label = what or KINDS[self.kind]
        if name in points:
            ep = points[name]
            try:
                factory: F = ep.load()
            except Exception as e:  # a third party's import error, reported by name
                raise ConfigError(
                    f"{label} {name!r} ({ep.value}, entry point in {self.group}) "
                    f"cannot be loaded: {type(e).__name__}: {e}"
                ) from e
            self._loaded[name] = factory
            return factory
        if not points and not self._added:
            raise ConfigError(
                f"no {label} named {name!r}: no {self.group} entry points are installed "
                "(is newsdesk installed? run `make install`)"
            )
        raise ConfigError(f"no {label} named {name!r} (known: {', '.join(self.names())})")


def registered() -> dict[str, list[str]]:
    """Every installed plugin name, by kind (``newsdesk plugins``)."""
    return {
        kind: sorted({ep.name for ep in entry_points(group=f"newsdesk.{kind}")}) for kind in KINDS
    }
