"""The web app as a reader uses it: a real server on loopback, headless Chromium clicking through the sample
story. Screenshots land in test-artifacts/browser/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from storyline.web import create_app

from .conftest import ROOT, free_port, web_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def base_url(served_db: Path) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(web_settings(served_db)), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Chromium is needed: `apt-get install chromium` (make test installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_reader_follows_the_story_from_the_front_page_to_a_source_sentence(browser: Browser, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "/")
    expect(page.locator("h1")).to_have_text("Latest events")
    _shot(page, "front")
    page.get_by_role("link", name="China's Xi to Visit Russia on March 20-22, Kremlin Says").first.click()
    expect(page.locator("h1")).to_contain_text("Xi")

    summary = page.locator("#summary li").first
    expect(summary).to_contain_text("March 20")
    citation = summary.locator("details.cite").first
    source = citation.locator(".source")
    expect(source).to_be_hidden()
    citation.locator("summary").click()
    expect(source).to_be_visible()
    sentence = source.locator("q").inner_text()
    assert sentence.strip()

    matrix = page.locator("table.matrix")
    expect(matrix.locator("tbody tr")).not_to_have_count(0)
    outlets = matrix.locator("thead th.outlet").count()
    assert outlets >= 4  # four sample outlets and the fifth
    expect(page.locator("table.grid").get_by_text("Russian dictator")).to_be_visible()
    expect(page.locator("#timeline svg.axis circle").first).to_be_attached()
    expect(page.locator("#conflicts .side")).to_have_count(2)
    _shot(page, "event")

    # Keyboard: the timeline's first mark leads to its line.
    page.locator("#timeline svg.axis a").first.focus()
    page.keyboard.press("Enter")
    # The fragment changes once the browser has followed the link: waited for, not read at once (a race under load).
    expect(page).to_have_url(re.compile(r"#t0$"))

    citation.locator("a", has_text="in the article").click()
    target = page.locator(":target")
    expect(target).to_have_text(sentence)
    background = target.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # the cited sentence is highlighted
    _shot(page, "article")
    page.close()


def test_search_and_phone_layout(browser: Browser, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(base_url + "/")
    page.locator("#site-search").fill("Ushakov")
    page.locator("#site-search").press("Enter")
    expect(page.locator("mark").first).to_have_text("Ushakov")
    _shot(page, "search-phone")
    page.goto(base_url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than a phone
    page.locator(".cards a").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "event-phone")
    page.close()
