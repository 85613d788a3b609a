"""The patient's reported variants, read leniently from the EHR's FHIR data with the ingest mapper.

The prefetched (or fetched) Patient, variant and implication Observations and genomic DiagnosticReports are
put into one collection Bundle and mapped with ``map_submission(lenient=True, validate=False)``: targeted
checks only at hook time, because full model validation costs several times the mapping. What the patient's
reports stated about a variant is the most recently evaluated classification of it; its year is that
evaluation's year, else the year of the report listing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.reports import MappedReport, Variant
from app.ingest.mapper import map_submission
from app.ingest.values import date_of, identifiers_of, list_of


@dataclass(frozen=True)
class ReportedVariant:
    """A variant the patient carries, as the EHR's records state it."""

    variant: Variant
    stated_term: str | None = None
    stated_year: int | None = None
    observation_id: str | None = None  # the Variant Observation's id at the EHR
    report_id: str | None = None  # the DiagnosticReport listing it at the EHR, if known

    @property
    def label(self) -> str:
        """How clinicians name it: gene and c.HGVS (else p. or g. HGVS, else the variant key)."""
        aliases = {alias.kind: alias.value for alias in self.variant.aliases}
        written = next((aliases[k] for k in ("hgvs.c", "hgvs.p", "hgvs.g") if k in aliases), None)
        if written is None:
            return f"{self.variant.gene} {self.variant.key}" if self.variant.gene else self.variant.key
        return f"{self.variant.gene} {written.split(':', 1)[-1]}" if self.variant.gene else written


@dataclass
class PatientGenomics:
    """What the EHR's data says about the patient's genomics."""

    variants: list[ReportedVariant] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)


def _report_of(reports: list[dict]) -> dict[str, tuple[str, int | None]]:
    """Observation id -> (report id, year) from DiagnosticReport.result."""
    by_observation: dict[str, tuple[str, int | None]] = {}
    for report in reports:
        report_id = report.get("id") if isinstance(report.get("id"), str) else None
        if report_id is None:
            continue
        issued = date_of(report.get("issued")) or date_of(report.get("effectiveDateTime"))
        year = issued.year if issued else None
        for reference in list_of(report.get("result")):
            text = reference.get("reference") if isinstance(reference, dict) else None
            if isinstance(text, str) and text.startswith("Observation/"):
                by_observation.setdefault(text.split("/")[1], (report_id, year))
    return by_observation


def _bundle(patient: dict | None, observations: list[dict], patient_id: str) -> dict:
    entries = []
    seen: set[str] = set()
    if patient is not None and patient.get("resourceType") == "Patient":
        entries.append({"resource": patient})
    for resource in observations:
        if resource.get("resourceType") != "Observation":
            continue
        ident = resource.get("id")
        if isinstance(ident, str):
            if ident in seen:
                continue  # the same Observation from two searches
            seen.add(ident)
        if not isinstance(resource.get("subject"), dict):  # searched by patient: the subject is known
            resource = {**resource, "subject": {"reference": f"Patient/{patient_id}"}}
        entries.append({"resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _observation_id(bundle: dict, location: str) -> str | None:
    """The id of the entry at a mapper location such as ``Bundle.entry[3].resource``."""
    if not location.startswith("Bundle.entry["):
        return None
    try:
        index = int(location[len("Bundle.entry["):].split("]", 1)[0])
    except ValueError:
        return None
    ident = bundle["entry"][index]["resource"].get("id")
    return ident if isinstance(ident, str) else None


def _stated(mapped: MappedReport) -> dict[str, tuple[str, int | None]]:
    """Variant key -> (term, year) of the most recently evaluated classification the reports state."""
    best: dict[str, tuple[str, int | None, tuple]] = {}
    for classification in mapped.classifications:
        evaluated = classification.date_last_evaluated
        rank = (evaluated is not None, evaluated)
        current = best.get(classification.variant.key)
        if current is None or rank > current[2]:
            best[classification.variant.key] = (classification.term, evaluated.year if evaluated else None, rank)
    return {key: (term, year) for key, (term, year, _) in best.items()}


def read_patient_genomics(patient_id: str, patient: dict | None, observations: list[dict],
                          reports: list[dict]) -> PatientGenomics:
    """The patient's variants (one per variant key), their stated classifications and the patient's identifiers."""
    bundle = _bundle(patient, observations, patient_id)
    mapped = map_submission(bundle, lenient=True, validate=False)
    by_observation = _report_of(reports)
    stated = _stated(mapped)
    found: dict[str, ReportedVariant] = {}
    for case in mapped.cases:
        for finding in case.findings:
            key = finding.variant.key
            if key in found:
                continue
            observation_id = _observation_id(bundle, finding.location)
            report_id, report_year = by_observation.get(observation_id or "", (None, None))
            term, year = stated.get(key, (finding.stated_term, None))
            found[key] = ReportedVariant(finding.variant, term, year or report_year, observation_id, report_id)
    identifiers = identifiers_of(patient) if patient is not None and patient.get("resourceType") == "Patient" else []
    return PatientGenomics(list(found.values()), identifiers)
