"""`make demo`: ingest the project's own demo corpus offline, search it, brief one article.

The RSS feed is served over HTTP from a local folder on 127.0.0.1, so the demo
exercises the real fetch path (conditional GET included) without the internet.
The topic's alerts go to a webhook receiver the demo starts on 127.0.0.1; a
new version of one article and a repost of another then show a change set.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = HERE / "demo"
HOME = ROOT / ".demo"
NEWSDESK = [sys.executable, "-m", "newsdesk.cli"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


RECEIVED: list[dict[str, object]] = []


class AlertReceiver(BaseHTTPRequestHandler):
    """A local webhook endpoint: takes the alerts the example topic fires."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        RECEIVED.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def update_and_repost() -> list[str]:
    """A new version of one demo article (same URL) and a repost of another, as JSONL."""
    articles = [json.loads(line) for line in (DEMO / "articles.jsonl").open(encoding="utf-8")]
    first = next(a for a in articles if a["id"] == "demo-001")
    paragraphs = list(first["paragraphs"])
    paragraphs[4] = paragraphs[4].rstrip("。") + "，其中多数已在四十五个工作日内办结。"
    paragraphs.append("发言人补充说，商务部将于下月公布两用物项出口许可的统计数据。")
    updated = {**first, "paragraphs": paragraphs}
    prices = next(a for a in articles if a["id"] == "demo-002")
    repost = {**prices, "id": "demo-002-repost", "source": "人民网", "url": None}
    path = HOME / "second-day.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (updated, repost)),
        encoding="utf-8",
    )
    return [str(path)]


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
    hook = ThreadingHTTPServer(("127.0.0.1", 0), AlertReceiver)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    # The example topic's alerts go to the channel "demo": this local receiver.
    os.environ["NEWSDESK_CHANNEL_DEMO"] = f"http://127.0.0.1:{hook.server_address[1]}/alerts"
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
        topic = str(HERE / "rare-earth-magnets.toml")
        run("run", topic)
        print(f"\nThe local webhook receiver got {len(RECEIVED)} alert(s); the first:", flush=True)
        if RECEIVED:
            a = RECEIVED[0]
            print(
                f"  [{a['rule']}] {a['reason']}\n  {a['title']}\n  {a['source_display']}"
                f" · {a['published_at']}\n  {a['brief']}\n  {a['url']}",
                flush=True,
            )
        run("alerts")
        print(
            "\nThe next day: a new version of one article (same URL, one paragraph changed,"
            "\none added) and a repost of another arrive; the second run's change set:",
            flush=True,
        )
        run("ingest", *update_and_repost())
        run("run", topic, echo=False)
        run("runs", topic, "--changes")
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
        hook.shutdown()


if __name__ == "__main__":
    main()
