"""FHIR $validate on /fhir/Bundle, /fhir/DiagnosticReport and /fhir/Observation over real HTTP: it answers what a
submission would (the same issues, errors included, and the same PHI guard), always with 200 and an
OperationOutcome, stores nothing, and is audited without values."""

from __future__ import annotations

import copy

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.store.tables import audit_events
from tests.api.fhir_client import counts, fixture, parameters, post
from tests.data.canary.bundles import CANARY, canary_bundle, negative_bundles
from tests.json_mutation import json_values, mutated

STU1 = "genomics-reporting/stu1-original/oncology-report-example.json"
CONFORMANT = "genomics-reporting/Bundle-bundle-oncology-diagnostic.json"


@pytest.fixture
def tokens(app):
    tenants = app.extensions["varshare"].tenants
    return {name: tenants.add(name, role)[1] for name, role in (("Lab A", "lab"), ("Reader", "reader"))}


@pytest.fixture
def store(app):
    return app.extensions["varshare"].store


def _issues(outcome: dict) -> list[tuple[str, str, str, str]]:
    return [(i["severity"], i["code"], (i.get("expression") or [""])[0], i.get("diagnostics", ""))
            for i in outcome["issue"]]


def _audit_count(store) -> int:
    with store.reading() as conn:
        return conn.execute(select(func.count()).select_from(audit_events)).scalar()


def test_validation_says_what_submitting_would_and_stores_nothing(live, tokens, store):
    for name, path in ((STU1, "/fhir"), (CONFORMANT, "/fhir")):
        bundle = fixture(name)
        before = counts(store)
        checked = post(live, "/fhir/Bundle/$validate", bundle, tokens["Lab A"])
        assert checked.status_code == 200 and checked.headers["Content-Type"].startswith("application/fhir+json")
        assert counts(store) == before
        submitted = post(live, path, bundle, tokens["Lab A"])
        assert submitted.status_code == 200, submitted.text
        receipt = parameters(submitted.json()["entry"][0]["response"]["outcome"])
        assert _issues(checked.json()) == _issues(receipt["outcome"]), name
    # The STU1 example's conformance notes are among them.
    notes = _issues(post(live, "/fhir/Bundle/$validate", fixture(STU1), tokens["Lab A"]).json())
    assert ("information", "code-invalid", "Bundle.entry[15].resource.code") in [n[:3] for n in notes]


def test_a_report_that_would_be_refused_gets_the_same_errors_with_200(live, tokens, store):
    broken = fixture("synthetic/grch38-spdi.json")
    broken["entry"].append({"resource": {"resourceType": "Observation", "status": "final"}})  # no code
    before = counts(store)
    checked = post(live, "/fhir/Bundle/$validate", broken, tokens["Lab A"])
    refused = post(live, "/fhir/Bundle", broken, tokens["Lab A"])
    assert checked.status_code == 200 and refused.status_code == 422
    errors = [i for i in _issues(checked.json()) if i[0] in ("error", "fatal")]
    assert errors and errors == _issues(refused.json())
    assert counts(store) == before


def test_the_phi_guard_and_the_status_rule_are_applied(live, tokens, store):
    before = counts(store)
    for name, bundle in negative_bundles().items():
        checked = post(live, "/fhir/Bundle/$validate", bundle, tokens["Lab A"])
        refused = post(live, "/fhir/Bundle", bundle, tokens["Lab A"])
        assert checked.status_code == 200 and refused.status_code == 422, name
        errors = [i for i in _issues(checked.json()) if i[0] == "error"]
        assert errors == _issues(refused.json()), name
        assert not any(value in checked.text for value in CANARY.values()), name  # never echoes what was sent
    preliminary = canary_bundle()
    report = next(e["resource"] for e in preliminary["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
    report["status"] = "preliminary"
    checked = _issues(post(live, "/fhir/Bundle/$validate", preliminary, tokens["Lab A"]).json())
    assert ("error", "business-rule", "DiagnosticReport.status") in [i[:3] for i in checked]
    assert counts(store) == before


def test_parameters_form_mode_and_profile(live, tokens):
    observation = fixture("genomics-reporting/Observation-NTHL1-snv-var.json")
    base = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"

    def call(*params, path="/fhir/Observation/$validate"):
        return post(live, path, {"resourceType": "Parameters", "parameter": list(params)}, tokens["Lab A"])

    resource = {"name": "resource", "resource": observation}
    ok = call(resource, {"name": "mode", "valueCode": "create"},
              {"name": "profile", "valueCanonical": base + "variant"})
    assert ok.status_code == 200 and ok.json()["issue"][0]["severity"] != "error"
    assert post(live, "/fhir/Observation/$validate", observation, tokens["Lab A"]).json() == ok.json()
    for params, status in (((resource, {"name": "mode", "valueCode": "update"}), 422),
                           ((resource, {"name": "profile", "valueCanonical": "http://example.org/Other"}), 422),
                           (({"name": "mode", "valueCode": "create"},), 422)):
        refused = call(*params)
        assert refused.status_code == status and refused.json()["resourceType"] == "OperationOutcome"
    wrong_type = post(live, "/fhir/Observation/$validate", fixture(CONFORMANT), tokens["Lab A"])
    assert wrong_type.status_code == 422
    batch = copy.deepcopy(fixture("synthetic/transaction-bundle.json")) | {"type": "batch"}
    assert post(live, "/fhir/Bundle/$validate", batch, tokens["Lab A"]).status_code == 422
    assert post(live, "/fhir/Bundle/$validate", b"{not json", tokens["Lab A"]).status_code == 400
    assert post(live, "/fhir/Bundle/$validate", fixture(CONFORMANT), tokens["Lab A"],
                content_type="text/plain").status_code == 415


def test_roles_and_audit(live, tokens, store):
    bundle = fixture(CONFORMANT)
    assert post(live, "/fhir/Bundle/$validate", bundle, None).status_code == 401
    assert post(live, "/fhir/Bundle/$validate", bundle, tokens["Reader"]).status_code == 403
    before = _audit_count(store)
    post(live, "/fhir/Bundle/$validate", bundle, tokens["Lab A"])
    assert _audit_count(store) == before + 1
    events = requests.get(live.url + "/fhir/AuditEvent?type=operation", timeout=10,
                          headers={"Authorization": f"Bearer {tokens['Lab A']}"}).json()
    [event] = [e["resource"] for e in events["entry"]]
    assert event["subtype"][0]["code"] == "operation" and event["outcome"] == "0"
    assert "validate" in str(event["entity"])


JSON_VALUE = json_values()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(seed=st.sampled_from(["synthetic/grch38-spdi.json", CONFORMANT, "synthetic/every-term.json"]),
       choice=st.integers(0, 10_000), replacement=JSON_VALUE, delete=st.booleans())
def test_mutated_bundles_never_cause_a_server_error(live, tokens, store, seed, choice, replacement, delete):
    before = counts(store)
    response = post(live, "/fhir/Bundle/$validate", mutated(fixture(seed), choice, replacement, delete),
                    tokens["Lab A"])
    assert response.status_code < 500, response.text[:300]
    assert response.json()["resourceType"] == "OperationOutcome"
    assert counts(store) == before
