"""`make demo`: ingest the project's own demo corpus offline, search it, brief one article.

The RSS feed is served over HTTP from a local folder on 127.0.0.1, so the demo
exercises the real fetch path (conditional GET included) without the internet.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = HERE / "demo"
HOME = ROOT / ".demo"
NEWSDESK = [sys.executable, "-m", "newsdesk.cli"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def run(*args: str, echo: bool = True) -> str:
    if echo:
        print(f"\n$ newsdesk {' '.join(args)}", flush=True)
    done = subprocess.run([*NEWSDESK, *args], stdout=subprocess.PIPE, text=True, check=False)
    if echo:
        sys.stdout.write(done.stdout)
        sys.stdout.flush()
    if done.returncode not in (0, 1):
        sys.exit(done.returncode)
    return done.stdout


def main() -> None:
    # A fresh store each time; the assembled model (1.1 GB) is kept between runs.
    HOME.mkdir(exist_ok=True)
    for entry in HOME.iterdir():
        if entry.name != "models":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    os.environ["NEWSDESK_HOME"] = str(HOME)
    os.environ.pop("NEWSDESK_DB", None)
    handler = functools.partial(QuietHandler, directory=str(DEMO / "feed"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed = f"http://127.0.0.1:{server.server_address[1]}/rss.xml"
    inputs = [
        str(DEMO / "articles.jsonl"),
        str(DEMO / "pages"),
        str(DEMO / "notes-magnet-recycling.md"),
        feed,
    ]
    try:
        run("ingest", *inputs)
        run("list")
        first = json.loads(run("list", "--json", "--limit", "1", echo=False))[0]["id"]
        run("show", first)
        run("search", "rare earth export controls", "--limit", "3")
        print(
            "\nThe example topic end to end: pull its sources, keep one copy of each story,"
            "\nsearch, brief every story with the bundled model and verify each citation"
            "\n(about a minute per story on 2 cores; progress on stderr):",
            flush=True,
        )
        run("run", str(HERE / "rare-earth-magnets.toml"))
        print("\nIngesting the same inputs again stores nothing new:", flush=True)
        run("ingest", *inputs)
        run("stats")
        print(f"\nDigests (text, Markdown, HTML, JSON) in {HOME / 'digests'}", flush=True)
        print(
            "Read it in a browser, citations clickable: `make serve`, then open"
            " http://127.0.0.1:8000/topics/rare-earth-magnets",
            flush=True,
        )
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
