"""The command line: a thin layer over the public API.

Data goes to stdout (one JSON document with --json); progress and messages go
to stderr. Exit status: 0 ok, 1 some items failed, 2 a usage or setup error.

The commands live in modules by area (``ingest``: ingest, index, dedup;
``documents``: show, list, stats, search; ``briefs``: summarize and topics;
``evals``: ``newsdesk eval``; ``admin``: migrate, serve, settings, plugins),
each with a ``register`` that adds them to ``app`` below, in the order
``newsdesk --help`` lists them; what they share is in ``common``.
"""

from __future__ import annotations

import sqlite3
import sys

from rich.markup import escape

from newsdesk import config
from newsdesk.cli import admin, briefs, documents, evals, ingest
from newsdesk.cli.common import app, err, out
from newsdesk.errors import NewsdeskError
from newsdesk.runs import Interrupted, Terminated, stop_on_signals

__all__ = ["app", "err", "main", "out"]

for area in (ingest, documents, briefs, evals, admin):
    area.register(app)


def main() -> None:
    """Entry point: run the CLI, turning errors of setup and environment into clear messages.

    Exit status 2 for a newsdesk error (a bad option, model file or store), a
    damaged database, or an operating-system error (a full disk, a missing
    permission); 143 after SIGTERM and 130 after Ctrl-C, which first give a
    running run its final status.
    """
    try:
        with stop_on_signals():
            app()
    except (Interrupted, Terminated) as e:
        err.print("interrupted" if isinstance(e, Interrupted) else "stopped by SIGTERM")
        raise
    except NewsdeskError as e:
        _fail(str(e))
    except sqlite3.DatabaseError as e:
        _fail(f"the store {_db_named()} is damaged or not a newsdesk database: {e}")
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        _fail(f"{where}{e.strerror or e}")
    except Exception as e:
        if not type(e).__module__.startswith("psycopg"):
            raise  # a bug: its traceback is what a report needs
        _fail(f"the PostgreSQL store failed: {e}")


def _db_named() -> str:
    """The store the command line names (--db, --from or --to), or the default one."""
    args = sys.argv[1:]
    named = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--db", "--from", "--to")]
    named += [a.split("=", 1)[1] for a in args if a.startswith(("--db=", "--from=", "--to="))]
    return " or ".join(named) or config.default_db()


def _fail(message: str) -> None:
    err.print(f"[red]error[/red] {escape(message)}", markup=True, highlight=False)
    sys.exit(2)
