"""The four prefetch states and the fhirServer fallback end to end: varshare over real HTTP calls an EHR-side FHIR
server over real HTTP (loopback), with the request's bearer token, following ``next`` pages; 412 when required
data cannot be obtained; the token appears in no log line."""

from __future__ import annotations

import logging

import pytest

from tests.api.cds_harness import CdsWorld, normalise
from tests.api.cds_world import hook_request, prefetch_for
from tests.api.ehr_fhir_server import start_ehr_fhir_server
from tests.cds_contract import assert_cds_response

PV = "genomic-variant-review"
TOKEN = "ehr-access-token-7f3c-DO-NOT-LOG"
AUTH = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/Observation.read",
        "subject": "varshare"}


@pytest.fixture(scope="module")
def secured():
    server = start_ehr_fhir_server(token=TOKEN, page_size=1)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_server():
    server = start_ehr_fhir_server(page_size=2)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def world(migrated_target, tmp_path_factory, open_server):
    served = CdsWorld(migrated_target, tmp_path_factory.mktemp("cds-fallback"), cds_open_fhir_servers=open_server.base,
                      cds_fhir_read_timeout_s=0.5, cds_fhir_max_pages=10)
    yield served
    served.stop()


@pytest.fixture(autouse=True)
def _reset(secured, open_server):
    for server in (secured, open_server):
        server.requests.clear()
        server.fail_with, server.delay_s = None, 0.0


def _expected(world, patient):
    return normalise(world.hook(PV, hook_request("patient-view", patient)).json())


def test_absent_prefetch_is_fetched_with_the_token_through_every_page(world, secured, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    body = hook_request("patient-view", "p-upgrade", prefetch={}, fhirServer=secured.base, fhirAuthorization=AUTH)
    response = world.hook(PV, body)
    assert response.status_code == 200, response.text
    assert_cds_response(response.json())
    assert normalise(response.json()) == _expected(world, "p-upgrade")
    assert {r["authorization"] for r in secured.requests} == {f"Bearer {TOKEN}"}
    paths = [r["path"] for r in secured.requests]
    assert paths.count("/fhir/Patient/p-upgrade") == 1
    assert paths.count("/fhir/Observation") == 4  # 2 variants + 2 implications, one per page
    assert any(r["args"].get("_page") == "1" for r in secured.requests)
    logged = caplog.text + "".join(capfd.readouterr())
    assert TOKEN not in logged


def test_present_prefetch_is_used_without_any_fhir_call(world, secured):
    body = hook_request("patient-view", "p-upgrade", fhirServer=secured.base, fhirAuthorization=AUTH)
    assert normalise(world.hook(PV, body).json()) == _expected(world, "p-upgrade")
    assert secured.requests == []


def test_null_means_no_data_and_is_not_requeried(world, secured):
    prefetch = {"patient": None, "variants": None, "implications": None, "reports": None}
    body = hook_request("patient-view", "p-upgrade", prefetch=prefetch, fhirServer=secured.base,
                        fhirAuthorization=AUTH)
    response = world.hook(PV, body)
    assert response.status_code == 200 and response.json() == {"cards": []}
    assert secured.requests == []


def test_operation_outcome_is_unavailable_412_when_required(world, secured):
    failed = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    prefetch = {**prefetch_for("p-upgrade"), "variants": failed}
    body = hook_request("patient-view", "p-upgrade", prefetch=prefetch, fhirServer=secured.base,
                        fhirAuthorization=AUTH)
    response = world.hook(PV, body)
    assert response.status_code == 412
    assert response.json()["issue"][0]["expression"] == ["prefetch.variants"]
    assert "p-upgrade" not in response.text and "MRN" not in response.text
    assert secured.requests == []
    optional = {**prefetch_for("p-upgrade"), "reports": failed, "patient": failed}
    response = world.hook(PV, hook_request("patient-view", "p-upgrade", prefetch=optional))
    assert response.status_code == 200 and len(response.json()["cards"]) == 2


@pytest.mark.parametrize("problem", ["no server", "no token", "401", "500", "timeout", "unreachable"])
def test_unobtainable_required_data_is_412(world, secured, problem):
    body = hook_request("patient-view", "p-upgrade", prefetch={}, fhirServer=secured.base, fhirAuthorization=AUTH)
    if problem == "no server":
        del body["fhirServer"], body["fhirAuthorization"]
    elif problem == "no token":
        del body["fhirAuthorization"]  # this server is not an open one: no anonymous query
    elif problem == "401":
        body["fhirAuthorization"] = {**AUTH, "access_token": "wrong"}
    elif problem == "500":
        secured.fail_with = 500
    elif problem == "timeout":
        secured.delay_s = 1.0
    else:
        body["fhirServer"] = "http://127.0.0.1:9/fhir"
    response = world.hook(PV, body)
    assert response.status_code == 412, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    if problem in ("no server", "no token"):
        assert secured.requests == []


def test_open_server_is_queried_anonymously_and_partial_prefetch_pages_are_completed(world, open_server):
    body = hook_request("patient-view", "p-downgrade", prefetch={}, fhirServer=open_server.base)
    assert normalise(world.hook(PV, body).json()) == _expected(world, "p-downgrade")
    assert open_server.requests and all(r["authorization"] is None for r in open_server.requests)

    open_server.requests.clear()
    prefetch = prefetch_for("p-downgrade")
    first, _second = prefetch["variants"]["entry"]
    prefetch["variants"]["entry"] = [first]
    prefetch["variants"]["link"] = [{"relation": "next", "url": open_server.base +
                                     "/Observation?patient=p-downgrade&code=http://loinc.org|69548-6&_page=1"}]
    open_server.page_size = 1
    try:
        body = hook_request("patient-view", "p-downgrade", prefetch=prefetch, fhirServer=open_server.base)
        assert normalise(world.hook(PV, body).json()) == _expected(world, "p-downgrade")
    finally:
        open_server.page_size = 2
    assert [r["args"].get("_page") for r in open_server.requests] == ["1"]
