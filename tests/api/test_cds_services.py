"""CDS Hooks services over real HTTP on SQLite and PostgreSQL: discovery, the three services on the fixture world
(golden cards), request validation, limits and the contract rules of every response."""

from __future__ import annotations

import copy
import dataclasses
import time
import types

import pytest
import requests

from app.cds.prefetch import check_template
from app.services.cds import CdsError, CdsHooks
from tests.api.cds_harness import BASE, CdsWorld, assert_golden
from tests.api.cds_world import WORLD, draft_orders, hook_request, prefetch_for, service_request
from tests.cds_contract import assert_cds_response

PV = "genomic-variant-review"
SIGN = "genetic-test-order-sign"
SELECT = "genetic-test-order-select"


@pytest.fixture(scope="module")
def world(migrated_target, tmp_path_factory):
    served = CdsWorld(migrated_target, tmp_path_factory.mktemp("cds"))
    yield served
    served.stop()


def _ehr(world):
    caller = world.services.tenants.caller_named("Demo EHR Hospital")
    return types.SimpleNamespace(submitter_id=caller.submitter_id, name=caller.name)


def _outcome(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"]
    return body


def test_discovery(world):
    response = world.call("/cds-services", method="GET")
    assert response.status_code == 200
    services = response.json()["services"]
    assert services and len({s["id"] for s in services}) == len(services)
    assert {s["hook"] for s in services} == {"patient-view", "order-select", "order-sign"}
    for service in services:
        assert service["title"] and service["description"] and service["id"]
        for template in service["prefetch"].values():
            assert check_template(template) == [], template
    assert_golden("discovery", response.json())
    assert requests.get(world.server.url + "/cds-services", timeout=10).status_code == 401


@pytest.mark.parametrize("patient", sorted(WORLD["patients"]))
def test_patient_view_cards(world, patient):
    response = world.hook(PV, hook_request("patient-view", patient))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert_cds_response(response.json())
    assert_golden(f"patient-view-{patient}", response.json())


def test_severities_follow_the_reclassification_table(world):
    def indicators(patient):
        return [(c["indicator"], c["source"]["topic"]["code"])
                for c in world.hook(PV, hook_request("patient-view", patient)).json()["cards"]]

    assert indicators("p-upgrade") == [("critical", "reclassification"), ("info", "summary")]
    assert indicators("p-downgrade") == [("warning", "reclassification")] * 2 + [("info", "summary")]
    assert indicators("p-conflict") == [("warning", "conflict")] * 2 + [("info", "summary")]
    assert indicators("p-vault") == [("critical", "reclassification"), ("info", "summary")]
    assert indicators("p-nothing") == []


def test_vault_finds_only_the_calling_institutions_own_cases(world, migrated_target, tmp_path):
    # Another institution's EHR (here: Lab A's role does not matter, only its linkage key) never sees the case.
    body = hook_request("patient-view", "p-vault")
    assert world.hook(PV, body).json()["cards"]
    other = world.services.tenants.add("Other Hospital", "ehr")[0]
    cards = world.services.cds.invoke(PV, body, types.SimpleNamespace(submitter_id=other.id, name=other.name))
    assert cards == []


def test_order_sign_with_earlier_results(world):
    body = hook_request("order-sign", "p-upgrade", fhirServer="https://ehr.example/fhir")
    body["context"]["draftOrders"] = draft_orders(service_request("sr-1", "BRCA-PANEL", display="BRCA1/2 panel"))
    response = world.hook(SIGN, body)
    assert response.status_code == 200, response.text
    assert_cds_response(response.json())
    [card] = response.json()["cards"]
    assert card["indicator"] == "warning"  # a pathogenic result exists in BRCA1
    [suggestion] = card["suggestions"]
    assert suggestion["actions"] == [{"type": "delete", "description": "Remove the draft genetic test order",
                                      "resourceId": "ServiceRequest/sr-1"}]
    assert any(link["url"] == "https://ehr.example/fhir/DiagnosticReport/p-upgrade-r1" for link in card["links"])
    assert_golden("order-sign-p-upgrade", response.json())


def test_order_select_advises_on_selections_only(world):
    drafts = draft_orders(service_request("sr-cftr", "CFTR-SEQ"), service_request("sr-brca", "BRCA-PANEL"),
                          {"resourceType": "MedicationRequest", "id": "mr-1", "status": "draft",
                           "medicationCodeableConcept": {"text": "clopidogrel"}})
    body = hook_request("order-select", "p-conflict")
    body["context"].update(draftOrders=drafts, selections=["ServiceRequest/sr-cftr"])
    [card] = world.hook(SELECT, body).json()["cards"]
    assert card["indicator"] == "info" and "CFTR" in card["summary"]  # a conflict, but no P/LP result in CFTR
    body["context"]["selections"] = ["MedicationRequest/mr-1"]
    assert world.hook(SELECT, body).json() == {"cards": []}


@pytest.mark.parametrize("drafts", [
    {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MedicationRequest", "id": "m",
                                                       "medicationCodeableConcept": {"text": "warfarin"}}}]},
    {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MedicationOrder", "id": "m"}}]},
    {"resourceType": "Bundle", "type": "collection", "entry": [None, 5, {"resource": "x"}, {"resource": {}}]},
    {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "ServiceRequest", "id": "s",
                                                       "code": {"coding": "not-a-list"}}}]},
    {"resourceType": "Bundle"},
])
def test_order_hooks_tolerate_sandbox_and_odd_drafts(world, drafts):
    body = hook_request("order-sign", "p-upgrade")
    body["context"]["draftOrders"] = drafts
    response = world.hook(SIGN, body)
    assert response.status_code == 200 and response.json() == {"cards": []}


def _without(body: dict, *path: str) -> dict:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


@pytest.mark.parametrize("change, where", [
    (lambda b: _without(b, "hook"), "hook"),
    (lambda b: {**b, "hook": 7}, "hook"),
    (lambda b: _without(b, "hookInstance"), "hookInstance"),
    (lambda b: {**b, "hookInstance": ""}, "hookInstance"),
    (lambda b: _without(b, "context"), "context"),
    (lambda b: {**b, "context": []}, "context"),
    (lambda b: _without(b, "context", "patientId"), "context.patientId"),
    (lambda b: {**b, "context": {**b["context"], "patientId": "../etc"}}, "context.patientId"),
    (lambda b: {**b, "hook": "order-sign"}, "hook"),
    (lambda b: {**b, "fhirAuthorization": {"access_token": "t", "token_type": "Bearer"}}, "fhirAuthorization"),
    (lambda b: {**b, "fhirServer": "ftp://ehr.example"}, "fhirServer"),
    (lambda b: {**b, "prefetch": "nope"}, "prefetch"),
    (lambda b: {**b, "prefetch": {"variants": 5}}, "prefetch.variants"),
    (lambda b: {**b, "prefetch": {"variants": {"entry": []}}}, "prefetch.variants"),
])
def test_malformed_requests_are_400(world, change, where):
    body = change(hook_request("patient-view", "p-upgrade"))
    outcome = _outcome(world.hook(PV, body), 400)
    assert outcome["issue"][0]["expression"] == [where]


def test_unknown_keys_extensions_and_no_encounter_are_fine(world):
    body = hook_request("patient-view", "p-upgrade", extension={"org.example.x": {"a": 1}}, somethingNew=True)
    body["context"]["extension"] = {"org.example.y": {}}
    body["prefetch"]["unrequested"] = {"resourceType": "Patient", "id": "p-upgrade"}
    response = world.hook(PV, body)
    assert response.status_code == 200 and len(response.json()["cards"]) == 2


def test_unknown_service_body_limits_and_content_types(world):
    _outcome(world.hook("no-such-service", hook_request("patient-view", "p-upgrade")), 404)
    _outcome(world.call(f"/cds-services/{PV}", raw=b"{not json"), 400)
    _outcome(world.call(f"/cds-services/{PV}", raw=b"hook=patient-view", content_type="text/plain"), 415)
    deep = b"[" * 150 + b"]" * 150
    _outcome(world.call(f"/cds-services/{PV}", raw=deep), 400)
    big = b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    _outcome(world.call(f"/cds-services/{PV}", raw=big), 413)


def test_too_many_variants_is_400(world):
    services = world.services
    capped = CdsHooks(services.store, services.tenants, dataclasses.replace(services.settings, cds_max_variants=1))
    with pytest.raises(CdsError) as refused:
        capped.invoke(PV, hook_request("patient-view", "p-upgrade"), _ehr(world))
    assert refused.value.status == 400
    assert capped.invoke(PV, hook_request("patient-view", "p-panel"), _ehr(world))


def test_escapes_lab_supplied_text(world):
    prefetch = prefetch_for("p-upgrade")
    implication = prefetch["implications"]["entry"][0]["resource"]
    implication["component"][0]["valueCodeableConcept"] = {
        "coding": [{"system": "http://lab.example/terms", "code": "x", "display": "<script>alert(1)</script>"}],
        "text": "<script>alert(1)</script> | **bold**"}
    response = world.hook(PV, hook_request("patient-view", "p-upgrade", prefetch=prefetch))
    assert response.status_code == 200
    assert_cds_response(response.json())
    assert "<script" not in response.text


def test_public_base_url_links(world):
    cards = world.hook(PV, hook_request("patient-view", "p-panel")).json()["cards"]
    page = cards[0]["links"][0]["url"]
    assert page.startswith(BASE + "/variants/") and cards[0]["source"]["url"] == page
    variant_id = page.rsplit("/", 1)[1]
    assert requests.get(world.server.url + f"/variants/{variant_id}", timeout=10).status_code == 200


def test_hook_answers_leave_before_the_wal_checkpoint(world, monkeypatch):
    store = world.services.store
    finished: list[float] = []

    def slow_checkpoint() -> None:
        time.sleep(2.0)
        finished.append(time.monotonic())

    monkeypatch.setattr(store, "checkpoint_after_response", slow_checkpoint)
    patient = sorted(WORLD["patients"])[0]
    response = world.hook(PV, hook_request("patient-view", patient))
    answered = time.monotonic()
    assert response.status_code == 200
    assert not finished  # the client had its cards while the checkpoint was still running
    while not finished and time.monotonic() < answered + 10:
        time.sleep(0.01)
    assert len(finished) == 1  # once per request, when the response closed
