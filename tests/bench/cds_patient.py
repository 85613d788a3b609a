"""The benchmark's patient: 25 Variant Observations (SNVs of the synthetic store) with their Diagnostic
Implications and one genomic report, packed as a full ``patient-view`` prefetch; deterministic for a seed."""

from __future__ import annotations

import random
import uuid

import orjson

from app.domain.accessions import CHROMOSOME_ACCESSIONS

LOINC = "http://loinc.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
TERMS = (("LA6668-3", "Pathogenic"), ("LA26332-9", "Likely pathogenic"), ("LA26333-7", "Uncertain significance"),
         ("LA26334-5", "Likely benign"), ("LA6675-8", "Benign"))


def _cc(code: str, system: str = LOINC) -> dict:
    return {"coding": [{"system": system, "code": code}]}


def _variant(patient: str, index: int, key: str) -> dict:
    assembly, chromosome, position, ref, alt = key.split(":")
    return {"resourceType": "Observation", "id": f"v{index}", "status": "final", "code": _cc("69548-6"),
            "subject": {"reference": f"Patient/{patient}"}, "valueCodeableConcept": _cc("LA9633-4"),
            "component": [
                {"code": _cc("48013-7"), "valueCodeableConcept": _cc(CHROMOSOME_ACCESSIONS[(assembly, chromosome)],
                                                                      "http://www.ncbi.nlm.nih.gov/refseq")},
                {"code": _cc("92822-6"), "valueCodeableConcept": _cc("LA30102-0")},
                {"code": _cc("62374-4"), "valueCodeableConcept": _cc("LA26806-2")},
                {"code": _cc("81254-5"), "valueRange": {"low": {"value": int(position)}}},
                {"code": _cc("69547-8"), "valueString": ref}, {"code": _cc("69551-0"), "valueString": alt},
                {"code": _cc("53034-5"), "valueCodeableConcept": _cc("LA6706-1")}]}


def _implication(patient: str, index: int, rng: random.Random) -> dict:
    code, display = rng.choice(TERMS)
    return {"resourceType": "Observation", "id": f"i{index}", "status": "final",
            "code": _cc("diagnostic-implication", TBD), "subject": {"reference": f"Patient/{patient}"},
            "derivedFrom": [{"reference": f"Observation/v{index}"}], "effectiveDateTime": f"{2015 + index % 9}-03-01",
            "component": [{"code": _cc("53037-8"), "valueCodeableConcept": {"coding": [
                {"system": LOINC, "code": code, "display": display}]}}]}


def _searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def patient_view_body(keys: list[str], seed: int, count: int = 25, patient: str = "bench-patient") -> dict:
    """A patient-view request carrying ``count`` SNVs drawn from ``keys`` (the store's variant keys)."""
    rng = random.Random(seed)
    snvs = [k for k in rng.sample(keys, min(len(keys), 50 * count)) if len(k.split(":")[3]) == 1
            and len(k.split(":")[4]) == 1 and "-" not in k.split(":")[3:]][:count]
    variants = [_variant(patient, i, key) for i, key in enumerate(snvs)]
    implications = [_implication(patient, i, rng) for i in range(len(snvs))]
    report = {"resourceType": "DiagnosticReport", "id": "r1", "status": "final", "code": _cc("51969-4"),
              "subject": {"reference": f"Patient/{patient}"}, "issued": "2023-03-01T12:00:00Z",
              "result": [{"reference": f"Observation/{r['id']}"} for r in variants + implications]}
    return {"hook": "patient-view", "hookInstance": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "context": {"userId": "Practitioner/bench", "patientId": patient},
            "prefetch": {"patient": {"resourceType": "Patient", "id": patient,
                                     "identifier": [{"system": "http://bench.example/mrn", "value": "BENCH-1"}]},
                         "variants": _searchset(variants), "implications": _searchset(implications),
                         "reports": _searchset([report])}}


def body_bytes(body: dict) -> bytes:
    return orjson.dumps(body)
