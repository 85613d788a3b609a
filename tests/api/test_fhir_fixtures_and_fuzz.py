"""Every official IG example is accepted over HTTP and stored exactly as mapped; mutated bundles never
cause a 500 and a rejected bundle leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ingest.mapper import map_submission
from tests.api.fhir_client import DATA, counts, fixture, post
from tests.json_mutation import json_values, mutated

OFFICIAL = sorted(p.relative_to(DATA).as_posix() for p in (DATA / "genomics-reporting").rglob("*.json"))


def _endpoint(resource: dict) -> str:
    if resource["resourceType"] == "Bundle":
        return "/fhir" if resource.get("type") in ("transaction", "batch") else "/fhir/Bundle"
    return f"/fhir/{resource['resourceType']}"


@pytest.fixture
def lab_token(app):
    return app.extensions["varshare"].tenants.add("Fixture Lab", "lab")[1]


def test_every_official_example_is_accepted_and_stored_as_mapped(live, lab_token):
    store = live.app.extensions["varshare"].store
    expected_findings = 0
    for name in OFFICIAL:
        resource = fixture(name)
        mapped = map_submission(resource)
        response = post(live, _endpoint(resource), resource, lab_token)
        assert response.status_code in (200, 201), f"{name}: {response.text[:500]}"
        expected_findings += sum(len(case.findings) for case in mapped.cases)
    assert len(OFFICIAL) == 24
    stored = counts(store)
    assert stored["reports"] == len(OFFICIAL)
    assert stored["case_facts"] == expected_findings and expected_findings >= 100


JSON_VALUE = json_values()
SEEDS = ["synthetic/grch38-spdi.json", "synthetic/every-term.json", "synthetic/transaction-bundle.json",
         "genomics-reporting/Bundle-bundle-cgexample.json", "synthetic/cnv-and-repeat.json"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), choice=st.integers(0, 10_000), replacement=JSON_VALUE, delete=st.booleans())
def test_mutated_bundles_never_cause_a_server_error(live, lab_token, seed, choice, replacement, delete):
    store = live.app.extensions["varshare"].store
    resource = mutated(fixture(seed), choice, replacement, delete)
    before = counts(store)
    path = "/fhir" if fixture(seed).get("type") == "transaction" else "/fhir/Bundle"
    response = post(live, path, resource, lab_token)
    assert response.status_code < 500, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    if response.status_code >= 400:
        assert response.json()["resourceType"] == "OperationOutcome"
        assert counts(store) == before  # refused means nothing stored


def test_fixture_paths_exist():
    assert all(Path(DATA / name).exists() for name in SEEDS)
