"""The sandbox's hooks page in a real browser: a patient-view call through the real HTTP path and JWT verification
renders the critical reclassification card with a working variant link; an order-select call renders the
duplicate-order card with its suggestion, and accepting it sends feedback."""

from __future__ import annotations

import base64
import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _unlabelled_controls(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter((c) => c.type !== 'hidden' && c.labels.length === 0 && !c.closest('fieldset'))
        .map((c) => c.id || c.name)""")


def _request_mentions(page, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('request-body').value.includes(t)", arg=text)


def test_patient_view_renders_the_critical_reclassification_card(sandbox_live, page):
    page.goto(f"{sandbox_live.url}/sandbox")
    assert page.get_by_role("heading", level=1).inner_text() == "Try the CDS Hooks services"
    assert _unlabelled_controls(page) == []
    page.get_by_label("Patient", exact=True).select_option("hosp-008")  # MLH1: VUS -> LP by the expert panel
    _request_mentions(page, '"patientId": "hosp-008"')
    request_body = json.loads(page.get_by_label("Hook request (JSON, editable)").input_value())
    assert request_body["hook"] == "patient-view" and request_body["fhirServer"] == f"{sandbox_live.url}/sandbox/fhir"
    prefetch = request_body["prefetch"]
    assert prefetch["variants"]["total"] >= 1 and prefetch["patient"]["id"] == "hosp-008"
    assert "patient=hosp-008" in page.url

    with page.expect_request(lambda r: r.url.endswith("/cds-services/genomic-variant-review")) as sent:
        page.get_by_role("button", name="Send to varshare").click()
    authorization = sent.value.headers["authorization"]
    claims = _claims(authorization.removeprefix("Bearer "))
    assert claims["aud"] == f"{sandbox_live.url}/cds-services/genomic-variant-review"
    assert claims["iss"] == f"{sandbox_live.url}/sandbox" and claims["jti"]

    critical = page.locator("article.card.critical")
    critical.first.wait_for()
    assert critical.count() == 1
    assert critical.locator(".indicator").inner_text().lower() == "critical"  # a text label, not colour alone
    summary = critical.locator("h3").inner_text()
    assert summary.startswith("MLH1 ") and "now Likely pathogenic" in summary and "reported Uncertain" in summary
    assert "Shared classification now:" in critical.locator(".detail strong").first.inner_text()
    assert critical.locator(".detail table tbody tr").count() >= 2  # the per-submitter table, rendered
    assert critical.get_by_label("Dismiss because").locator("option").count() == 5
    assert page.get_by_test_id("timing").inner_text().startswith("HTTP 200 · ")
    assert '"cards"' in page.locator("#raw-response").inner_text()
    expect(page.locator("#status")).to_contain_text("cards from genomic-variant-review")
    page.screenshot(path=str(page.screenshot_dir / "sandbox-patient-view.png"), full_page=True)

    link = critical.get_by_role("link", name="Variant in varshare (classification history)")
    assert link.get_attribute("href").startswith(f"{sandbox_live.url}/variants/vs")
    with page.expect_popup() as popup_info:
        link.click()
    variant_page = popup_info.value
    variant_page.wait_for_load_state()
    assert variant_page.get_by_test_id("classification").inner_text() == "Likely pathogenic"
    assert "reviewed by expert panel" in variant_page.get_by_test_id("review-status").inner_text()
    variant_page.screenshot(path=str(page.screenshot_dir / "sandbox-variant-from-card.png"), full_page=True)

    page.get_by_label("Dismiss because").select_option(label="Already aware of this classification")
    page.get_by_role("button", name="Dismiss card").click()
    expect(critical.locator(".card-status")).to_contain_text("Feedback sent to varshare")


def test_order_select_shows_the_duplicate_order_card_and_its_suggestion(sandbox_live, page):
    page.goto(f"{sandbox_live.url}/sandbox?patient=hosp-001")
    page.get_by_label("Hook", exact=True).select_option("order-select")
    test_choice = page.get_by_label("Genetic test ordered")
    assert test_choice.is_visible()
    assert test_choice.locator("option:checked").inner_text().startswith("BRCA1 and BRCA2")  # the patient's draft
    _request_mentions(page, '"selections"')
    request_body = json.loads(page.get_by_label("Hook request (JSON, editable)").input_value())
    assert request_body["context"]["selections"] == ["ServiceRequest/hosp-001-o2"]
    assert request_body["context"]["draftOrders"]["entry"][0]["resource"]["status"] == "draft"
    assert page.locator("#endpoint").inner_text().endswith("/cds-services/genetic-test-order-select")

    page.get_by_role("button", name="Send to varshare").click()
    card = page.locator("article.card.warning")
    card.first.wait_for()
    assert card.locator("h3").inner_text() == "Earlier genetic results already cover BRCA1, BRCA2 (pathogenic finding)"
    assert card.locator(".indicator").inner_text().lower() == "warning"
    suggestion = card.get_by_role("button", name="Remove the duplicate draft order", exact=False)
    assert suggestion.is_visible()
    assert "delete ServiceRequest/hosp-001-o2" in card.locator(".actions-list").inner_text()
    assert card.get_by_role("link", name="Existing result: DiagnosticReport/hosp-001-r1").is_visible()
    page.screenshot(path=str(page.screenshot_dir / "sandbox-order-select.png"), full_page=True)

    suggestion.click()
    status = card.locator(".card-status")
    expect(status).to_contain_text("Feedback sent to varshare")
    assert "delete ServiceRequest/hosp-001-o2" in status.inner_text()
    assert suggestion.is_disabled()


def test_without_prefetch_varshare_queries_the_sandbox_ehr(sandbox_live, page):
    page.goto(f"{sandbox_live.url}/sandbox?patient=clin-006&hook=order-sign&test=hboc-panel")
    page.get_by_label("No prefetch", exact=False).check()
    _request_mentions(page, '"fhirAuthorization"')
    request_body = json.loads(page.get_by_label("Hook request (JSON, editable)").input_value())
    assert "prefetch" not in request_body and request_body["context"]["draftOrders"]["entry"]
    page.get_by_role("button", name="Send to varshare").click()
    card = page.locator("article.card")
    card.first.wait_for()
    assert "CHEK2" in card.first.locator("h3").inner_text()
    page.keyboard.press("Tab")  # the page stays keyboard-operable after rendering cards
    page.screenshot(path=str(page.screenshot_dir / "sandbox-order-sign-fhir-server.png"), full_page=True)
