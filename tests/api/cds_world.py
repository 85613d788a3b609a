"""The CDS fixture world (tests/data/cds/world.json): shared submissions, the EHR's records and hook requests.

Deterministic: the same store content and the same EHR-side FHIR resources every run. The EHR-side resources
are what an EHR's FHIR server holds (Patient, Variant and Diagnostic Implication Observations, genomic
DiagnosticReports); ``prefetch_for`` packs them as a CDS client would, ``fhir_server_resources`` as a FHIR
server serves them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.api.lab_bundles import ACCESSIONS, LOINC, MONDO, TBD, TERMS, Allele, lab_report

DATA = Path(__file__).resolve().parents[1] / "data" / "cds"
WORLD = json.loads((DATA / "world.json").read_text())
MRN_SYSTEM = "http://hospital.example/mrn"
EHR_NAME = "Demo EHR Hospital"
GENETICS = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE"}]}


def allele(name: str) -> Allele:
    spec = WORLD["alleles"][name]
    return Allele(spec["chromosome"], spec["position"], spec["ref"], spec["alt"], spec["gene"])


def seed_store(ingest, tenants) -> None:
    """Register the world's submitters and store their submissions and the EHR's own earlier report."""
    for name, role in WORLD["submitters"].items():
        tenants.add(name, role)
    for i, item in enumerate(WORLD["submissions"]):
        bundle = lab_report([(allele(item["allele"]), item["term"])], report_id=f"world-{i}",
                            evaluated=item["evaluated"])
        ingest.submit(tenants.caller_named(item["submitter"]), bundle)
    for i, item in enumerate(WORLD["ehr_reports"]):
        mrn = WORLD["patients"][item["patient"]]["mrn"]
        bundle = lab_report([(allele(item["allele"]), item["term"])], report_id=f"ehr-{i}", patient_mrn=mrn,
                            evaluated=item["evaluated"], criteria=False)
        ingest.submit(tenants.caller_named(EHR_NAME), bundle)


def _cc(code: str, system: str = LOINC, display: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _variant(patient_id: str, index: int, name: str) -> dict:
    spec = WORLD["alleles"][name]
    return {
        "resourceType": "Observation", "id": f"{patient_id}-v{index}", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory"}]}],
        "code": _cc("69548-6", display="Genetic variant assessment"),
        "subject": {"reference": f"Patient/{patient_id}"},
        "valueCodeableConcept": _cc("LA9633-4", display="Present"),
        "component": [
            {"code": _cc("48018-6"), "valueCodeableConcept": _cc(f"HGNC:{spec['gene']}", "http://www.genenames.org",
                                                                  spec["gene"])},
            {"code": _cc("48004-6"), "valueCodeableConcept": _cc(spec["hgvs_c"], "http://varnomen.hgvs.org")},
            {"code": _cc("62374-4"), "valueCodeableConcept": _cc("LA26806-2")},
            {"code": _cc("48013-7"), "valueCodeableConcept": _cc(ACCESSIONS[spec["chromosome"]],
                                                                  "http://www.ncbi.nlm.nih.gov/refseq")},
            {"code": _cc("92822-6"), "valueCodeableConcept": _cc("LA30102-0")},
            {"code": _cc("81254-5"), "valueRange": {"low": {"value": spec["position"]}}},
            {"code": _cc("69547-8"), "valueString": spec["ref"]},
            {"code": _cc("69551-0"), "valueString": spec["alt"]},
            {"code": _cc("53034-5"), "valueCodeableConcept": _cc("LA6706-1")},
        ],
    }


def _implication(patient_id: str, index: int, stated: str, evaluated: str) -> dict:
    code, display = TERMS[stated]
    return {
        "resourceType": "Observation", "id": f"{patient_id}-i{index}", "status": "final",
        "code": _cc("diagnostic-implication", TBD), "subject": {"reference": f"Patient/{patient_id}"},
        "derivedFrom": [{"reference": f"Observation/{patient_id}-v{index}"}], "effectiveDateTime": evaluated,
        "component": [{"code": _cc("53037-8"), "valueCodeableConcept": _cc(code, LOINC, display)},
                      {"code": _cc("81259-4"), "valueCodeableConcept": _cc("MONDO:0011450", MONDO)}],
    }


def ehr_records(patient_id: str) -> dict[str, list[dict]]:
    """The EHR's resources for one patient, by prefetch key."""
    spec = WORLD["patients"][patient_id]
    variants = [_variant(patient_id, i, v["allele"]) for i, v in enumerate(spec["variants"])]
    implications = [_implication(patient_id, i, v["stated"], v["evaluated"]) for i, v in enumerate(spec["variants"])]
    reports = []
    if variants:
        results = [{"reference": f"Observation/{r['id']}"} for r in variants + implications]
        reports.append({"resourceType": "DiagnosticReport", "id": f"{patient_id}-r1", "status": "final",
                        "category": [GENETICS], "code": _cc("51969-4"),
                        "subject": {"reference": f"Patient/{patient_id}"},
                        "issued": spec["variants"][-1]["evaluated"] + "T12:00:00Z", "result": results})
    patient = {"resourceType": "Patient", "id": patient_id,
               "identifier": [{"system": MRN_SYSTEM, "value": spec["mrn"]}]}
    return {"patient": [patient], "variants": variants, "implications": implications, "reports": reports}


def searchset(resources: list[dict]) -> dict:
    """A searchset Bundle of resources, as a FHIR server answers a search."""
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"https://ehr.example/fhir/{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


def prefetch_for(patient_id: str) -> dict:
    """The full prefetch a CDS client sends for the patient."""
    records = ehr_records(patient_id)
    return {"patient": records["patient"][0], **{key: searchset(records[key])
                                                 for key in ("variants", "implications", "reports")}}


def hook_request(hook: str, patient_id: str, *, prefetch: dict | None = None, **extra) -> dict:
    """A hook call body for ``patient_id`` (full prefetch unless one is given)."""
    body = {"hook": hook, "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/dr-1", "patientId": patient_id},
            "prefetch": prefetch_for(patient_id) if prefetch is None else prefetch}
    body.update(extra)
    return body


def service_request(ident: str, code: str, system: str = "http://lab.example/tests", display: str | None = None,
                    **extra) -> dict:
    """A draft ServiceRequest (no intent, as the CDS Hooks Sandbox sends drafts)."""
    return {"resourceType": "ServiceRequest", "id": ident, "status": "draft", "code": _cc(code, system, display),
            "subject": {"reference": "Patient/x"}, **extra}


def draft_orders(*resources: dict) -> dict:
    """A draftOrders Bundle without ``type`` (as the CDS Hooks Sandbox sends it)."""
    return {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}
