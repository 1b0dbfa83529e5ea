"""Hostile stored data and hostile requests against the web app and the digest formats."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newsdesk import Document, document_id, render
from newsdesk.model import Claim, Group, Summary, Verdict
from newsdesk.store import open_store
from newsdesk.web import create_app
from newsdesk.workflow import Digest, Item, Topic
from tests.conftest import DemoSite

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BAD_URLS = [
    "javascript:alert(document.cookie)",
    " JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]
HOSTILE_TEXT = (
    "稀土<script>alert(1)</script><img src=x onerror=alert(2)><iframe src=//e.vil></iframe>"
)


def stored_doc(url: str, n: int) -> Document:
    title = f"稀土永磁 {n} {HOSTILE_TEXT} [click](javascript:alert(3))"
    paragraphs = (f"稀土永磁体出口管制第{n}段。{HOSTILE_TEXT}",)
    return Document(
        id=document_id("来源", title, paragraphs),
        title=title,
        paragraphs=paragraphs,
        source="来源",
        source_display="Lai Yuan",
        published_at=datetime(2025, 12, 26, 9, 30, tzinfo=UTC),
        language="zh",
        url=url,
        fetched_at=datetime(2025, 12, 28, tzinfo=UTC),
    )


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[tuple[TestClient, list[Document]]]:
    """A store holding documents with unsafe URLs, as an older version may have stored them."""
    db = str(tmp_path / "old.db")
    docs = [stored_doc(u, i) for i, u in enumerate([*BAD_URLS, "https://example.com/a?b=1"])]
    store = open_store(db)
    store.add_many([(d, None) for d in docs])
    store.close()
    with TestClient(create_app(db, tmp_path / "topics", TOKEN)) as client:
        yield client, docs


def digest_of(docs: list[Document]) -> Digest:
    def claim(text: str) -> Claim:
        return Claim(text, (1,), Verdict.SUPPORTED)

    items = [
        Item(
            d,
            Summary(
                d.id,
                claim(HOSTILE_TEXT + " [x](javascript:alert(4))"),
                (Group(HOSTILE_TEXT, (claim(HOSTILE_TEXT),)),),
                "en",
                "extractive",
                "none",
                "v",
                datetime(2025, 12, 28, tzinfo=UTC),
            ),
            1.0,
        )
        for d in docs
    ]
    topic = Topic.model_validate({"name": "稀土", "description": HOSTILE_TEXT, "queries": ["稀土"]})
    return Digest(topic, 1, items, datetime(2025, 12, 28, tzinfo=UTC))


def test_only_http_links_become_clickable_on_the_article_page(
    hostile: tuple[TestClient, list[Document]],
) -> None:
    client, docs = hostile
    for doc in docs[:-1]:
        page = client.get(f"/documents/{doc.id}").text
        hrefs = re.findall(r'href="([^"]*)"', page)
        assert all(h.startswith(("/", "#")) for h in hrefs), (doc.url, hrefs)
        assert ">original</a>" not in page
    safe = client.get(f"/documents/{docs[-1].id}").text
    assert (
        '<a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow">original</a>'
        in (safe.replace("&amp;", "&"))
    )


def test_no_digest_format_links_an_unsafe_url_or_carries_raw_html(
    hostile: tuple[TestClient, list[Document]],
) -> None:
    _, docs = hostile
    digest = digest_of(docs)
    md = render.digest_markdown(digest)
    for raw in ("<script", "<img", "<iframe"):
        assert raw not in md, raw
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # no Markdown link of its own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "\\[click\\](javascript:alert(3))" in md  # shown as text, not a link
    assert "[1]" in md  # the citation markers stay as they are
    html = render.digest_html(digest)
    assert "<script" not in html
    assert "<iframe" not in html
    assert not re.search(r'(href|src)="\s*(javascript|data|vbscript)', html, re.IGNORECASE)
    assert "Content-Security-Policy" in html  # opened from disk, it runs no script either
    text = render.digest_text(digest)
    assert HOSTILE_TEXT in text  # plain text is not HTML: shown as it is


def test_every_response_carries_the_content_security_policy(
    hostile: tuple[TestClient, list[Document]],
) -> None:
    client, docs = hostile
    for path in ("/topics", f"/documents/{docs[0].id}", "/search?q=稀土", "/runs", "/nowhere"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    api = client.get("/api/documents")
    assert api.headers["x-content-type-options"] == "nosniff"
    refused = client.post("/api/runs", json={"topic": "x"})
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert "cdn.jsdelivr.net" in client.get("/docs").headers["content-security-policy"]


@pytest.fixture
def client(demo_site: DemoSite, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(demo_site.db, tmp_path / "topics", TOKEN)) as c:
        yield c


def test_a_write_without_the_token_is_refused_before_its_body_is_read(client: TestClient) -> None:
    for method, path, kw in [
        ("POST", "/api/runs", {"json": {}}),
        (
            "POST",
            "/api/runs",
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        ),
        ("POST", "/api/topics", {"json": {"name": 1}}),
        ("PUT", "/api/topics/x", {}),
        ("POST", "/api/summaries", {"json": {"doc_id": ["no"]}}),
        ("DELETE", "/api/topics/nope", {}),
    ]:
        r = client.request(method, path, **kw)  # type: ignore[arg-type]
        assert r.status_code == 401, (method, path, r.text)
        assert "needs the token" in r.json()["error"]
    wrong = client.post("/api/runs", json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert client.post("/api/runs", json={}, headers=AUTH).status_code == 422  # then validated


TOPIC = 'name = "t"\nqueries = ["稀土"]\n'


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('[outputs]\nfolder = "/tmp/elsewhere"\n', "outputs.folder"),
        ('[outputs]\nfolder = "../../elsewhere"\n', "outputs.folder"),
        ('[outputs]\nfolder = "digests/../../x"\n', "outputs.folder"),
        ('model = "/etc/passwd"\n', "model"),
        ('model = "../models/x.gguf"\n', "model"),
        ('model = "x.GGUF"\n', "model"),
        ('backend = "local"\nmodel = "bundled"\n', "model"),
    ],
)
def test_api_topics_write_inside_the_topics_folder_and_name_no_model_file(
    client: TestClient, extra: str, problem: str
) -> None:
    toml = TOPIC.replace("[outputs]", "") + extra
    r = client.put("/api/topics/t", content=toml, headers=AUTH)
    assert r.status_code == 400, r.text
    assert r.json()["error"].startswith(problem)
    assert client.get("/api/topics/t").status_code == 404  # nothing written


def test_api_topics_may_keep_digests_inside_and_name_a_server_model(client: TestClient) -> None:
    toml = TOPIC + 'backend = "openai"\nmodel = "Qwen/Qwen2.5-7B-Instruct"\n'
    toml += '[outputs]\nfolder = "digests/today"\n'
    assert client.put("/api/topics/t", content=toml, headers=AUTH).status_code == 200
    assert client.delete("/api/topics/t", headers=AUTH).status_code == 204


def test_a_topic_name_ending_in_a_newline_is_refused(client: TestClient) -> None:
    for name in ("t%0A", "t%0D%0A", "t%0A%0A"):
        r = client.put(f"/api/topics/{name}", content=TOPIC, headers=AUTH)
        assert r.status_code == 400, name
        assert "bad topic name" in r.json()["error"]


def test_ids_and_offsets_past_64_bits_are_422_with_a_message(client: TestClient) -> None:
    for path in (f"/api/runs/{2**63}", f"/api/runs/{2**70}", "/api/runs/0"):
        r = client.get(path)
        assert r.status_code == 422, path
        assert "run_id" in r.json()["error"]
    r = client.get("/api/documents", params={"offset": 2**64})
    assert r.status_code == 422
    assert "offset" in r.json()["error"]
    assert client.get(f"/api/runs/{2**63 - 1}").status_code == 404


def test_runs_filter_by_the_topic_file_name_as_post_takes_it(
    client: TestClient, demo_site: DemoSite
) -> None:
    web = TestClient(create_app(demo_site.db, demo_site.topics, TOKEN))
    by_file = web.get("/api/runs", params={"topic": demo_site.topic}).json()
    assert by_file
    assert {r["topic"] for r in by_file} == {"高性能稀土永磁体"}
    by_name = web.get("/api/runs", params={"topic": "高性能稀土永磁体"}).json()
    assert by_name == by_file  # the TOML name still works
    page = web.get("/runs", params={"topic": demo_site.topic}).text
    assert page.count("<tr>") >= len(by_file)


def test_cached_briefs_show_no_internal_field(client: TestClient) -> None:
    doc_id = client.get("/api/documents", params={"limit": 1}).json()[0]["id"]
    params = {"backend": "extractive", "language": "en"}
    assert client.post("/api/summaries", json={"doc_id": doc_id, **params}, headers=AUTH).is_success
    cached = client.get(f"/api/summaries/{doc_id}", params=params).json()
    assert cached["core_viewpoint"]
    assert "cache_language" not in cached
