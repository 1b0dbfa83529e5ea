"""A hostile HTTP server on 127.0.0.1, and a second local service it tries to reach.

It serves what a malicious or broken site would: feeds whose entries link
``file:`` URLs and private addresses, redirect loops, redirects to a private
address or a local file, a gzip bomb, oversized and slow (dribbling) pages,
429 and 5xx forever. Both servers log every request, so a test can assert that
nothing was fetched outside what was asked.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

# A marker that only the secret local file and the other service contain: it
# must never appear in the store.
SECRET = "绝密本地文件内容SECRET-7f3a"
GOOD_TEXT = [
    "商务部新闻发言人表示，中方对稀土永磁体相关物项依法实施出口管制。",
    "发言人介绍，商务部已依法审批了一批符合规定的出口申请，相关贸易正常进行。",
]


def page(title: str, paragraphs: list[str]) -> bytes:
    """A small HTML article."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{body}</article></body></html>"
    ).encode()


@cache
def gzip_bomb() -> bytes:
    """256 MiB of zeros in about 250 KB of gzip (built once per session)."""
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(c.compress(zeros) for _ in range(256)) + c.flush()


@cache
def gzip_bomb_members() -> bytes:
    """1 GiB of zeros as 1,024 gzip members of 1 MiB each (about 1 MB on the wire)."""
    return gzip.compress(bytes(1 << 20), 9) * 1024


Responder = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Served:
    """One listening server and the paths it was asked for."""

    base: str
    routes: dict[str, Responder] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


def _serve(served: Served, stop: threading.Event) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            served.log.append(self.path)
            route = served.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                route(self)

    Handler.stop = stop  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def send(
    status: int,
    body: bytes = b"",
    ctype: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> Responder:
    """A responder with a fixed answer."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if length:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return respond


def redirect(location: str, status: int = 302) -> Responder:
    """A redirect to ``location``."""
    return send(status, b"", headers={"Location": location})


def dribble(interval: float = 0.2) -> Responder:
    """A page that sends one byte per ``interval`` seconds until the client gives up."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.end_headers()
        h.wfile.write(b"<html><body><article><p>")
        h.wfile.flush()
        stop: threading.Event = h.stop  # type: ignore[attr-defined]
        while not stop.is_set():
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(interval)

    return respond


def stream_forever(chunk: bytes = b"<p>" + b"x" * 65536 + b"</p>") -> Responder:
    """An endless page with no Content-Length (close-delimited)."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.end_headers()
        stop: threading.Event = h.stop  # type: ignore[attr-defined]
        h.wfile.write(b"<html><body><article>")
        while not stop.is_set():
            h.wfile.write(chunk)

    return respond


@dataclass
class Hostile:
    """The hostile site and the other local service (``other``) it must not reach."""

    site: Served
    other: Served


def rss(items: list[tuple[str, str]], title: str = "恶意订阅") -> bytes:
    """A feed of teaser entries: (title, link) each."""
    entries = "".join(
        f"<item><title>{t}</title><link>{escape(link)}</link><description>短摘要</description>"
        "<pubDate>Wed, 24 Dec 2025 06:30:00 +0000</pubDate></item>"
        for t, link in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title>{entries}</channel></rss>"
    ).encode()


@dataclass
class Running:
    """Both servers, started; ``close`` stops them."""

    hostile: Hostile
    servers: list[ThreadingHTTPServer]
    stop: threading.Event

    def close(self) -> None:
        self.stop.set()
        for s in self.servers:
            s.shutdown()
            s.server_close()


def start() -> Running:
    """Start the hostile site and the other local service."""
    stop = threading.Event()
    site, other = Served(""), Served("")
    servers = [_serve(site, stop), _serve(other, stop)]
    other.routes["/secret"] = send(200, page("内部服务", [SECRET * 3, *GOOD_TEXT]))
    r = site.routes
    r["/good.html"] = send(200, page("稀土出口管制", GOOD_TEXT))
    r["/loop"] = redirect("/loop")
    r["/loop-a"] = redirect("/loop-b")
    r["/loop-b"] = redirect("/loop-a")
    r["/to-private"] = redirect(other.url("/secret"))
    r["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    r["/to-file"] = redirect("file:///etc/passwd")
    r["/to-good"] = redirect("/good.html", 301)
    r["/bomb"] = send(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})
    r["/bomb-members"] = send(200, gzip_bomb_members(), headers={"Content-Encoding": "gzip"})
    big = b"<html><body><article>" + b"<p>" + b"x" * (1 << 20) + b"</p>" + b"</article></body>"
    r["/big-declared"] = send(200, big * 20)  # 20 MiB with a Content-Length
    r["/big-stream"] = stream_forever()
    r["/slow"] = dribble()
    r["/429"] = send(429, b"slow down", headers={"Retry-After": "0"})
    r["/500"] = send(500, b"oops")
    return Running(Hostile(site, other), servers, stop)


def serving() -> Iterator[Hostile]:
    """The servers for a fixture: started, yielded, stopped."""
    running = start()
    try:
        yield running.hostile
    finally:
        running.close()
