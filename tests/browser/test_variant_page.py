"""The variant page in a real browser: aggregate with stars, conflict banner, submitters and timeline."""

import pytest
import requests

from tests.api.fhir_client import post
from tests.api.lab_bundles import BRCA1_A, lab_report

pytestmark = pytest.mark.browser


def test_variant_page_shows_a_conflict_at_a_glance(live, page):
    tenants = live.app.extensions["varshare"].tenants
    for name, term in (("Lab A", "P"), ("Lab B", "LP"), ("Lab C", "VUS")):
        token = tenants.add(name, "lab")[1]
        response = post(live, "/fhir/Bundle", lab_report([(BRCA1_A, term)], report_id=f"{name}-1"), token)
        assert response.status_code == 201
    [item] = live.app.extensions["varshare"].variants.search(BRCA1_A.key).items
    page.goto(f"{live.url}/variants/{item['id']}")
    assert page.get_by_test_id("variant-key").inner_text() == BRCA1_A.key
    assert page.get_by_test_id("classification").inner_text() == "Conflicting classifications of pathogenicity"
    banner = page.get_by_test_id("conflict-banner")
    assert banner.is_visible() and "Likely pathogenic(1)" in banner.inner_text()
    rows = page.get_by_test_id("submitters").locator("tbody tr")
    assert rows.count() == 3
    assert "Lab C" in rows.nth(2).inner_text() and "Uncertain significance" in rows.nth(2).inner_text()
    timeline = page.get_by_test_id("timeline").locator("li")
    assert timeline.count() == 3 and "Conflicting" in timeline.first.inner_text()
    page.screenshot(path=str(page.screenshot_dir / "variant.png"), full_page=True)
    assert requests.get(f"{live.url}/variants/does-not-exist", timeout=10).status_code == 404
