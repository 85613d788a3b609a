"""The fhirServer client against ``responses``: bearer header, paging and its cap, next links that leave the
server, errors, timeouts, size cap, no redirects, and the token in no message."""

from __future__ import annotations

import pytest
import requests
import responses

from app.cds.fhir_client import FhirClient, FhirLimits, FhirUnavailable

BASE = "https://ehr.example/fhir"
TOKEN = "secret-token-abc"


def _bundle(ids, next_url=None):
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": {"resourceType": "Observation", "id": i}} for i in ids]}
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def _client(token=TOKEN, **limits):
    return FhirClient(requests.Session(), BASE, token, FhirLimits(**limits))


@responses.activate
def test_search_sends_the_bearer_token_and_follows_next_pages():
    responses.get(f"{BASE}/Observation", json=_bundle(["a"], f"{BASE}/Observation?page=2"),
                  match=[responses.matchers.query_param_matcher({"patient": "p1", "code": "http://loinc.org|69548-6"})])
    responses.get(f"{BASE}/Observation", json=_bundle(["b"]),
                  match=[responses.matchers.query_param_matcher({"page": "2"})])
    result = _client().search("Observation?patient=p1&code=http://loinc.org|69548-6")
    assert [r["id"] for r in result.resources] == ["a", "b"] and not result.partial
    assert all(call.request.headers["Authorization"] == f"Bearer {TOKEN}" for call in responses.calls)
    assert all(call.request.headers["Accept"] == "application/fhir+json" for call in responses.calls)


@responses.activate
def test_paging_stops_at_the_cap_and_at_links_leaving_the_server():
    responses.get(f"{BASE}/Observation", json=_bundle(["a"], f"{BASE}/Observation?page=2"))
    result = _client(max_pages=1).search("Observation?patient=p1")
    assert [r["id"] for r in result.resources] == ["a"] and result.partial
    responses.replace(responses.GET, f"{BASE}/Observation", json=_bundle(["a"], "https://evil.example/steal"))
    result = _client().search("Observation?patient=p1")
    assert result.partial and all(c.request.url.startswith(BASE) for c in responses.calls)


@responses.activate
def test_anonymous_client_sends_no_authorization():
    responses.get(f"{BASE}/Patient/p1", json={"resourceType": "Patient", "id": "p1"})
    assert _client(token=None).read("Patient/p1")["id"] == "p1"
    assert "Authorization" not in responses.calls[0].request.headers


@pytest.mark.parametrize("reply", [
    {"status": 401, "json": {}}, {"status": 500, "body": "boom"}, {"status": 302, "headers": {"Location": BASE}},
    {"status": 200, "body": "not json"}, {"status": 200, "json": [1, 2]},
    {"body": requests.Timeout("slow")}, {"body": requests.ConnectionError("refused")},
    {"status": 200, "body": b"{" + b" " * 2048 + b"}"},
])
@responses.activate
def test_failures_are_unavailable_and_never_name_the_token(reply):
    responses.get(f"{BASE}/Observation", **reply)
    with pytest.raises(FhirUnavailable) as failed:
        _client(max_bytes=1024).search("Observation?patient=p1")
    assert TOKEN not in str(failed.value) and "p1" not in str(failed.value)


@responses.activate
def test_an_operation_outcome_page_is_unavailable_and_a_read_outcome_is_no_data():
    responses.get(f"{BASE}/Observation", json={"resourceType": "OperationOutcome", "issue": []})
    with pytest.raises(FhirUnavailable):
        _client().search("Observation?patient=p1")
    responses.get(f"{BASE}/Patient/p1", json={"resourceType": "OperationOutcome", "issue": []})
    assert _client().read("Patient/p1") is None


def test_the_budget_bounds_all_queries():
    ticks = iter([0.0, 10.0])
    client = FhirClient(requests.Session(), BASE, TOKEN, FhirLimits(budget_s=4.0), clock=lambda: next(ticks))
    with pytest.raises(FhirUnavailable):
        client.search("Observation?patient=p1")
