"""Alerts end to end against real servers on 127.0.0.1: every channel, retries, the outbox."""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import json
import os
import signal
import ssl
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest

from newsdesk.alerts import deliver_pending, load_channels
from newsdesk.model import Alert, Document
from newsdesk.store import open_store
from newsdesk.store.base import Store
from newsdesk.timeline import is_spike, make_timeline
from newsdesk.workflow import load_topic, run_topic
from tests.alert_helpers import ARTICLES, write_jsonl, write_topic

ROOT = Path(__file__).resolve().parent.parent

# What each incoming-webhook format answers when it takes a message.
OK_BODY = {
    "webhook": b"{}",
    "slack": b"ok",
    "feishu": b'{"code": 0, "msg": "success"}',
    "dingtalk": b'{"errcode": 0, "errmsg": "ok"}',
    "wecom": b'{"errcode": 0, "errmsg": "ok"}',
}


@dataclass
class Receiver:
    """Webhook endpoints on 127.0.0.1: /<kind> answers as that service does."""

    base: str
    fail: dict[str, int] = field(default_factory=dict)  # path -> answers of 503 still to give
    got: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)

    def bodies(self, path: str) -> list[Any]:
        return [b for p, _, b in self.got if urlsplit(p).path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state.fail.get(path, 0) > 0:
                state.fail[path] -= 1
                self.send_error(503)
                return
            state.got.append((self.path, dict(self.headers), json.loads(body)))
            answer = OK_BODY.get(path.strip("/").split("-")[0], b"{}")
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_ALERT_BACKOFF", "0.01")
    monkeypatch.setenv("NEWSDESK_ALERT_TIMEOUT", "5")
    monkeypatch.setenv("NEWSDESK_PUBLIC_URL", "http://127.0.0.1:8123")


def channels_toml(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "channels.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.setenv("NEWSDESK_CHANNELS", str(path))


ALERT = Alert(
    key="高性能稀土永磁体|export controls|story-1",  # not ASCII: headers must carry a hash
    topic="高性能稀土永磁体",
    rule="export controls",
    reason="new story; matches '稀土 出口管制' at 1.00 >= 0.80",
    title="稀土永磁体出口管制新规发布",
    source_display="Xin Hua She",
    published_at="2025-12-20T09:00:00+08:00",
    brief="Core Viewpoint - New export rules for rare-earth magnets were issued [1].",
    citations=(1,),
    url="http://127.0.0.1:8123/documents/2c7fd401224522a1",
    doc_id="2c7fd401224522a1",
)


def test_every_webhook_format_reaches_its_endpoint(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels_toml(
        tmp_path,
        f"""
        [hook]
        type = "webhook"
        url = "{receiver.base}/webhook"
        [slack]
        url = "{receiver.base}/slack"
        [feishu]
        url = "{receiver.base}/feishu"
        secret_env = "TEST_FEISHU_SECRET"
        [dingtalk]
        url = "{receiver.base}/dingtalk?access_token=t"
        secret = "SECdemo"
        """,
        monkeypatch,
    )
    monkeypatch.setenv("TEST_FEISHU_SECRET", "feishu-secret")
    monkeypatch.setenv("NEWSDESK_CHANNEL_WECOM", f"{receiver.base}/wecom")
    store = open_store(str(tmp_path / "t.db"))
    names = ["hook", "slack", "feishu", "dingtalk", "wecom"]
    assert store.enqueue_alerts([(ALERT, n) for n in names]) == 5
    assert store.enqueue_alerts([(ALERT, n) for n in names]) == 0  # the same alert never twice
    report = deliver_pending(store)
    assert report.summary() == "5 sent, 0 to retry, 0 failed"
    [hook] = receiver.bodies("/webhook")
    assert hook["title"] == ALERT.title
    assert hook["source_display"] == "Xin Hua She"
    assert hook["brief"] == ALERT.brief
    assert hook["citations"] == [1]
    assert hook["url"].startswith("http://127.0.0.1:8123/documents/")
    idem = next(h for p, h, _ in receiver.got if p == "/webhook")["Idempotency-Key"]
    assert idem == hashlib.sha256(ALERT.key.encode()).hexdigest()[:32]  # headers are ASCII
    [slack] = receiver.bodies("/slack")
    assert ALERT.title in slack["text"]
    assert "2025-12-20 09:00" in slack["text"]
    [feishu] = receiver.bodies("/feishu")
    assert feishu["msg_type"] == "text"
    assert ALERT.url in feishu["content"]["text"]
    key = f"{feishu['timestamp']}\nfeishu-secret".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu["sign"] == expected
    [ding] = receiver.bodies("/dingtalk")
    assert ding["msgtype"] == "markdown"
    assert ALERT.brief in ding["markdown"]["text"]
    path = next(p for p, _, _ in receiver.got if p.startswith("/dingtalk"))
    query = parse_qs(urlsplit(path).query)
    mac = hmac.new(b"SECdemo", f"{query['timestamp'][0]}\nSECdemo".encode(), hashlib.sha256)
    assert query["sign"][0] == base64.b64encode(mac.digest()).decode()
    [wecom] = receiver.bodies("/wecom")
    assert ALERT.title in wecom["markdown"]["content"]
    assert {d.status for d in store.deliveries()} == {"sent"}
    assert deliver_pending(store).summary() == "0 sent, 0 to retry, 0 failed"
    store.close()


def test_endpoint_fails_then_recovers_and_a_dead_one_stops_nothing(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels_toml(
        tmp_path,
        f"""
        [flaky]
        type = "webhook"
        url = "{receiver.base}/webhook-flaky"
        [dead]
        type = "slack"
        url = "{receiver.base}/slack-dead"
        [good]
        type = "wecom"
        url = "{receiver.base}/wecom-good"
        """,
        monkeypatch,
    )
    receiver.fail = {"/webhook-flaky": 2, "/slack-dead": 1000}
    store = open_store(str(tmp_path / "t.db"))
    store.enqueue_alerts([(ALERT, n) for n in ("flaky", "dead", "good", "nowhere")])
    report = deliver_pending(store)
    assert len(receiver.bodies("/webhook-flaky")) == 1  # 503, 503, then taken: once
    assert len(receiver.bodies("/wecom-good")) == 1
    assert {d.channel for d, _ in report.retrying} == {"dead", "nowhere"}
    log = {d.channel: d for d in store.deliveries()}
    assert log["dead"].status == "pending"
    assert "HTTP 503" in log["dead"].error
    assert "no channel 'nowhere' is configured" in log["nowhere"].error
    assert log["flaky"].status == "sent"
    # the dead endpoint recovers; the next pass (once its retry is due) sends it once
    receiver.fail = {}
    assert deliver_pending(store).sent == []  # not due yet
    later = datetime.now().timestamp() + 3600
    assert [d.channel for d in deliver_pending(store, now=later).sent] == ["dead"]
    assert len(receiver.bodies("/slack-dead")) == 1
    assert deliver_pending(store, now=later + 7200).sent == []
    assert len(receiver.bodies("/webhook-flaky")) == 1
    # after the configured number of passes an undeliverable alert is marked failed
    monkeypatch.setenv("NEWSDESK_ALERT_MAX_ATTEMPTS", "2")
    assert [d.channel for d, _ in deliver_pending(store, now=later * 2).failed] == ["nowhere"]
    assert store.deliveries("failed")[0].channel == "nowhere"
    assert store.retry_failed() == 1
    assert store.deliveries("pending")[0].channel == "nowhere"
    store.close()


SMTP_USER, SMTP_PASSWORD = "newsdesk", "s3cret"


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[bytes]]]:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS (self-signed certificate) and AUTH."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        return AuthResult(success=ok)

    import socket

    with socket.socket() as probe:  # a free port: the controller checks it by connecting
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield port, cert, received
    finally:
        controller.stop()


def test_email_over_smtp_with_starttls_and_auth(
    tmp_path: Path, smtp_server: tuple[int, Path, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert, received = smtp_server
    channels_toml(
        tmp_path,
        f"""
        [email]
        host = "127.0.0.1"
        port = {port}
        ca_file = "{cert}"
        username = "{SMTP_USER}"
        password_env = "TEST_SMTP_PASSWORD"
        from = "newsdesk@127.0.0.1"
        to = ["analyst@127.0.0.1"]
        [email-badpass]
        type = "email"
        host = "127.0.0.1"
        port = {port}
        ca_file = "{cert}"
        username = "{SMTP_USER}"
        password = "wrong"
        from = "newsdesk@127.0.0.1"
        to = "analyst@127.0.0.1"
        """,
        monkeypatch,
    )
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("NEWSDESK_ALERT_RETRIES", "0")
    monkeypatch.setenv("NEWSDESK_ALERT_TIMEOUT", "2")
    channels, problems = load_channels()
    assert set(channels) == {"email", "email-badpass"}
    assert problems == {}
    store = open_store(str(tmp_path / "t.db"))
    store.enqueue_alerts([(ALERT, "email"), (ALERT, "email-badpass")])
    report = deliver_pending(store)
    assert [d.channel for d in report.sent] == ["email"]
    [(refused, error)] = report.retrying  # authentication refused: kept for a retry
    assert refused.channel == "email-badpass"
    assert error.startswith("SMTP 127.0.0.1")
    [raw] = received
    msg = message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == f"[newsdesk] export controls: {ALERT.title}"
    body = msg.get_body().get_content()  # type: ignore[union-attr]
    assert ALERT.brief in body
    assert ALERT.url in body
    assert "Xin Hua She" in body
    store.close()


def test_a_missing_secret_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels_toml(tmp_path, '[ops]\ntype = "feishu"\nurl_env = "NOT_SET_ANYWHERE"\n', monkeypatch)
    channels, problems = load_channels()
    assert channels == {}
    assert "NOT_SET_ANYWHERE" in problems["ops"]


ALERT_RULES = """
[[alerts]]
name = "export controls"
when = { query = "稀土 出口管制", min_relevance = 0.8, terms = ["审批"] }
to = ["hook"]

[[alerts]]
name = "two sources"
when = { query = "稀土 价格", min_sources = 2 }
to = ["hook"]
"""

KILLED_RUN = """
import os, signal, sys
import newsdesk.workflow as wf
from newsdesk.store import open_store

def killed(store, progress=None):
    os.kill(os.getpid(), signal.SIGKILL)  # the process dies between the run and delivery

wf.deliver_alerts = killed
store = open_store(sys.argv[1])
wf.run_topic(store, wf.load_topic(sys.argv[2]))
"""


def test_killed_between_run_and_delivery_the_restart_delivers_once(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    channels_toml(
        tmp_path, f'[hook]\ntype = "webhook"\nurl = "{receiver.base}/webhook"\n', monkeypatch
    )
    topic_path = write_topic(tmp_path, ALERT_RULES)
    write_jsonl(tmp_path / "corpus" / "wire.jsonl", ARTICLES)
    db = str(tmp_path / "t.db")
    script = tmp_path / "killed.py"
    script.write_text(KILLED_RUN, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), db, str(topic_path)], check=False)
    assert done.returncode == -signal.SIGKILL
    assert receiver.got == []
    store = open_store(db)
    pending = store.deliveries("pending")
    # only the article that mentions 审批 at relevance >= 0.8; no story has 2 sources
    assert [d.alert.title for d in pending] == [ARTICLES[0]["title"]]
    assert store.runs("magnets")[0].status == "ok"  # the run was recorded before the kill
    store.close()

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cli = [sys.executable, "-m", "newsdesk.cli", "alerts", "--db", db]
    subprocess.run([*cli, "--send"], check=True, env=env, capture_output=True)
    assert [b["title"] for b in receiver.bodies("/webhook")] == [ARTICLES[0]["title"]]
    alert = receiver.bodies("/webhook")[0]
    assert alert["source_display"] == "Xin Hua She"
    assert alert["published_at"].startswith("2025-12-20T09:00")
    assert alert["citations"]
    assert "[" in alert["brief"]
    assert alert["url"] == f"http://127.0.0.1:8123/documents/{alert['doc_id']}"
    assert "relevance" not in alert["reason"] or "0.8" in alert["reason"]

    # runs after the restart: nothing is sent twice, and a repost from a second source fires
    # the two-sources rule for that story (once)
    store = open_store(db)
    run_topic(store, load_topic(topic_path))
    assert len(receiver.bodies("/webhook")) == 1
    repost = {**ARTICLES[1], "id": "b2", "url": "https://example.invalid/b2", "source": "搜狐财经"}
    write_jsonl(tmp_path / "corpus" / "reposts.jsonl", [repost])
    again = run_topic(store, load_topic(topic_path))
    store.close()
    assert again.alerts == []  # the story is not new or updated: coverage grew, no alert
    listing = subprocess.run(
        [*cli, "--json"], check=True, env=env, capture_output=True, text=True
    ).stdout
    assert [(d["status"], d["alert"]["rule"]) for d in json.loads(listing)] == [
        ("sent", "export controls")
    ]


def _doc(n: int, day: date, source: str = "Xin Hua She") -> Document:
    when = datetime(day.year, day.month, day.day, 9, 0)
    return Document(f"d{n}", f"t{n}", ("p",), source, source, when, "zh", None, when)


def test_a_spike_is_found_on_a_burst_and_not_on_a_flat_series() -> None:
    start = date(2025, 11, 1)
    flat = [_doc(i * 10 + j, start + timedelta(days=i)) for i in range(30) for j in range(2)]
    counts = Counter(d.published_at.date() for d in flat)  # type: ignore[union-attr]
    assert not any(is_spike(counts, start + timedelta(days=i), 3.0, 14) for i in range(30))
    burst_day = start + timedelta(days=30)
    burst = flat + [_doc(1000 + j, burst_day, "Cai Xin Wang") for j in range(9)]
    counts = Counter(d.published_at.date() for d in burst)  # type: ignore[union-attr]
    assert is_spike(counts, burst_day, 3.0, 14)
    timeline = make_timeline(burst, 31, 3.0, 14)
    assert [d.day for d in timeline.days if d.spike] == [burst_day.isoformat()]
    assert timeline.days[-1].stories == 9
    assert timeline.days[-1].by_source == {"Cai Xin Wang": 9}
    assert sum(d.stories for d in timeline.days) == len(burst)
    flat_line = make_timeline(flat, 30, 3.0, 14)
    assert not any(d.spike for d in flat_line.days)
    # noise around a mean of 2 (1-3 a day, past its first full window) is no spike; k matters
    noisy = [
        _doc(5000 + i * 10 + j, start + timedelta(days=i))
        for i in range(20)
        for j in range(1 + i % 3)
    ]
    counts = Counter(d.published_at.date() for d in noisy)  # type: ignore[union-attr]
    assert not any(is_spike(counts, start + timedelta(days=i), 3.0, 14) for i in range(14, 20))
    assert any(is_spike(counts, start + timedelta(days=i), 0.5, 14) for i in range(14, 20))


def test_the_atom_feed_reads_back_with_the_same_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from newsdesk.web.app import create_app

    topics = tmp_path / "topics"
    topics.mkdir()
    topic_path = write_topic(topics)
    write_jsonl(topics / "corpus" / "wire.jsonl", ARTICLES)
    db = str(tmp_path / "t.db")
    store: Store = open_store(db)
    digest = run_topic(store, load_topic(topic_path))
    store.close()
    on_disk = feedparser.parse((topics / "out" / "magnets.atom").read_text(encoding="utf-8"))
    client = TestClient(create_app(db, topics, "tok"))
    response = client.get("/topics/topic/feed.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    served = feedparser.parse(response.text)
    from newsdesk.render import summary_text

    for feed in (on_disk, served):
        assert not feed.bozo, feed.bozo_exception
        assert feed.version == "atom10"
        assert feed.feed.title == "magnets"
        assert [e.title for e in feed.entries] == [i.doc.title for i in digest.items]
        assert [e.summary for e in feed.entries] == [summary_text(i.summary) for i in digest.items]
        assert [e.author for e in feed.entries] == [i.doc.source_display for i in digest.items]
        assert [e.link for e in feed.entries] == [
            f"http://127.0.0.1:8123/documents/{i.doc.id}" for i in digest.items
        ]
        assert len({e.id for e in feed.entries}) == len(digest.items)
    assert served.feed.link == "http://127.0.0.1:8123/topics/topic"
    timeline = client.get("/api/topics/topic/timeline").json()
    assert sum(d["stories"] for d in timeline["days"]) == len(ARTICLES)
    changes = client.get(f"/api/runs/{digest.run_id}/changes").json()
    assert len(changes["new"]) == len(ARTICLES)
    page = client.get("/topics/topic").text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert "/feed.xml" in page


def test_outbox_on_every_store(store: Store) -> None:
    assert store.enqueue_alerts([(ALERT, "a"), (ALERT, "b"), (ALERT, "a")]) == 2
    now = datetime.now().timestamp()
    claimed = store.claim_alerts(now, lease=60)
    assert [d.channel for d in claimed] == ["a", "b"]
    assert store.claim_alerts(now, lease=60) == []  # held by the first sender
    store.record_delivery(claimed[0].id, "sent", "", now)
    store.record_delivery(claimed[1].id, "failed", "HTTP 500", now)
    log = {d.channel: d for d in store.deliveries()}
    assert log["a"].status == "sent"
    assert log["a"].sent_at
    assert log["a"].attempts == 1
    assert log["b"].error == "HTTP 500"
    assert log["b"].alert == ALERT
    assert store.retry_failed() == 1
    assert [d.channel for d in store.claim_alerts(now, lease=60)] == ["b"]
    assert store.current_versions(["missing"]) == {"missing": "missing"}


def test_a_spike_rule_fires_on_the_burst_day_and_not_on_a_flat_topic(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from newsdesk.alerts.conditions import evaluate
    from newsdesk.model import ChangeSet, Claim, Summary, Verdict
    from newsdesk.workflow import parse_topic

    topic = parse_topic(
        'name = "t"\nqueries = ["x"]\n[[alerts]]\nname = "spike"\n'
        'when = { spike = { k = 3.0, window_days = 14 } }\nto = ["hook"]\n',
        tmp_path / "t.toml",
    )
    start = date(2025, 11, 1)
    flat = [_doc(i * 10 + j, start + timedelta(days=i)) for i in range(30) for j in range(2)]
    burst_day = start + timedelta(days=30)
    burst = [_doc(1000 + j, burst_day, "Cai Xin Wang") for j in range(9)]
    store = open_store(str(tmp_path / "t.db"))

    def items(docs: list[Document]) -> list[Any]:
        newest = sorted(docs, key=lambda d: d.published_at or datetime.min, reverse=True)
        claim = Claim("A claim", (1,), Verdict.SUPPORTED)
        summary = Summary(newest[0].id, claim, (), "en", "extractive", "-", "1", datetime.now())
        return [SimpleNamespace(doc=d, summary=summary, story=d.id) for d in newest[:5]]

    none = ChangeSet(2, 1)
    fired = evaluate(store, topic, items(flat + burst), none, flat + burst)
    [(alert, channels)] = fired
    assert channels == ["hook"]
    assert alert.key == f"t|spike|spike:{burst_day}"
    assert alert.reason.startswith(f"spike: 9 stories on {burst_day}")
    assert alert.brief == "Core Viewpoint - A claim [1]."
    assert alert.source_display == "Cai Xin Wang"
    assert evaluate(store, topic, items(flat), none, flat) == []
    store.close()
