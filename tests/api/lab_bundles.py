"""Builds small, valid Genomics Reporting collection Bundles for end-to-end aggregation scenarios."""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
MONDO = "http://purl.obolibrary.org/obo/mondo.owl"
TERMS = {"P": ("LA6668-3", "Pathogenic"), "LP": ("LA26332-9", "Likely pathogenic"),
         "VUS": ("LA26333-7", "Uncertain significance"), "LB": ("LA26334-5", "Likely benign"),
         "B": ("LA6675-8", "Benign")}
ACCESSIONS = {"17": "NC_000017.11", "13": "NC_000013.11", "7": "NC_000007.14"}


@dataclass(frozen=True)
class Allele:
    """A GRCh38 allele in VCF style."""

    chromosome: str
    position: int
    ref: str
    alt: str
    gene: str

    @property
    def key(self) -> str:
        return f"GRCh38:{self.chromosome}:{self.position}:{self.ref}:{self.alt}"


BRCA1_A = Allele("17", 43045712, "G", "A", "BRCA1")
BRCA1_B = Allele("17", 43057063, "G", "GG", "BRCA1")
BRCA2_A = Allele("13", 32338100, "C", "T", "BRCA2")


def _cc(code: str, system: str = LOINC, display: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _component(code: str, **value) -> dict:
    return {"code": _cc(code), **value}


def _variant(index: int, allele: Allele, subject: str | None) -> dict:
    observation = {
        "resourceType": "Observation", "id": f"v{index}", "status": "final", "code": _cc("69548-6"),
        "valueCodeableConcept": _cc("LA9633-4"),
        "component": [
            _component("48018-6", valueCodeableConcept=_cc(f"HGNC:{allele.gene}", "http://www.genenames.org",
                                                           allele.gene)),
            _component("62374-4", valueCodeableConcept=_cc("LA26806-2")),
            _component("48013-7", valueCodeableConcept=_cc(ACCESSIONS[allele.chromosome],
                                                           "http://www.ncbi.nlm.nih.gov/refseq")),
            _component("92822-6", valueCodeableConcept=_cc("LA30102-0")),
            _component("81254-5", valueRange={"low": {"value": allele.position}}),
            _component("69547-8", valueString=allele.ref),
            _component("69551-0", valueString=allele.alt),
            _component("53034-5", valueCodeableConcept=_cc("LA6706-1")),
        ],
    }
    if subject:
        observation["subject"] = {"reference": subject}
    return observation


def _implication(index: int, term: str, condition: str, subject: str | None, evaluated: str,
                 criteria: bool) -> dict:
    code, display = TERMS[term]
    observation = {
        "resourceType": "Observation", "id": f"i{index}", "status": "final",
        "code": _cc("diagnostic-implication", TBD), "derivedFrom": [{"reference": f"urn:uuid:variant-{index}"}],
        "effectiveDateTime": evaluated,
        "component": [_component("53037-8", valueCodeableConcept=_cc(code, LOINC, display)),
                      _component("81259-4", valueCodeableConcept=_cc(condition, MONDO))],
    }
    if criteria:
        observation["method"] = {"text": "ACMG/AMP 2015"}
    if subject:
        observation["subject"] = {"reference": subject}
    return observation


def lab_report(calls: list[tuple[Allele, str]], *, report_id: str, patient_mrn: str | None = None,
               condition: str = "MONDO:0011450", evaluated: str = "2024-05-01", criteria: bool = True,
               status: str = "final") -> dict:
    """A collection Bundle: one DiagnosticReport, a Variant and a Diagnostic Implication per (allele, term);
    with ``patient_mrn`` it is a patient report (case facts), without it a classification-only submission."""
    subject = "urn:uuid:patient" if patient_mrn else None
    entries: list[dict] = []
    if patient_mrn:
        entries.append({"fullUrl": subject, "resource": {
            "resourceType": "Patient", "id": "p",
            "identifier": [{"system": "http://hospital.example/mrn", "value": patient_mrn}]}})
    results = []
    for i, (allele, term) in enumerate(calls):
        entries.append({"fullUrl": f"urn:uuid:variant-{i}", "resource": _variant(i, allele, subject)})
        entries.append({"fullUrl": f"urn:uuid:implication-{i}",
                        "resource": _implication(i, term, condition, subject, evaluated, criteria)})
        results += [{"reference": f"urn:uuid:variant-{i}"}, {"reference": f"urn:uuid:implication-{i}"}]
    report = {"resourceType": "DiagnosticReport", "id": "r", "status": status, "code": _cc("51969-4"),
              "identifier": [{"system": "http://lab.example/reports", "value": report_id}],
              "issued": f"{evaluated}T12:00:00Z", "result": results}
    if subject:
        report["subject"] = {"reference": subject}
    entries.append({"fullUrl": "urn:uuid:report", "resource": report})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
