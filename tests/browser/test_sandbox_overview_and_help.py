"""The seeded sandbox's overview (counts, conflicts, latest changes, releases, links to the sandbox pages) and its
integration guide, in a real browser."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.sandbox.demo_tenants import DEMO_TENANTS
from app.sandbox.world import build_world

pytestmark = pytest.mark.browser


def test_the_overview_shows_counts_latest_changes_and_releases(sandbox_live, page):
    page.goto(sandbox_live.url + "/")
    assert int(page.get_by_test_id("variant-count").inner_text()) >= len(build_world().variants)
    assert int(page.get_by_test_id("conflict-count").inner_text()) >= 5
    assert int(page.get_by_test_id("submitter-count").inner_text()) == len(DEMO_TENANTS)
    changes = page.get_by_test_id("latest-changes").locator("tbody tr")
    assert changes.count() == 15
    versions = [int(text.split()[0]) for text in changes.locator("td:first-child").all_inner_texts()]
    assert versions == sorted(versions, reverse=True)
    assert versions[0] <= int(page.get_by_test_id("store-version").inner_text())
    releases = page.get_by_test_id("releases").locator("tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in releases] == ["sandbox-2025-06", "sandbox-2023-06"]
    assert "variant_summary.tsv" in releases[0]
    nav = page.get_by_role("navigation", name="Sandbox")
    assert nav.get_by_role("link", name="Overview").get_attribute("aria-current") == "page"
    page.screenshot(path=str(page.screenshot_dir / "sandbox-overview.png"), full_page=True)

    first = changes.first.get_by_role("link")
    key = first.locator("code").inner_text()
    first.click()
    assert page.get_by_test_id("variant-key").inner_text() == key
    page.go_back()
    page.get_by_role("link", name="Try CDS Hooks").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Try the CDS Hooks services"


def test_the_integration_guide_lists_endpoints_credentials_and_the_public_sandbox(sandbox_live, page):
    page.goto(sandbox_live.url + "/sandbox/help")
    assert page.title().startswith("Integration guide")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    for expected in ("Endpoints", "Credentials", "Submit a report", "Call the CDS Hooks services",
                     "Send card feedback", "Use the public CDS Hooks Sandbox", "Reset the sandbox"):
        assert expected in headings
    credentials = page.get_by_test_id("credentials").locator("tbody tr").all_inner_texts()
    assert len(credentials) == len(DEMO_TENANTS)
    assert "vs_demo_reader_PUBLIC_DEMO_TOKEN" in "\n".join(credentials)
    endpoints = page.get_by_test_id("endpoints").inner_text()
    for service_id in ("genomic-variant-review", "genetic-test-order-select", "genetic-test-order-sign"):
        assert f"{sandbox_live.url}/cds-services/{service_id}" in endpoints
    text = page.locator("main").inner_text()
    assert "varshare sandbox --reset" in text and f"{sandbox_live.url}/sandbox/token" in text
    link = urlsplit(page.get_by_test_id("public-sandbox-link").get_attribute("href"))
    query = parse_qs(link.query)
    assert link.netloc == "sandbox.cds-hooks.org"
    assert query["serviceDiscoveryURL"] == [f"{sandbox_live.url}/cds-services"]
    assert query["fhirServiceUrl"] == [f"{sandbox_live.url}/sandbox/fhir"]
    page.screenshot(path=str(page.screenshot_dir / "sandbox-help.png"), full_page=True)
