"""The web app in a real browser: Playwright driving Debian's chromium, headless.

The setup installs chromium and fonts-wqy-microhei with apt when they are
missing (scripts/install-browser.sh). Screenshots go to a temporary folder, so
a test run rewrites no tracked file; ``NEWSDESK_SCREENSHOTS=docs/screenshots``
(``make screenshots``) writes the ones the README shows.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsdesk.web import create_app
from tests.conftest import ROOT, DemoSite

CHROMIUM = Path("/usr/bin/chromium")
# Read when the module loads: the autouse fixture clears NEWSDESK_* for each test.
ASKED = os.environ.get("NEWSDESK_SCREENSHOTS")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists() or not shutil.which("fc-list"):
        done = subprocess.run(
            ["sh", str(ROOT / "scripts" / "install-browser.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"chromium is missing and could not be installed: {done.stderr.strip()}")
    return CHROMIUM


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: NEWSDESK_SCREENSHOTS (relative to the checkout), else a temp folder."""
    folder = ROOT / ASKED if ASKED else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(demo_site: DemoSite) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(demo_site.db, demo_site.topics, "browser-token")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()
    assert not dialogs, f"a page ran script from article text: {dialogs}"


def test_click_a_citation_and_see_the_paragraph_highlighted(
    page: Any, server: str, demo_site: DemoSite, shots: Path
) -> None:
    page.goto(f"{server}/topics/{demo_site.topic}")
    assert page.locator("h1").inner_text() == "高性能稀土永磁体"
    page.screenshot(path=str(shots / "digest.png"), full_page=False)
    cite = page.locator("article.item").first.locator("p.brief a.cite").first
    n = int(cite.inner_text().strip("[]"))
    cite.click()
    page.wait_for_url(f"**/documents/**#p{n}")
    target = page.locator(f"#p{n}")
    assert "cited" in (target.get_attribute("class") or "")
    background = target.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 239, 158)"  # the highlight colour
    assert page.locator("aside.claim").is_visible()
    top = target.evaluate("e => e.getBoundingClientRect().top")
    assert 0 <= top < 900  # scrolled into view
    page.screenshot(path=str(shots / "article.png"))


def test_screenshots_stay_out_of_the_checkout_unless_asked(shots: Path) -> None:
    if ASKED:
        pytest.skip("NEWSDESK_SCREENSHOTS names where they go")
    assert ROOT not in shots.parents
    assert not (ROOT / "docs" / "screenshots").samefile(shots)


def test_live_search_in_chinese_and_english(page: Any, server: str, shots: Path) -> None:
    page.goto(f"{server}/search")
    page.locator("#q").press_sequentially("稀土永磁", delay=30)
    page.wait_for_selector("li.hit")  # results as you type, no submit
    first = page.locator("li.hit").first.inner_text()
    assert "稀土" in first
    assert page.locator("li.hit mark").count() > 0
    page.screenshot(path=str(shots / "search-zh.png"))
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("rare earth magnets", delay=10)
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('q') === 'rare earth magnets'"
    )
    page.wait_for_selector("li.hit")
    assert page.locator("li.hit").count() >= 1
    page.screenshot(path=str(shots / "search-en.png"))


def test_on_a_phone_the_digest_fits_and_chinese_renders(
    browser: Any, server: str, demo_site: DemoSite, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    pg = context.new_page()
    pg.goto(f"{server}/topics/{demo_site.topic}")
    overflow = pg.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    assert pg.evaluate("() => document.fonts.check('16px \"WenQuanYi Micro Hei\"', '稀土')")
    pg.screenshot(path=str(shots / "phone.png"))
    context.close()


def test_hostile_article_text_runs_nothing(page: Any, server: str) -> None:
    page.goto(f"{server}/search?q=稀土永磁体出口新规")
    page.wait_for_selector("li.hit")
    page.locator("li.hit a.title").first.click()
    page.wait_for_selector("section.paragraphs")
    assert "<script>" in page.locator("h1").inner_text()  # shown as text
    page.wait_for_timeout(300)  # an onerror handler would have fired by now


def test_the_content_security_policy_blocks_nothing_of_the_app(page: Any, server: str) -> None:
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{server}/topics")
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily")  # style.css applied
    page.goto(f"{server}/search")
    page.locator("#q").press_sequentially("稀土", delay=30)
    page.wait_for_selector("li.hit")  # app.js ran and fetched the results
    page.locator("li.hit a.title").first.click()
    page.wait_for_selector("section.paragraphs")
    assert not blocked, blocked


def test_the_stories_per_day_chart_renders_without_console_errors(
    page: Any, server: str, demo_site: DemoSite
) -> None:
    import json
    import re

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    digest_json = next((demo_site.topics.parent / "digests").glob("*.json"))
    timeline = json.loads(digest_json.read_text(encoding="utf-8"))["timeline"]
    html_digest = digest_json.with_suffix(".html")
    for url in (f"{server}/topics/{demo_site.topic}", html_digest.as_uri()):
        page.goto(url)
        chart = page.locator("figure.timeline svg")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 50
        days = chart.locator("g.day")
        assert days.count() == len(timeline["days"])
        bars = sum(len([n for n in d["by_source"].values() if n]) for d in timeline["days"])
        assert chart.locator("g.day rect:not(.spike)").count() == bars
        markup = chart.evaluate("e => e.outerHTML")
        assert not re.search(r"\son\w+=", markup)  # no inline handlers: fine under a strict CSP
        assert "<script" not in markup
    assert errors == []
