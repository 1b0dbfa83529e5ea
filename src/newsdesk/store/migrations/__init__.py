"""Schema versions: named, append-only migrations, one list per backend.

Both backends write them the same way: ``MIGRATIONS``, a list of
``Migration(name, scripts)`` in the order they run; each runs once, in a
transaction, and is recorded by name in ``_migrations``. Never change what a
shipped one does, rename or reorder it: add a new one at the end.

- ``migrations/sqlite.py``: the SQLite schema (FTS5 index, vector blobs, the
  change log a server's vector cache reads) and how SQLite applies it.
- ``migrations/postgres.py``: the PostgreSQL schema (tsvector index, pgvector)
  and how PostgreSQL applies it.
- ``migrations/tables.py``: the tables both hold, written once, in each
  backend's types.

The names of the versions differ between the backends (they grew apart) and
stay as they are, so every existing store opens and migrates.

(Copying a whole store to another is ``store/copy.py``.)
"""

from __future__ import annotations

from dataclasses import dataclass

from newsdesk.store.migrations.tables import TYPES

__all__ = ["Migration", "schema"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema version: its recorded name and its SQL scripts (in ``TYPES`` placeholders)."""

    name: str
    scripts: tuple[str, ...]

    def sql(self, backend: str) -> str:
        """The scripts in ``backend``'s types and table options."""
        return "".join(s.format(**TYPES[backend]) for s in self.scripts)


def schema(*steps: tuple[str, tuple[str, ...]]) -> list[Migration]:
    """The migrations of one backend from (name, scripts) pairs, names checked unique."""
    out = [Migration(name, scripts) for name, scripts in steps]
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ValueError(f"migration names repeat: {names}")
    return out
