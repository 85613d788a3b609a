"""The store overview page renders in a real browser, accessibly and without console errors."""

import pytest

pytestmark = pytest.mark.browser


def test_overview_shows_the_store_counts(live, page):
    tenants = live.app.extensions["varshare"].tenants
    tenants.add("Genome Lab", "lab")
    tenants.add("Second Lab", "lab")
    page.goto(live.url + "/")
    assert page.title().startswith("Store overview")
    assert page.get_by_role("heading", level=1).inner_text() == "Store overview"
    assert page.get_by_test_id("submitter-count").inner_text() == "2"
    assert page.get_by_test_id("store-version").inner_text() == "2"
    assert page.get_by_test_id("variant-count").inner_text() == "0"
    # The stylesheet is served by the app itself (nothing from the internet) and applied.
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    page.screenshot(path=str(page.screenshot_dir / "overview.png"), full_page=True)
