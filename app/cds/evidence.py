"""The patient's reported variants, read leniently from the EHR's FHIR data with the ingest mapper.

The prefetched (or fetched) Patient, variant and implication Observations and genomic DiagnosticReports are
put into one collection Bundle and mapped with ``map_submission(lenient=True, validate=False)``: targeted
checks only at hook time, because full model validation costs several times the mapping. The mapping runs as
``read_for_hook``, which stops where the findings and classifications are known instead of building the whole
report (issues, case records, Classification objects). What the patient's reports stated about a variant is the
most recently evaluated classification of it; its year is that evaluation's year, else the year of the report
listing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from app.domain.reports import Finding, Variant
from app.ingest.findings import Found
from app.ingest.mapper import map_submission, read_for_hook
from app.ingest.values import date_of, identifiers_of, list_of


class ReportedVariant(NamedTuple):
    """A variant the patient carries, as the EHR's records state it (immutable; a tuple, built per variant)."""

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
        listed = (report_id, issued.year if issued else None)
        for reference in list_of(report.get("result")):
            text = reference.get("reference") if isinstance(reference, dict) else None
            if isinstance(text, str) and text.startswith("Observation/"):
                by_observation.setdefault(text.split("/", 2)[1], listed)
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


def _read(bundle: dict) -> tuple[list[Found] | list[Finding], list[tuple[str, str, dt.date | None]]]:
    """The findings the mapper reads (in case order) and its classifications as (variant key, term, evaluated)."""
    reading = read_for_hook(bundle)
    if reading is not None:
        return reading.findings, [(f.variant.key, a.term, a.date_last_evaluated) for a, f in reading.classified]
    mapped = map_submission(bundle, lenient=True, validate=False)
    return (
        [finding for case in mapped.cases for finding in case.findings],
        [(c.variant.key, c.term, c.date_last_evaluated) for c in mapped.classifications],
    )


def _stated(classified: list[tuple[str, str, dt.date | None]]) -> dict[str, tuple[str, int | None]]:
    """Variant key -> (term, year) of the most recently evaluated classification the reports state."""
    best: dict[str, tuple[str, int | None, tuple]] = {}
    for key, term, evaluated in classified:
        rank = (evaluated is not None, evaluated)
        current = best.get(key)
        if current is None or rank > current[2]:
            best[key] = (term, evaluated.year if evaluated else None, rank)
    return {key: (term, year) for key, (term, year, _) in best.items()}


def read_patient_genomics(patient_id: str, patient: dict | None, observations: list[dict],
                          reports: list[dict]) -> PatientGenomics:
    """The patient's variants (one per variant key), their stated classifications and the patient's identifiers."""
    bundle = _bundle(patient, observations, patient_id)
    findings, classified = _read(bundle)
    by_observation = _report_of(reports)
    stated = _stated(classified)
    found: dict[str, ReportedVariant] = {}
    for finding in findings:
        key = finding.variant.key
        if key in found:
            continue
        observation_id = _observation_id(bundle, finding.location)
        report_id, report_year = by_observation.get(observation_id or "", (None, None))
        # A variant without a classification has no stated term (the mapper's stated_term comes from them).
        term, year = stated.get(key, (None, None))
        found[key] = ReportedVariant(finding.variant, term, year or report_year, observation_id, report_id)
    identifiers = identifiers_of(patient) if patient is not None and patient.get("resourceType") == "Patient" else []
    return PatientGenomics(list(found.values()), identifiers)
