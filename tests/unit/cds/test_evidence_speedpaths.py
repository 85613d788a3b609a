"""The hook-time reader (``read_for_hook``) gives the patient's genomics exactly as reading the whole mapped report
(``map_submission(lenient=True, validate=False)``) did, on the benchmark patient, the CDS world and mutations."""

from __future__ import annotations

import random

import pytest

from app.cds import evidence
from app.cds.evidence import PatientGenomics, ReportedVariant, read_patient_genomics
from app.ingest.mapper import map_submission
from app.ingest.values import identifiers_of
from tests.api import cds_world
from tests.bench.cds_patient import patient_view_body
from tests.json_mutation import mutated


def reference_genomics(patient_id: str, patient: dict | None, observations: list[dict],
                       reports: list[dict]) -> PatientGenomics:
    """read_patient_genomics as it was written on the whole MappedReport: the oracle."""
    bundle = evidence._bundle(patient, observations, patient_id)
    mapped = map_submission(bundle, lenient=True, validate=False)
    by_observation = evidence._report_of(reports)
    best: dict[str, tuple] = {}
    for classification in mapped.classifications:
        evaluated = classification.date_last_evaluated
        rank = (evaluated is not None, evaluated)
        current = best.get(classification.variant.key)
        if current is None or rank > current[2]:
            best[classification.variant.key] = (classification.term, evaluated.year if evaluated else None, rank)
    stated = {key: (term, year) for key, (term, year, _) in best.items()}
    found: dict[str, ReportedVariant] = {}
    for case in mapped.cases:
        for finding in case.findings:
            key = finding.variant.key
            if key in found:
                continue
            observation_id = evidence._observation_id(bundle, finding.location)
            report_id, report_year = by_observation.get(observation_id or "", (None, None))
            term, year = stated.get(key, (finding.stated_term, None))
            found[key] = ReportedVariant(finding.variant, term, year or report_year, observation_id, report_id)
    identifiers = identifiers_of(patient) if patient is not None and patient.get("resourceType") == "Patient" else []
    return PatientGenomics(list(found.values()), identifiers)


def _inputs(prefetch: dict) -> tuple[dict | None, list[dict], list[dict]]:
    def resources(key: str) -> list[dict]:
        bundle = prefetch.get(key)
        entries = bundle.get("entry", []) if isinstance(bundle, dict) else []
        return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]

    patient = prefetch.get("patient")
    return (patient if isinstance(patient, dict) else None,
            resources("variants") + resources("implications"), resources("reports"))


def _prefetches() -> list[tuple[str, dict]]:
    rng = random.Random(1)
    keys = [f"GRCh38:{rng.choice(['1', '7', '13', '17', 'X', 'MT'])}:{rng.randint(10000, 9000000)}:"
            f"{rng.choice('ACGT')}:{rng.choice('ACGT')}" for _ in range(300)]
    keys = [k for k in keys if k.split(":")[3] != k.split(":")[4]]
    found = [("bench-patient", patient_view_body(keys, seed=seed, count=12)["prefetch"]) for seed in range(2)]
    found += [(patient_id, cds_world.prefetch_for(patient_id)) for patient_id in cds_world.WORLD["patients"]]
    return found


PREFETCHES = _prefetches()


@pytest.mark.parametrize(("patient_id", "prefetch"), PREFETCHES, ids=[p for p, _ in PREFETCHES])
def test_reader_equals_reading_the_whole_report(patient_id: str, prefetch: dict) -> None:
    patient, observations, reports = _inputs(prefetch)
    expected = reference_genomics(patient_id, patient, observations, reports)
    assert read_patient_genomics(patient_id, patient, observations, reports) == expected
    assert expected.variants or patient_id == "p-vault"  # its only report is in the vault, not the EHR


def test_reader_equals_reading_the_whole_report_on_mutations() -> None:
    rng = random.Random(42)
    replacements = [None, "", 0, [], {}, "x", "Patient/other", {"reference": "Observation/p-upgrade-v0"},
                    "2019", "2020-02-30", {"coding": [{"system": "http://loinc.org", "code": "LA6675-8"}]},
                    {"resourceType": "FamilyMemberHistory", "id": "f", "status": "completed"}]
    for _ in range(400):
        patient_id, prefetch = rng.choice(PREFETCHES)
        document = mutated(prefetch, rng.randrange(10**9), rng.choice(replacements), rng.random() < 0.3)
        if not isinstance(document, dict):
            continue
        try:
            patient, observations, reports = _inputs(document)
        except (AttributeError, TypeError):
            continue
        try:
            expected = reference_genomics(patient_id, patient, observations, reports)
        except Exception as exc:  # the reader fails on the same inputs, the same way
            with pytest.raises(type(exc)):
                read_patient_genomics(patient_id, patient, observations, reports)
            continue
        assert read_patient_genomics(patient_id, patient, observations, reports) == expected


def test_family_history_takes_the_whole_mapping() -> None:
    """A FamilyMemberHistory (contained here) can make the whole report unreadable: the full mapping decides."""
    patient_id, prefetch = PREFETCHES[0]
    patient, observations, reports = _inputs(prefetch)
    first = {**observations[0], "contained": [{"resourceType": "FamilyMemberHistory", "id": "f", "status": ["x"]}]}
    observations = [first, *observations[1:]]
    expected = reference_genomics(patient_id, patient, observations, reports)
    assert read_patient_genomics(patient_id, patient, observations, reports) == expected
    assert expected.variants == []  # the unhashable status makes map_submission give up, and the hook with it
