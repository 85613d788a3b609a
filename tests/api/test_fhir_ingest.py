"""POST /fhir, /fhir/Bundle, /fhir/DiagnosticReport, /fhir/Observation and GET /fhir/metadata over real HTTP,
on SQLite and PostgreSQL: receipts, idempotency, amendments, retractions, batch and transaction semantics,
and every error status."""

from __future__ import annotations

import copy

import orjson
import pytest
import requests

from app import create_app
from tests.api.fhir_client import FHIR, counts, current_terms, fixture, parameters, post
from tests.conftest import LiveServer, empty_all_tables, settings_for


@pytest.fixture
def tokens(app):
    tenants = app.extensions["varshare"].tenants
    return {name: tenants.add(name, role)[1] for name, role in
            (("Lab A", "lab"), ("Lab B", "lab"), ("Panel", "expert-panel"), ("Reader", "reader"),
             ("Curator", "curator"), ("Hospital", "ehr"))}


@pytest.fixture
def store(app):
    return app.extensions["varshare"].store


def test_metadata_tells_the_truth(live):
    response = requests.get(live.url + "/fhir/metadata", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(FHIR)
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    rest = statement["rest"][0]
    assert {r["type"] for r in rest["resource"]} == {"Bundle", "DiagnosticReport", "Observation", "AuditEvent"}
    assert all(r["interaction"] == [{"code": "create"}] for r in rest["resource"] if r["type"] != "AuditEvent")
    audit = next(r for r in rest["resource"] if r["type"] == "AuditEvent")
    assert {i["code"] for i in audit["interaction"]} == {"read", "search-type"}
    assert {i["code"] for i in rest["interaction"]} == {"transaction", "batch"}
    # The profiles submissions are checked against (fhir_profiles/), as read from the StructureDefinitions.
    base = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
    by_type = {r["type"]: r.get("supportedProfile") for r in rest["resource"]}
    assert by_type["DiagnosticReport"] == [base + "genomic-report"]
    assert {base + "variant", base + "diagnostic-implication"} <= set(by_type["Observation"])
    assert by_type["Bundle"] is None and by_type["AuditEvent"] is None
    operations = {r["type"]: [o["name"] for o in r.get("operation", [])] for r in rest["resource"]}
    assert operations == {"Bundle": ["validate"], "DiagnosticReport": ["validate"], "Observation": ["validate"],
                          "AuditEvent": []}


def test_the_receipt_reports_deviations_from_the_ig_profiles_without_refusing(live, tokens, store):
    """A report that departs from the STU3 profiles is stored like any other; the receipt's OperationOutcome says
    where it departs (the STU1 example: no GE category on its Variants, the STU1 report code)."""
    response = post(live, "/fhir", fixture("genomics-reporting/stu1-original/oncology-report-example.json"),
                     tokens["Lab A"])
    assert response.status_code == 200, response.text
    outcome = parameters(response.json()["entry"][0]["response"]["outcome"])["outcome"]
    notes = [(i["severity"], i["expression"][0]) for i in outcome["issue"] if "profile" in i["diagnostics"]]
    assert notes == [*(("information", f"Bundle.entry[{i}].resource.category") for i in (3, 4, 5, 6)),
                     ("information", "Bundle.entry[15].resource.code")]
    assert counts(store)["reports"] == 1


@pytest.mark.parametrize("path", ["/fhir", "/fhir/Bundle", "/fhir/DiagnosticReport", "/fhir/Observation"])
def test_authentication_and_roles(live, tokens, store, path):
    body = fixture("synthetic/grch38-spdi.json")
    unauthenticated = post(live, path, body, None)
    assert unauthenticated.status_code == 401 and unauthenticated.headers["WWW-Authenticate"].startswith("Bearer")
    assert unauthenticated.json()["resourceType"] == "OperationOutcome"
    for role in ("Reader", "Curator"):
        forbidden = post(live, path, body, tokens[role])
        assert forbidden.status_code == 403 and forbidden.json()["issue"][0]["code"] == "forbidden"
    assert counts(store)["reports"] == 0


def test_a_lab_report_is_stored_and_answered_with_a_receipt(live, tokens, store):
    response = post(live, "/fhir/Bundle", fixture("synthetic/grch38-spdi.json"), tokens["Lab A"])
    assert response.status_code == 201, response.text
    receipt = parameters(response.json())
    assert receipt["status"] == "final" and receipt["revision"] == 1 and receipt["replayed"] is False
    assert receipt["classificationsCreated"] == 1 and receipt["findings"] == 1 and receipt["cases"] == 1
    [variant] = receipt["variant"]
    assert variant["key"].startswith("GRCh38:17:") and variant["normalised"] is True
    assert current_terms(store) == [(variant["key"], "MONDO:0011450", "Pathogenic")]
    # The receipt can be fetched again by its submitter, and by nobody else.
    location = response.headers["Location"]
    assert location.endswith(f"/api/reports/{receipt['report']}")
    path = f"/api/reports/{receipt['report']}"
    mine = requests.get(live.url + path, headers={"Authorization": f"Bearer {tokens['Lab A']}"}, timeout=10)
    assert mine.status_code == 200 and mine.json()["report"] == receipt["report"]
    theirs = requests.get(live.url + path, headers={"Authorization": f"Bearer {tokens['Lab B']}"}, timeout=10)
    assert theirs.status_code == 404


def test_resending_the_same_bundle_changes_nothing_and_returns_the_same_receipt(live, tokens, store):
    body = orjson.dumps(fixture("synthetic/grch38-spdi.json"))
    first = post(live, "/fhir/Bundle", body, tokens["Lab A"])
    before = counts(store)
    again = post(live, "/fhir/Bundle", body, tokens["Lab A"])
    assert again.status_code == 200
    first_receipt, second_receipt = parameters(first.json()), parameters(again.json())
    assert second_receipt["replayed"] is True
    for name in ("report", "storeVersion", "variant", "classificationsCreated", "findings"):
        assert second_receipt[name] == first_receipt[name]
    assert counts(store) == before
    # Re-serialised with another key order: still the same content.
    reordered = orjson.dumps(fixture("synthetic/grch38-spdi.json"), option=orjson.OPT_SORT_KEYS)
    assert parameters(post(live, "/fhir/Bundle", reordered, tokens["Lab A"]).json())["replayed"] is True


def test_amended_report_replaces_and_entered_in_error_retracts(live, tokens, store):
    original = parameters(post(live, "/fhir/Bundle", fixture("synthetic/report-original.json"), tokens["Lab A"]).json())
    [(key, condition, term)] = current_terms(store)
    assert term == "Pathogenic"

    amended = post(live, "/fhir/Bundle", fixture("synthetic/report-amended.json"), tokens["Lab A"])
    assert amended.status_code == 201, amended.text
    receipt = parameters(amended.json())
    assert receipt["replaces"] == original["report"] and receipt["revision"] == 2
    assert current_terms(store) == [(key, condition, "Likely pathogenic")]
    after_amendment = counts(store)
    assert after_amendment["submissions"] == 2 and after_amendment["current_case_facts"] == after_amendment[
        "case_facts"] - original["findings"]

    retraction = post(live, "/fhir/Bundle", fixture("synthetic/report-entered-in-error.json"), tokens["Lab A"])
    assert retraction.status_code == 201, retraction.text
    assert parameters(retraction.json())["withdrawnVariants"] == 1
    assert current_terms(store) == []
    assert counts(store)["current_case_facts"] == 0
    assert counts(store)["submissions"] == 2  # history kept

    again = post(live, "/fhir/Bundle", with_status(fixture("synthetic/report-entered-in-error.json"), "cancelled"),
                 tokens["Lab A"])
    assert again.status_code == 422 and "not yet retracted" in again.json()["issue"][0]["diagnostics"]


def with_status(bundle: dict, status: str) -> dict:
    copied = copy.deepcopy(bundle)
    for entry in copied["entry"]:
        if entry["resource"]["resourceType"] == "DiagnosticReport":
            entry["resource"]["status"] = status
    return copied


def test_a_different_final_report_with_a_known_identifier_is_a_conflict(live, tokens, store):
    post(live, "/fhir/Bundle", fixture("synthetic/report-original.json"), tokens["Lab A"])
    before = counts(store)
    changed = with_status(fixture("synthetic/report-amended.json"), "final")
    response = post(live, "/fhir/Bundle", changed, tokens["Lab A"])
    assert response.status_code == 409 and "amended" in response.json()["issue"][0]["diagnostics"]
    assert counts(store) == before
    # Another lab's report identifiers never collide with this lab's.
    assert post(live, "/fhir/Bundle", changed, tokens["Lab B"]).status_code == 201


def test_entered_in_error_without_an_earlier_report_is_refused(live, tokens, store):
    response = post(live, "/fhir/Bundle", fixture("synthetic/report-entered-in-error.json"), tokens["Lab A"])
    assert response.status_code == 422 and counts(store)["reports"] == 0


def test_preliminary_reports_are_not_shared(live, tokens, store):
    response = post(live, "/fhir/Bundle", with_status(fixture("synthetic/report-original.json"), "preliminary"),
                    tokens["Lab A"])
    assert response.status_code == 422 and "final" in response.json()["issue"][0]["diagnostics"]
    assert counts(store)["reports"] == 0


def test_invalid_bundle_is_refused_whole_with_located_issues(live, tokens, store):
    response = post(live, "/fhir/Bundle", fixture("synthetic/unknown-element.json"), tokens["Lab A"])
    assert response.status_code == 422
    expressions = [e for issue in response.json()["issue"] for e in issue.get("expression", [])]
    assert "Bundle.entry[2].resource.component[1].valueStringg" in expressions
    assert counts(store) == {k: 0 for k in counts(store)}


def test_mixed_patients_are_refused_and_nothing_is_stored(live, tokens, store):
    response = post(live, "/fhir/Bundle", fixture("synthetic/mixed-subjects.json"), tokens["Lab A"])
    assert response.status_code == 422 and counts(store)["variants"] == 0


def test_bare_diagnostic_report_and_single_observation(live, tokens, store):
    report = fixture("synthetic/bare-report-contained.json")
    response = post(live, "/fhir/DiagnosticReport", report, tokens["Lab A"])
    assert response.status_code == 201, response.text
    observation = fixture("genomics-reporting/Observation-VariantExample.json")
    response = post(live, "/fhir/Observation", observation, tokens["Lab A"])
    assert response.status_code == 201, response.text
    [variant] = parameters(response.json())["variant"]
    assert variant["key"] == "GRCh38:17:39723966:ATTGAGGGAAAACACA:-"
    wrong = post(live, "/fhir/Observation", report, tokens["Lab A"])
    assert wrong.status_code == 422 and "expected Observation" in wrong.json()["issue"][0]["diagnostics"]


def test_transaction_bundle_gets_a_transaction_response(live, tokens, store):
    bundle = fixture("synthetic/transaction-bundle.json")
    response = post(live, "/fhir", bundle, tokens["Lab A"])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == "transaction-response" and len(answer["entry"]) == len(bundle["entry"])
    assert all(e["response"]["status"] == "201 Created" for e in answer["entry"])
    assert parameters(answer["entry"][0]["response"]["outcome"])["findings"] >= 1
    assert counts(store)["reports"] == 1
    # A transaction with one bad entry stores nothing.
    broken = copy.deepcopy(bundle)
    broken["entry"][-1]["resource"]["status"] = 12
    before = counts(store)
    rejected = post(live, "/fhir", broken, tokens["Lab B"])
    assert rejected.status_code == 422 and counts(store) == before


def test_batch_answers_entry_by_entry(live, tokens, store):
    good = fixture("genomics-reporting/Observation-VariantExample.json")
    bad = copy.deepcopy(good)
    bad["valueCodeableConcept"] = "present"
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": good, "request": {"method": "POST", "url": "Observation"}},
        {"resource": bad, "request": {"method": "POST", "url": "Observation"}},
        {"request": {"method": "POST", "url": "Observation"}},
    ]}
    response = post(live, "/fhir", batch, tokens["Lab A"])
    assert response.status_code == 200
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert statuses == ["201 Created", "422 Unprocessable Entity", "400 Bad Request"]
    located = response.json()["entry"][1]["response"]["outcome"]["issue"][0]["expression"][0]
    assert located.startswith("Bundle.entry[1].resource")
    assert counts(store)["reports"] == 1


def test_rest_and_report_bundles_go_to_their_own_endpoints(live, tokens):
    collection = fixture("synthetic/grch38-spdi.json")
    assert post(live, "/fhir", collection, tokens["Lab A"]).status_code == 422
    assert post(live, "/fhir/Bundle", fixture("synthetic/transaction-bundle.json"), tokens["Lab A"]).status_code == 422
    assert post(live, "/fhir/Bundle", {"resourceType": "Patient"}, tokens["Lab A"]).status_code == 422
    assert post(live, "/fhir/Bundle", [1, 2], tokens["Lab A"]).status_code == 422


def test_bad_transport_input(live, tokens):
    body = fixture("synthetic/grch38-spdi.json")
    assert post(live, "/fhir/Bundle", body, tokens["Lab A"], content_type="text/plain").status_code == 415
    assert post(live, "/fhir/Bundle", body, tokens["Lab A"], content_type="application/json").status_code == 201
    broken = post(live, "/fhir/Bundle", b'{"resourceType": "Bundle", ', tokens["Lab A"])
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["issue"][0]["diagnostics"]
    deep: dict = {"resourceType": "Bundle", "type": "collection"}
    node = deep
    for _ in range(150):
        node["x"] = {}
        node = node["x"]
    assert post(live, "/fhir/Bundle", deep, tokens["Lab A"]).status_code == 400


def test_size_and_entry_limits_give_413(migrated_target, tmp_path):
    application = create_app(settings_for(migrated_target, tmp_path, max_bundle_entries=3, max_body_bytes=200_000))
    empty_all_tables(application.extensions["varshare"].store)
    token = application.extensions["varshare"].tenants.add("Lab", "lab")[1]
    server = LiveServer(application).start()
    try:
        too_many = post(server, "/fhir/Bundle", fixture("synthetic/grch38-spdi.json"), token)
        assert too_many.status_code == 413 and too_many.json()["issue"][0]["code"] == "too-costly"
        too_big = post(server, "/fhir/Bundle", b"{" + b" " * 300_000 + b"}", token)
        assert too_big.status_code == 413 and too_big.json()["resourceType"] == "OperationOutcome"
    finally:
        server.stop()
        application.extensions["varshare"].store.dispose()


def test_patient_identity_never_reaches_the_shared_store(live, tokens, store):
    """The CYP2C19 fixture's Patient has a name, identifier, telecom, address and birth date."""
    bundle = fixture("genomics-reporting/Bundle-bundle-CYP2C19.json")
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    response = post(live, "/fhir", bundle, tokens["Lab A"])
    assert response.status_code == 200, response.text
    canaries = [patient["name"][0]["family"], *[i["value"] for i in patient.get("identifier", [])],
                patient.get("birthDate")]
    canaries = [c for c in canaries if c]
    assert canaries
    for engine in (store.engine, store.vault_engine):
        dump = _dump(engine)
        for canary in canaries:
            assert canary not in dump


def _dump(engine) -> str:
    from sqlalchemy import MetaData, select

    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return "\n".join(str(row) for table in meta.sorted_tables for row in conn.execute(select(table)))


def test_two_labs_and_a_newer_evaluation(live, tokens, store):
    bundle = fixture("synthetic/classification-only.json")
    assert post(live, "/fhir/Bundle", bundle, tokens["Lab A"]).status_code == 201
    assert post(live, "/fhir/Bundle", bundle, tokens["Panel"]).status_code == 201
    assert post(live, "/fhir/Bundle", bundle, tokens["Hospital"]).status_code == 201  # EHRs may submit too
    per_lab = len(current_terms(store)) // 3
    assert per_lab >= 1
    newer = _with_effective(bundle, "2030-01-01")
    receipt = parameters(post(live, "/fhir/Bundle", newer, tokens["Lab A"]).json())
    assert receipt["classificationsSuperseded"] == per_lab
    older = _with_effective(bundle, "2001-01-01")
    receipt = parameters(post(live, "/fhir/Bundle", older, tokens["Lab A"]).json())
    assert receipt["classificationsStale"] == per_lab and receipt["classificationsCreated"] == 0
    assert len(current_terms(store)) == 3 * per_lab


def _with_effective(bundle: dict, date: str) -> dict:
    """The same classifications evaluated on ``date``, sent as a new report (a new report identifier)."""
    copied = copy.deepcopy(bundle)
    for entry in copied["entry"]:
        resource = entry["resource"]
        for identifier in resource.get("identifier", []) if resource["resourceType"] == "DiagnosticReport" else []:
            identifier["value"] = f"{identifier['value']}-{date}"
        if resource["resourceType"] == "Observation" and resource.get("code", {}).get("coding", [{}])[0].get(
                "code") == "diagnostic-implication":
            resource.pop("effectiveDateTime", None)
            resource["effectiveDateTime"] = date
    return copied
