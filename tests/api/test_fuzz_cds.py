"""Hypothesis fuzzes the CDS Hooks services and their feedback endpoint over real HTTP with valid client JWTs:
valid hook requests with random nodes deleted or replaced by random JSON, wholly random JSON bodies, and wrong
types for the top-level fields. No answer is a server error; a 200 is a valid CDS Hooks response; every 4xx is JSON.

The fuzz never makes the app call out: the only open FHIR server is a closed loopback port, ``fhirAuthorization``
is only ever sent together with that loopback ``fhirServer``, and the service's HTTP session refuses any other host.
"""

from __future__ import annotations

import copy
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from tests.api.cds_harness import CdsWorld
from tests.api.cds_world import draft_orders, hook_request, service_request
from tests.cds_contract import assert_cds_response
from tests.json_mutation import json_values, mutated

PV = "genomic-variant-review"
SIGN = "genetic-test-order-sign"
SELECT = "genetic-test-order-select"
HOOKS = {PV: "patient-view", SIGN: "order-sign", SELECT: "order-select"}
LOOPBACK_FHIR = "http://127.0.0.1:9/fhir"  # the discard port: nothing listens, connections are refused at once
FHIR_AUTHORIZATION = {"access_token": "fuzz-token", "token_type": "Bearer", "expires_in": 300,
                      "scope": "patient/*.read", "subject": "varshare"}
FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JSON_VALUE = json_values(["", "Patient/p-upgrade", "ServiceRequest/sr-1", str(uuid.UUID(int=7)),
                          "2026-01-01T00:00:00Z", "accepted", "overridden", "patient-view"], big_integers=2**70)
FHIR_SERVERS = st.one_of(JSON_VALUE, st.sampled_from([
    LOOPBACK_FHIR, LOOPBACK_FHIR + "/", "https://ehr.example/fhir", "ftp://ehr.example/fhir",
    "https://user:secret@ehr.example/fhir", "https://ehr.example/fhir?x=1", "https://", "fhir"]))


class _LoopbackOnly(HTTPAdapter):
    """A transport that refuses every host but the loopback address (a guard: the fuzz must never go out)."""

    def send(self, request, *args, **kwargs):
        if urlsplit(request.url).hostname != "127.0.0.1":
            raise requests.ConnectionError(f"the fuzz test refuses to reach {urlsplit(request.url).hostname}")
        return super().send(request, *args, **kwargs)


def _loopback_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", _LoopbackOnly())
    session.mount("https://", _LoopbackOnly())
    return session


@pytest.fixture(scope="module")
def world(migrated_target, tmp_path_factory):
    served = CdsWorld(migrated_target, tmp_path_factory.mktemp("fuzz-cds"), cds_open_fhir_servers=LOOPBACK_FHIR)
    served.services.cds._session_factory = _loopback_session
    yield served
    served.stop()


def _seeds(service_id: str) -> list[dict]:
    """Valid requests for the service: full prefetch, partial prefetch and none (the loopback FHIR server)."""
    hook = HOOKS[service_id]
    drafts = draft_orders(service_request("sr-1", "BRCA-PANEL", display="BRCA1/2 panel"),
                          service_request("sr-cftr", "CFTR-SEQ"))
    seeds = []
    for patient in ("p-upgrade", "p-conflict", "p-nothing"):
        body = hook_request(hook, patient)
        if service_id != PV:
            body["context"]["draftOrders"] = copy.deepcopy(drafts)
        if service_id == SELECT:
            body["context"]["selections"] = ["ServiceRequest/sr-1"]
        seeds.append(body)
    partial = copy.deepcopy(seeds[0])
    del partial["prefetch"]["variants"]
    seeds.append({**partial, "fhirServer": LOOPBACK_FHIR})
    without = copy.deepcopy(seeds[1])
    del without["prefetch"]
    seeds.append({**without, "fhirServer": LOOPBACK_FHIR, "fhirAuthorization": dict(FHIR_AUTHORIZATION)})
    return seeds


FEEDBACK_SEED = {"feedback": [
    {"card": str(uuid.UUID(int=1)), "outcome": "accepted", "outcomeTimestamp": "2026-01-01T00:00:00Z",
     "acceptedSuggestions": [{"id": str(uuid.UUID(int=2))}]},
    {"card": str(uuid.UUID(int=3)), "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00Z",
     "overrideReason": {"reason": {"system": "https://varshare.org/fhir/CodeSystem/cds-override-reason",
                                   "code": "aware", "display": "Already aware"}, "userComment": "seen"}}]}
SEEDS = {service_id: _seeds(service_id) for service_id in HOOKS}


@st.composite
def bodies(draw, seeds: list[dict]):
    """A mutated seed (one to three deletions or replacements), a wrong-typed field, or random JSON."""
    kind = draw(st.sampled_from(["mutate", "mutate", "field", "random"]))
    if kind == "random":
        return draw(JSON_VALUE)
    body = copy.deepcopy(draw(st.sampled_from(seeds)))
    if kind == "field":
        field = draw(st.sampled_from(["context", "prefetch", "draftOrders", "selections", "fhirServer",
                                      "fhirAuthorization", "hook", "hookInstance", "patientId", "feedback"]))
        value = draw(FHIR_SERVERS if field == "fhirServer" else JSON_VALUE)
        target = body["context"] if field in ("draftOrders", "selections", "patientId") and isinstance(
            body.get("context"), dict) else body
        target[field] = value
        return body
    for _ in range(draw(st.integers(1, 3))):
        body = mutated(body, draw(st.integers(0, 10_000)), draw(JSON_VALUE), draw(st.booleans()))
    return body


def _keep_local(body):
    """Drop fhirAuthorization unless fhirServer is the loopback server: a token makes the app query fhirServer."""
    if isinstance(body, dict) and "fhirAuthorization" in body and body.get("fhirServer") not in (
            LOOPBACK_FHIR, LOOPBACK_FHIR + "/"):
        del body["fhirAuthorization"]
    return body


def _check_error(response: requests.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    assert response.status_code != 401, "a valid client JWT was refused"
    if response.status_code >= 400:
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("service_id", list(HOOKS))
def test_fuzzed_hook_requests_never_cause_a_server_error(world, service_id):
    @FUZZ
    @given(body=bodies(SEEDS[service_id]))
    def fuzz(body):
        response = world.hook(service_id, _keep_local(body))
        _check_error(response)
        if response.status_code == 200:
            assert_cds_response(response.json())

    fuzz()


def test_fuzzed_feedback_never_causes_a_server_error(world):
    @FUZZ
    @given(body=bodies([FEEDBACK_SEED]), service_id=st.sampled_from(list(HOOKS)))
    def fuzz(body, service_id):
        response = world.call(f"/cds-services/{service_id}/feedback", body)
        _check_error(response)
        if response.status_code == 200:
            assert response.json() == {}

    fuzz()


def test_the_seeds_are_valid_requests(world):
    for service_id, seeds in SEEDS.items():
        for body in seeds:
            response = world.hook(service_id, body)
            assert response.status_code in (200, 412), response.text  # 412: the loopback FHIR server is down
            if response.status_code == 200:
                assert_cds_response(response.json())
    assert world.call(f"/cds-services/{PV}/feedback", FEEDBACK_SEED).status_code == 200
