"""The store: the single source of truth. ``open_store`` picks the backend by URL."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from newsdesk import config
from newsdesk.errors import ConfigError
from newsdesk.store.base import DocumentFilter, Store

__all__ = ["DocumentFilter", "Store", "open_store"]


def _registry() -> dict[str, Callable[[str], Store]]:
    """Store backends by scheme, from the ``newsdesk.stores`` entry-point group."""
    from newsdesk.store.sqlite import SQLiteStore

    found: dict[str, Callable[[str], Store]] = {"sqlite": SQLiteStore}
    for ep in entry_points(group="newsdesk.stores"):
        if ep.name not in found:
            found[ep.name] = ep.load()
    return found


def open_store(db: str | None = None) -> Store:
    """Open the store at ``db`` (a path or URL; default: the ``db`` setting)."""
    target = db or config.default_db()
    scheme = target.split("://", 1)[0] if "://" in target else "sqlite"
    if scheme in ("postgresql", "postgres"):
        scheme = "postgresql"
    backends = _registry()
    if scheme not in backends:
        known = ", ".join(sorted(backends))
        raise ConfigError(f"--db {target}: no store backend for '{scheme}://' (known: {known})")
    return backends[scheme](target)
