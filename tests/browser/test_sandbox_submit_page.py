"""The sandbox's submit page in a real browser: an example report submitted as a demo lab shows its receipt, what
the store kept (and that the patient's identity was not), and the aggregate it turned into a conflict; a broken
bundle shows the OperationOutcome's issues."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from app.services.overview import store_overview

pytestmark = pytest.mark.browser


def test_submitting_an_example_report_shows_the_receipt_and_the_changed_aggregate(sandbox_live, page):
    version_before = store_overview(sandbox_live.app.extensions["varshare"].store).version
    page.goto(f"{sandbox_live.url}/sandbox/submit")
    assert page.get_by_role("heading", level=1).inner_text() == "Submit a report as a demo lab"
    page.get_by_label("Submit as").select_option("Demo Lab Beta")
    page.get_by_role("button", name="Load an example report").click()
    expect(page.locator("#status")).to_contain_text("Example report for Demo Lab Beta loaded")
    sent = json.loads(page.get_by_label("Bundle or resource (JSON)").input_value())
    assert sent["resourceType"] == "Bundle" and sent["type"] == "collection"
    patient = next(e["resource"] for e in sent["entry"] if e["resource"]["resourceType"] == "Patient")
    assert page.locator("#submit-endpoint").inner_text() == "/fhir/Bundle"

    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Stored (HTTP 201)")
    receipt = page.get_by_test_id("receipt")
    assert "Store version" in receipt.inner_text()
    receipt_variant = receipt.locator("table a").first
    assert receipt_variant.get_attribute("href").startswith("/variants/vs")

    changes = page.get_by_test_id("changes")
    expect(changes.locator("tbody tr").first).to_be_visible()
    variant_rows = changes.locator("tbody tr", has_text="variant (all conditions)")
    assert variant_rows.count() == 1
    row_text = variant_rows.first.inner_text()
    assert "Conflicting classifications of pathogenicity" in row_text and "submission" in row_text
    assert json.loads(page.locator("#raw-response").inner_text())["resourceType"] == "Parameters"

    stored = page.get_by_test_id("stored")
    expect(stored.locator(".stored-variant")).to_have_count(1)
    assert "Demo Lab Beta" in stored.inner_text() and "Aggregate now: Conflicting" in stored.inner_text()
    deid = page.get_by_test_id("deid")
    name = f"{patient['name'][0]['given'][0]} {patient['name'][0]['family']}"
    checked = {row[1]: row[2] for row in (r.split("\t") for r in deid.locator("tbody tr").all_inner_texts())}
    for value in (name, patient["identifier"][0]["value"], patient["birthDate"]):
        assert checked[value] == "not stored"
    assert "FOUND" not in deid.inner_text()
    page.screenshot(path=str(page.screenshot_dir / "sandbox-submit.png"), full_page=True)

    changes.get_by_role("link").first.click()
    page.wait_for_url("**/variants/vs*")
    assert page.get_by_test_id("classification").inner_text() == "Conflicting classifications of pathogenicity"
    assert "Demo Lab Beta" in page.get_by_test_id("submitters").inner_text()
    latest = sandbox_live.app.extensions["varshare"].variants.changes(version_before).items
    assert latest and all(item["version"] == version_before + 1 for item in latest)


def test_a_broken_bundle_shows_the_operation_outcome(sandbox_live, loose_page):
    page = loose_page
    page.goto(f"{sandbox_live.url}/sandbox/submit")
    broken = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}]}
    page.get_by_label("Bundle or resource (JSON)").fill(json.dumps(broken))
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Refused: HTTP 422")
    issues = page.get_by_test_id("receipt").locator("tbody tr")
    expect(issues.first).to_be_visible()
    assert "Bundle.entry[0].resource.code" in issues.first.inner_text()
    assert issues.first.locator("td").first.inner_text() == "error"
    assert page.locator("#stored-panel").is_hidden() and page.locator("#changes-panel").is_hidden()
    page.screenshot(path=str(page.screenshot_dir / "sandbox-submit-refused.png"), full_page=True)
    assert all("422" in message for message in page.console_errors)  # only Chromium's note of the refusal


def test_departures_from_the_ig_profiles_are_shown_as_notes_of_a_stored_report(sandbox_live, page):
    page.goto(f"{sandbox_live.url}/sandbox/submit")
    page.get_by_label("Submit as").select_option("Demo Lab Alpha")
    page.get_by_role("button", name="Load an example report").click()
    expect(page.locator("#status")).to_contain_text("Example report for Demo Lab Alpha loaded")
    sent = json.loads(page.get_by_label("Bundle or resource (JSON)").input_value())
    at = next(i for i, e in enumerate(sent["entry"]) if e["resource"].get("code", {}).get("coding", [{}])[0]
              .get("code") == "69548-6")
    sent["entry"][at]["resource"]["category"] = sent["entry"][at]["resource"]["category"][:1]  # no GE category
    page.get_by_label("Bundle or resource (JSON)").fill(json.dumps(sent))
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Stored (HTTP 201)")
    receipt = page.get_by_test_id("receipt")
    expect(receipt.get_by_role("heading", name="Notes")).to_be_visible()
    row = receipt.locator("tbody tr", has_text=f"Bundle.entry[{at}].resource.category")
    expect(row).to_have_count(1)
    assert row.locator("td").first.inner_text() == "information"
    assert "'variant' profile requires a category coded GE" in row.inner_text()


def test_checking_without_storing_shows_what_submitting_would_say(sandbox_live, page):
    store = sandbox_live.app.extensions["varshare"].store
    version = store_overview(store).version
    page.goto(f"{sandbox_live.url}/sandbox/submit")
    page.get_by_label("Submit as").select_option("Demo Lab Alpha")
    page.get_by_role("button", name="Load an example report").click()
    expect(page.locator("#status")).to_contain_text("Example report for Demo Lab Alpha loaded")
    sent = json.loads(page.get_by_label("Bundle or resource (JSON)").input_value())
    at = next(i for i, e in enumerate(sent["entry"]) if e["resource"]["resourceType"] == "DiagnosticReport")
    sent["entry"][at]["resource"]["code"]["coding"][0]["code"] = "81247-9"  # the STU1 report code: a note
    page.get_by_label("Bundle or resource (JSON)").fill(json.dumps(sent))
    page.get_by_role("button", name="Check without storing").click()
    expect(page.locator("#status")).to_contain_text("it would be accepted; 0 warning(s), 1 note(s)")
    receipt = page.get_by_test_id("receipt")
    assert "nothing was stored" in receipt.inner_text()
    expect(receipt.locator("tbody tr", has_text=f"Bundle.entry[{at}].resource.code")).to_have_count(1)
    assert page.locator("#stored-panel").is_hidden()

    del sent["entry"][at]["resource"]["code"]  # now it would be refused
    page.get_by_label("Bundle or resource (JSON)").fill(json.dumps(sent))
    page.get_by_role("button", name="Check without storing").click()
    expect(page.locator("#status")).to_contain_text("it would be refused")
    assert "error" in receipt.locator("tbody tr").first.inner_text()
    assert store_overview(store).version == version  # nothing was stored either time
