"""The sandbox EHR's FHIR endpoint over real HTTP: metadata, read, search, paging, errors, CORS, and its absence
outside sandbox and test mode."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app import create_app
from app.sandbox.world import build_world
from tests.conftest import settings_for

FHIR = "application/fhir+json"
VARIANT = "http://loinc.org|69548-6"
IMPLICATION = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs|diagnostic-implication"
GENETICS = "http://terminology.hl7.org/CodeSystem/v2-0074|GE"


def _get(live, path: str, **kwargs) -> requests.Response:
    return requests.get(f"{live.url}/sandbox/fhir{path}", timeout=10, **kwargs)


def _ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def _outcome(response: requests.Response, status: int) -> list[dict]:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(FHIR)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"]
    return body["issue"]


def test_metadata_lists_exactly_what_is_served(live):
    response = _get(live, "/metadata")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(FHIR)
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {"Patient", "Observation", "DiagnosticReport", "ServiceRequest", "Condition"}
    observation = {p["name"] for p in resources["Observation"]["searchParam"]}
    assert {"patient", "subject", "code", "category", "_count"} <= observation
    assert all({i["code"] for i in r["interaction"]} == {"read", "search-type"} for r in resources.values())


def test_patient_list_has_every_synthetic_patient_and_reads_work(live):
    world = build_world()
    bundle = _get(live, "/Patient").json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert bundle["total"] == len(world.patients) and _ids(bundle) == [p.id for p in world.patients]
    assert all(e["fullUrl"] == f"{live.url}/sandbox/fhir/Patient/{e['resource']['id']}" for e in bundle["entry"])
    patient = _get(live, "/Patient/hosp-001", headers={"Authorization": "Bearer any-hook-access-token"}).json()
    assert patient["resourceType"] == "Patient" and patient["identifier"][0]["value"] == "H-40101"
    by_mrn = _get(live, "/Patient", params={"identifier": "https://clinic.sandbox.varshare.example/mrn|C-7703"})
    assert _ids(by_mrn.json()) == ["clin-003"]


def test_searches_the_hooks_prefetch_templates_use(live):
    variants = _get(live, "/Observation", params={"patient": "hosp-001", "code": VARIANT}).json()
    assert _ids(variants) == ["hosp-001-r1-v1", "hosp-001-r1-v2"]
    implications = _get(live, "/Observation", params={"patient": "Patient/hosp-001", "code": IMPLICATION}).json()
    assert _ids(implications) == ["hosp-001-r1-i1", "hosp-001-r1-i2"]
    assert implications["entry"][0]["resource"]["derivedFrom"] == [{"reference": "Observation/hosp-001-r1-v1"}]
    reports = _get(live, "/DiagnosticReport", params={"patient": "hosp-001", "category": GENETICS}).json()
    assert _ids(reports) == ["hosp-001-r1"]
    both = _get(live, "/Observation", params={"subject": "hosp-002", "code": f"{VARIANT},{IMPLICATION}"}).json()
    assert both["total"] == 4
    any_system = _get(live, "/Observation", params={"patient": "hosp-002", "code": "69548-6"}).json()
    assert any_system["total"] == 2
    whole_system = _get(live, "/Observation", params={"patient": "hosp-002", "code": "http://loinc.org|"}).json()
    assert whole_system["total"] == 3  # two variants and the region studied
    drafts = _get(live, "/ServiceRequest", params={"patient": "hosp-001", "status": "draft", "intent": "order"})
    order = drafts.json()["entry"][0]["resource"]
    assert _ids(drafts.json()) == ["hosp-001-o2"]
    assert {c["coding"][0]["display"] for c in order["orderDetail"]} == {"BRCA1", "BRCA2"}
    assert _get(live, "/Condition", params={"patient": "hosp-001"}).json()["total"] == 0
    posted = requests.post(f"{live.url}/sandbox/fhir/Observation/_search", data={"patient": "hosp-001",
                                                                                 "code": VARIANT}, timeout=10)
    assert _ids(posted.json()) == ["hosp-001-r1-v1", "hosp-001-r1-v2"]


def test_paging_follows_next_links_until_exhausted(live):
    everything = build_world().ehr_resources["Observation"]
    url, seen, pages = f"{live.url}/sandbox/fhir/Observation?_count=7", [], 0
    while url:
        bundle = requests.get(url, timeout=10).json()
        assert bundle["total"] == len(everything)
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert parse_qs(urlsplit(links["self"]).query)["_count"] == ["7"]
        assert ("previous" in links) == (pages > 0)
        seen += _ids(bundle)
        pages += 1
        url = links.get("next")
    assert seen == [r["id"] for r in everything] and pages == -(-len(everything) // 7)
    capped = _get(live, "/Observation", params={"_count": 10_000}).json()
    assert len(capped["entry"]) == min(200, len(everything))
    assert "entry" not in _get(live, "/Patient", params={"_count": 0}).json()


@pytest.mark.parametrize("path, params", [
    ("/Observation", {"foo": "bar"}),
    ("/Observation", {"code:in": "http://example.org/vs"}),
    ("/Observation", {"_count": "many"}),
    ("/Observation", {"_offset": "-1"}),
    ("/Observation", {"patient": ""}),
    ("/Patient", {"patient": "hosp-001"}),
    ("/Observation", {"_format": "xml"}),
])
def test_unsupported_searches_are_400_operation_outcomes(live, path, params):
    _outcome(_get(live, path, params=params), 400)


def test_unknown_ids_types_paths_and_writes(live):
    _outcome(_get(live, "/Patient/nobody"), 404)
    _outcome(_get(live, "/Medication"), 404)
    _outcome(_get(live, "/Medication/x"), 404)
    _outcome(_get(live, "/Patient/hosp-001/_history/1"), 404)
    _outcome(requests.put(f"{live.url}/sandbox/fhir/Patient/hosp-001", json={}, timeout=10), 405)
    _outcome(requests.post(f"{live.url}/sandbox/fhir/Patient", json={}, timeout=10), 405)


def test_browsers_may_call_it_from_any_origin(live):
    preflight = requests.options(f"{live.url}/sandbox/fhir/Observation", timeout=10, headers={
        "Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    get = _get(live, "/Patient/hosp-001", headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert get.headers["Access-Control-Allow-Origin"] == "*"


def test_the_endpoint_does_not_exist_outside_sandbox_and_test_mode(migrated_target, tmp_path):
    app = create_app(settings_for(migrated_target, tmp_path, mode="production", linkage_key="k" * 40))
    try:
        assert app.test_client().get("/sandbox/fhir/metadata").status_code == 404
    finally:
        app.extensions["varshare"].store.dispose()
