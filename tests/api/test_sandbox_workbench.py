"""The sandbox pages' JSON endpoints over real HTTP: built hook requests (prefetch exactly as the sandbox EHR
answers the discovery templates), demo-EHR tokens that the real JWT verification accepts, example reports that
change an aggregate, and the pages' absence outside sandbox and test mode."""

from __future__ import annotations

import requests

from app import create_app
from app.sandbox.hook_requests import patient_choices
from tests.conftest import empty_all_tables, settings_for

KEY = "k" * 40


def _get(server, path: str, **params) -> requests.Response:
    return requests.get(server.url + path, params=params, timeout=30)


def _token(server, audience: str, **extra) -> requests.Response:
    return requests.post(f"{server.url}/sandbox/token", json={"audience": audience, **extra}, timeout=30)


def _call(server, path: str, body: dict, token: str) -> requests.Response:
    return requests.post(server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_built_requests_carry_the_sandbox_ehrs_answers_to_the_discovery_templates(sandbox_live):
    request = _get(sandbox_live, "/sandbox/hook-request", patient="hosp-001", hook="patient-view").json()
    assert request["service"] == "genomic-variant-review"
    body = request["request"]
    assert body["fhirServer"] == f"{sandbox_live.url}/sandbox/fhir" and body["context"]["patientId"] == "hosp-001"
    assert set(body["prefetch"]) == {"patient", "variants", "implications", "reports"}
    ehr = f"{sandbox_live.url}/sandbox/fhir"
    assert body["prefetch"]["patient"] == _get(sandbox_live, "/sandbox/fhir/Patient/hosp-001").json()
    searched = requests.get(f"{ehr}/Observation?patient=hosp-001&code=http://loinc.org|69548-6", timeout=30).json()
    assert body["prefetch"]["variants"] == searched

    order = _get(sandbox_live, "/sandbox/hook-request", patient="clin-008", hook="order-sign",
                 test="cardiomyopathy-panel", mode="fhir-server").json()["request"]
    assert "prefetch" not in order and "selections" not in order["context"]
    assert order["fhirAuthorization"]["patient"] == "clin-008"
    [entry] = order["context"]["draftOrders"]["entry"]
    assert entry["resource"]["id"] == "clin-008-new-cardiomyopathy-panel"
    assert len({c.id for c in patient_choices()}) == 16

    for params in ({"patient": "nobody"}, {"hook": "encounter-start"}, {"hook": "order-sign", "test": "x"},
                   {"mode": "sometimes"}):
        assert _get(sandbox_live, "/sandbox/hook-request", **{"patient": "hosp-001", **params}).status_code == 400


def test_tokens_from_the_sandbox_pass_the_real_verification_once(sandbox_live):
    path = "/cds-services/genomic-variant-review"
    body = _get(sandbox_live, "/sandbox/hook-request", patient="clin-006").json()["request"]
    for alg in ("ES384", "RS384"):
        answer = _token(sandbox_live, sandbox_live.url + path, alg=alg).json()
        assert answer["issuer"] == f"{sandbox_live.url}/sandbox" and answer["expires_in"] == 300
        response = _call(sandbox_live, path, body, answer["token"])
        assert response.status_code == 200
        assert response.json()["cards"][0]["indicator"] == "critical"
        assert _call(sandbox_live, path, body, answer["token"]).status_code == 401  # jti replay
    wrong_audience = _token(sandbox_live, f"{sandbox_live.url}/cds-services").json()["token"]
    assert _call(sandbox_live, path, body, wrong_audience).status_code == 401
    assert _token(sandbox_live, "https://elsewhere.example/cds-services").status_code == 400
    assert _token(sandbox_live, f"{sandbox_live.url}/api/variants").status_code == 400
    assert _token(sandbox_live, sandbox_live.url + path, alg="HS256").status_code == 400
    assert requests.post(f"{sandbox_live.url}/sandbox/token", data="x", timeout=30).status_code == 400


def test_example_reports_change_an_aggregate_and_move_on_to_another_variant(sandbox_live):
    bundles = []
    for _ in range(2):
        bundle = _get(sandbox_live, "/sandbox/example-bundle", lab="Demo Lab Gamma").json()
        response = requests.post(f"{sandbox_live.url}/fhir/Bundle", json=bundle, timeout=30,
                                 headers={"Authorization": "Bearer vs_demo_lab_gamma_PUBLIC_DEMO_TOKEN",
                                          "Content-Type": "application/fhir+json"})
        assert response.status_code == 201, response.text
        version = next(p["valueInteger"] for p in response.json()["parameter"] if p["name"] == "storeVersion")
        changes = requests.get(f"{sandbox_live.url}/api/changes", params={"since": version - 1}, timeout=30,
                               headers={"Authorization": "Bearer vs_demo_reader_PUBLIC_DEMO_TOKEN"}).json()["items"]
        [variant_level] = [c for c in changes if "condition_key" not in c]
        assert variant_level["new"]["conflict"] is True
        bundles.append(variant_level["variant"])
    assert bundles[0] != bundles[1]
    assert _get(sandbox_live, "/sandbox/example-bundle", lab="Demo EHR Clinic").status_code == 400


def test_the_sandbox_pages_exist_only_in_sandbox_and_test_mode(migrated_target, tmp_path):
    production = create_app(settings_for(migrated_target, tmp_path, mode="production", linkage_key=KEY))
    test_mode = create_app(settings_for(migrated_target, tmp_path))
    try:
        empty_all_tables(production.extensions["varshare"].store)
        client = production.test_client()
        for path in ("/sandbox", "/sandbox/submit", "/sandbox/help", "/sandbox/hook-request",
                     "/sandbox/example-bundle"):
            assert client.get(path).status_code == 404, path
        assert client.post("/sandbox/token", json={"audience": "http://127.0.0.1:8080/cds-services"}).status_code == 404
        overview = client.get("/")
        assert overview.status_code == 200 and b"Latest changes" in overview.data
        assert b"Try CDS Hooks" not in overview.data
        tested = test_mode.test_client()
        assert tested.get("/sandbox/help").status_code == 200
        assert tested.post("/sandbox/token", json={"audience": "http://127.0.0.1:8080/cds-services"}).status_code == 404
    finally:
        production.extensions["varshare"].store.dispose()
        test_mode.extensions["varshare"].store.dispose()
