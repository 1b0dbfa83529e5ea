"""The REST API and pages, in-process (the browser tests are in test_browser.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsdesk.web import create_app
from tests.conftest import HOSTILE, DemoSite

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(demo_site: DemoSite) -> Iterator[TestClient]:
    with TestClient(create_app(demo_site.db, demo_site.topics, TOKEN)) as c:
        yield c


def hostile_id(client: TestClient) -> str:
    docs = client.get("/api/documents", params={"source": "测试来源"}).json()
    assert len(docs) == 1
    return str(docs[0]["id"])


def test_documents_list_and_get_with_numbered_paragraphs(client: TestClient) -> None:
    docs = client.get("/api/documents", params={"limit": 5}).json()
    assert 1 <= len(docs) <= 5
    doc = client.get(f"/api/documents/{docs[0]['id']}").json()
    assert doc["paragraphs"][0]["n"] == 1
    assert doc["n_paragraphs"] == len(doc["paragraphs"])
    missing = client.get("/api/documents/ffffffffffff")
    assert missing.status_code == 404
    assert "newsdesk list" in missing.json()["error"]


def test_search_in_chinese_and_english(client: TestClient) -> None:
    zh = client.get("/api/search", params={"q": "稀土永磁体"}).json()
    assert zh
    assert "稀土" in zh[0]["title"] + zh[0]["snippet"]
    en = client.get("/api/search", params={"q": "rare earth magnets"}).json()
    assert en
    assert client.get("/api/search", params={"q": "稀土", "sort": "sideways"}).status_code == 422
    assert "q" in client.get("/api/search").json()["error"]


def test_topics_runs_and_the_digest_page(client: TestClient, demo_site: DemoSite) -> None:
    topics = client.get("/api/topics").json()
    assert [t["name"] for t in topics] == [demo_site.topic]
    topic = client.get(f"/api/topics/{demo_site.topic}").json()
    assert topic["topic"]["name"] == "高性能稀土永磁体"
    run = client.get(f"/api/runs/{topic['runs'][0]['id']}").json()
    items = run["digest"]["items"]
    assert items
    page = client.get(f"/topics/{demo_site.topic}").text
    assert "高性能稀土永磁体" in page
    assert "Key developments" in page
    first = items[0]
    n = first["summary"]["core_viewpoint"]["citations"][0]
    assert f"/documents/{first['id']}?cite={n}&amp;claim=" in page
    # the citation opens the article at that paragraph, highlighted, with the claim
    article = client.get(f"/documents/{first['id']}", params={"cite": str(n), "claim": "X"}).text
    assert re.search(rf'<p id="p{n}" class="para cited">', article)
    assert '<aside class="claim"' in article


def test_article_text_is_escaped_everywhere(client: TestClient, demo_site: DemoSite) -> None:
    doc_id = hostile_id(client)
    pages = [
        client.get(f"/documents/{doc_id}", params={"claim": "<script>alert(2)</script>"}).text,
        client.get("/search", params={"q": "稀土永磁体出口新规"}).text,
        client.get("/search", params={"q": "稀土永磁体出口新规", "partial": "1"}).text,
        client.get(f"/topics/{demo_site.topic}").text,
        client.get(f"/stories/{client.get(f'/api/documents/{doc_id}').json()['cluster_id']}").text,
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in pages[0]
    assert "onerror=alert(1)&gt;" in pages[0]  # shown as text, not an attribute
    assert HOSTILE["id"]  # the hostile article is in the store under its own id


def test_writes_need_the_token(client: TestClient) -> None:
    body = {"topic": "rare-earth-magnets"}
    assert client.post("/api/runs", json=body).status_code == 401
    wrong = client.post("/api/runs", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert "token" in wrong.json()["error"]
    # the login cookie alone is not enough (a cross-site form could send it) ...
    client.get("/login", params={"token": TOKEN}, follow_redirects=False)
    put = client.put("/api/topics/x", content='name = "x"\nqueries = ["稀土"]\n')
    assert put.status_code == 401
    # ... with the header a page of another site cannot send, it is
    ok = client.put(
        "/api/topics/x", content='name = "x"\nqueries = ["稀土"]\n', headers={"X-Newsdesk": "1"}
    )
    assert ok.status_code == 200
    assert client.delete("/api/topics/x", headers=AUTH).status_code == 204


def test_topic_files_stay_inside_the_topics_folder(client: TestClient) -> None:
    for name in ("../evil", "..", "a/b", ".hidden", "x" * 81):
        r = client.put(f"/api/topics/{name}", content='name = "e"\nqueries=["a"]\n', headers=AUTH)
        assert r.status_code in (400, 404, 405), name
    escape = client.put(
        "/api/topics/reader",
        content='name = "r"\nqueries = ["a"]\nsources = ["../../etc/passwd"]\n',
        headers=AUTH,
    )
    assert escape.status_code == 400
    assert "outside the topics folder" in escape.json()["error"]
    bad = client.post("/api/topics", json={"name": "bad", "toml": 'name = "b"\n'}, headers=AUTH)
    assert bad.status_code == 400
    assert "queries" in bad.json()["error"]  # the missing field is named


def test_request_bodies_are_limited(client: TestClient) -> None:
    huge = "#" * (300 * 1024)
    r = client.put("/api/topics/big", content=huge, headers=AUTH)
    assert r.status_code == 413
    assert "bytes" in r.json()["error"]


def test_run_now_reports_progress_and_the_digest(client: TestClient, demo_site: DemoSite) -> None:
    started = client.post("/api/runs", json={"topic": demo_site.topic}, headers=AUTH)
    assert started.status_code == 202
    url = started.json()["url"]
    run: dict[str, Any] = {}
    for _ in range(300):
        run = client.get(url).json()
        if run["status"] != "running":
            break
        assert run["progress"]["stage"]
        time.sleep(0.2)
    assert run["status"] == "ok", run
    assert run["new_items"] == []  # nothing new since the fixture's run
    assert run["digest"]["items"]
    assert client.get("/runs").status_code == 200
    assert client.post("/api/runs", json={"topic": "nope"}, headers=AUTH).status_code == 404


def test_summaries_get_and_create(client: TestClient) -> None:
    doc_id = hostile_id(client)
    params = {"backend": "extractive", "language": "zh"}
    missing = client.get(f"/api/summaries/{doc_id}", params=params)
    assert missing.status_code == 404
    assert "POST /api/summaries" in missing.json()["error"]
    made = client.post("/api/summaries", json={"doc_id": doc_id, **params}, headers=AUTH)
    assert made.status_code == 200
    assert made.json()["core_viewpoint"]["citations"]
    cached = client.get(f"/api/summaries/{doc_id}", params=params).json()
    assert cached["core_viewpoint"] == made.json()["core_viewpoint"]


def test_openapi_describes_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/documents/{doc_id}", "/api/search", "/api/topics", "/api/runs/{run_id}"):
        assert path in paths
    assert "/api/summaries" in paths


def test_serve_refuses_a_public_address_without_a_token() -> None:
    from typer.testing import CliRunner

    from newsdesk.cli import app

    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code != 0
    assert "NEWSDESK_TOKEN" in str(result.exception)
