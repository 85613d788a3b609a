"""Headless Chromium from the distribution's package, driven by Playwright for Python."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium is not installed: `make test` installs the distribution's package (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, tmp_path):
    """A fresh page that records console errors and page errors; asserts none happened."""
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    new_page.on("pageerror", lambda error: problems.append(str(error)))
    new_page.screenshot_dir = tmp_path
    yield new_page
    context.close()
    assert problems == [], f"JavaScript errors in the console: {problems}"


@pytest.fixture
def loose_page(browser, tmp_path):
    """A page whose console errors are returned instead of failing the test (for deliberate 4xx answers, which
    Chromium logs as "Failed to load resource"); uncaught JavaScript errors still fail it."""
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    new_page = context.new_page()
    console: list[str] = []
    page_errors: list[str] = []
    new_page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    new_page.on("pageerror", lambda error: page_errors.append(str(error)))
    new_page.screenshot_dir = tmp_path
    new_page.console_errors = console
    yield new_page
    context.close()
    assert page_errors == [], f"uncaught JavaScript errors: {page_errors}"
