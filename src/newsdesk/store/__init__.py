"""The store: the single source of truth. ``open_store`` picks the backend by URL scheme.

Backends register in the ``newsdesk.stores`` entry-point group (``plugins.py``):
the built-ins ``sqlite`` (``store/sqlite.py``) and ``postgresql``
(``store/postgres.py``), both on the shared SQL of ``store/sql.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from newsdesk import config
from newsdesk.errors import ConfigError
from newsdesk.plugins import Registry
from newsdesk.store.base import DocumentFilter, Store

__all__ = ["STORES", "DocumentFilter", "Store", "open_store"]

# Store factories by URL scheme: each takes the path or URL it opens.
STORES: Registry[Callable[[str], Store]] = Registry("stores")


def open_store(db: str | None = None) -> Store:
    """Open the store at ``db`` (a path or URL; default: the ``db`` setting)."""
    target = db or config.default_db()
    scheme = target.split("://", 1)[0] if "://" in target else "sqlite"
    if scheme in ("postgresql", "postgres"):
        scheme = "postgresql"
    known = STORES.names()
    if scheme not in known:
        raise ConfigError(
            f"--db {target}: no store backend for '{scheme}://' (known: {', '.join(known)})"
        )
    return STORES.get(scheme)(target)
