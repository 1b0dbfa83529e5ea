"""Running and looking after newsdesk: ``migrate``, ``serve``, ``settings`` and ``plugins``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newsdesk import config, plugins
from newsdesk.cli import common
from newsdesk.cli.common import err, out
from newsdesk.errors import NewsdeskError
from newsdesk.store.copy import copy_store


def migrate_cmd(
    source: Annotated[str, typer.Option("--from", help="Store to copy: a path or URL.")],
    target: Annotated[str, typer.Option("--to", help="Empty store to fill: a path or URL.")],
    as_json: common.JsonOption = False,
) -> None:
    """Copy a whole store (documents, index, clusters, summaries, runs) and verify the counts."""
    src, dst = common.store(source), common.store(target)
    try:
        with common.stage("copy") as update:
            counts = copy_store(src, dst, lambda table, n: update(n, None))
    finally:
        src.close()
        dst.close()
    if as_json:
        common.print_json({t: {"source": a, "target": b} for t, (a, b) in counts.items()})
        return
    for table, (a, b) in counts.items():
        out.print(f"{table}: {a} -> {b}", markup=False)
    out.print("every table matches", markup=False)


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to bind (another needs NEWSDESK_TOKEN).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    db: common.DbOption = None,
    topics: Annotated[
        Path | None, typer.Option(help="Topic files folder (default NEWSDESK_TOPICS).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Worker processes, one per core (NEWSDESK_SERVE_WORKERS)."
        ),
    ] = None,
) -> None:
    """The web app and REST API: digests with clickable citations, live search, runs."""
    import secrets

    import uvicorn

    from newsdesk.web.security import is_loopback

    token = config.get("token")
    if not is_loopback(host) and not token:
        raise NewsdeskError(
            f"binding to {host} exposes newsdesk beyond this machine: set NEWSDESK_TOKEN first"
        )
    n = workers or config.get_int("serve_workers")
    opened = common.store(db)  # applies the migrations once, before any worker opens it
    location = opened.location
    opened.close()
    folder = (topics or config.topics_folder()).expanduser()
    # Every worker builds its app from the settings: the same store, topics and token.
    os.environ["NEWSDESK_DB"] = db or config.default_db()
    os.environ["NEWSDESK_TOPICS"] = str(folder)
    os.environ["NEWSDESK_TOKEN"] = token or secrets.token_urlsafe(18)
    # One BLAS thread per worker: workers are one per core, and a second BLAS
    # thread only fights them (the vector scan took 16 ms with 2, 10 ms with 1, loaded).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    err.print(
        f"newsdesk at {url}/topics · store {location} · topics {folder} · {n} worker(s)",
        markup=False,
        soft_wrap=True,
    )
    if not token:
        made = os.environ["NEWSDESK_TOKEN"]
        err.print(
            f"writes (run now, topic edits) need this session's token: open "
            f"{url}/login?token={made} once, or send 'Authorization: Bearer {made}'",
            markup=False,
            soft_wrap=True,
        )
    uvicorn.run(
        "newsdesk.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=n,
        log_level="warning",
        # In-flight requests end within the grace (their budgets stop them), then exit.
        timeout_graceful_shutdown=max(1, round(config.get_float("serve_grace"))) + 1,
        # The supervisor kills a worker that misses a 5 s health ping (uvicorn's
        # default); on a loaded 2-core machine a starting worker missed it and was
        # restarted mid-load, and the ping held up SIGTERM. A hung worker still dies.
        timeout_worker_healthcheck=30,
    )
    # Served and shut down: leave without finalizing the heap, which took 20 s
    # of garbage collection on a loaded 2-core machine (SIGTERM must exit in seconds).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def settings_cmd(as_json: common.JsonOption = False) -> None:
    """Every setting: environment variable, value in force, default and help."""
    rows = [
        {
            "name": s.name,
            "env": s.env,
            "value": config.get(s.name),
            "default": s.default,
            "help": s.help,
        }
        for s in config.SETTINGS
    ]
    if as_json:
        common.print_json(rows)
        return
    table = Table(box=None)
    for col in ("env", "value", "help"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["env"], r["value"], r["help"])
    out.print(table)


def plugins_cmd(as_json: common.JsonOption = False) -> None:
    """What is registered, by kind: stores, summary backends, embedders, segmenters, channels."""
    found = plugins.registered()
    if as_json:
        common.print_json(found)
        return
    for kind, names in found.items():
        out.print(f"{kind}: {', '.join(names) or '(none)'}", markup=False)


def register(group: typer.Typer) -> None:
    """Add these commands to ``group``, in the order its help lists them."""
    group.command("migrate")(migrate_cmd)
    group.command("serve")(serve_cmd)
    group.command("settings")(settings_cmd)
    group.command("plugins")(plugins_cmd)
