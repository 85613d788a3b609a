"""Case-level facts per patient: who the report is about, what was found in them, and their coded phenotypes.

Patient identifiers are read only for :attr:`CaseRecord.patient_identifiers` (the linkage vault). Mixed
subjects are a de-identification hazard: a mapped Observation about another subject is an error; an unmapped
one (e.g. a molecular consequence) is a warning.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from app.deid.ages import age_in_years
from app.domain.reports import CaseRecord, Condition, Finding, Issue
from app.ingest.bundle_index import BundleIndex, Entry
from app.ingest.codings import HPO, codings
from app.ingest.conditions import condition_from_coding, phenotypes_from_concept
from app.ingest.relatives import read_relatives
from app.ingest.routing import MAPPED_KINDS, OTHER
from app.ingest.values import date_of, identifiers_of

_NEGATIVE = frozenset({"refuted", "entered-in-error"})
_T = TypeVar("_T")


class Subjects:
    """Subject identities: the resolved resource when the reference resolves, else the reference text."""

    def __init__(self, index: BundleIndex) -> None:
        self.index = index
        self.report_subject: object | None = None
        self.report_reference: str | None = None
        self._references: dict[object, str] = {}
        self._by_text: dict[str, object] = {}  # subject reference text (not "#...") -> its key, once per submission

    def key_of(self, entry: Entry) -> object | None:
        """The subject identity of a resource, or None when it names no subject."""
        reference = entry.resource.get("subject")
        if not isinstance(reference, dict):
            return None
        text = reference.get("reference")
        if not isinstance(text, str) or not text:
            return None  # nothing to resolve, and no text to key by
        if text[0] != "#":  # resolved the same from every entry
            key = self._by_text.get(text)
            if key is None:
                key = self._by_text[text] = self._key(self.index.resolve(text, entry), text)
            return key
        return self._key(self.index.resolve(text, entry), text)

    def _key(self, target: Entry | None, text: str) -> object:
        key: object = target if target is not None else text
        self._references.setdefault(key, text)
        return key

    def reference_of(self, key: object) -> str:
        return self._references.get(key, "")

    def check(self, entry: Entry, kind: str, issues: list[Issue]) -> bool:
        """Whether the entry is about the report's subject (adopting it when the report names none)."""
        key = self.key_of(entry)
        if key is None:
            return True
        if self.report_subject is None:
            if kind in MAPPED_KINDS:
                self.report_subject = key
            return True
        if key is self.report_subject or key == self.report_subject:
            return True
        if kind in MAPPED_KINDS:
            issues.append(
                Issue(
                    "error",
                    "business-rule",
                    f"{entry.location}.subject",
                    "This Observation is about a different subject than the report: one submission "
                    "must describe one patient.",
                )
            )
        else:
            issues.append(
                Issue(
                    "warning",
                    "business-rule",
                    f"{entry.location}.subject",
                    "This Observation is about a different subject than the report; it is not mapped.",
                )
            )
        return False


def phenotypes_of(
    index: BundleIndex, subjects: Subjects, kinds: dict[Entry, str], key: object
) -> list[Condition]:
    """HPO/SNOMED-coded phenotypes from Conditions and (non-genomic) Observations about one subject."""
    found: dict[str, Condition] = {}
    for entry in index.entries:
        resource = entry.resource
        if entry.resource_type == "Condition":
            status = resource.get("verificationStatus")
            if any(code in _NEGATIVE for _, code, _ in codings(status)) or subjects.key_of(entry) != key:
                continue
            for condition in phenotypes_from_concept(resource.get("code")):
                found.setdefault(condition.key, condition)
        elif entry.resource_type == "Observation" and kinds.get(entry) == OTHER:
            if subjects.key_of(entry) != key or resource.get("valueBoolean") is False:
                continue
            for condition in phenotypes_from_concept(resource.get("code")):
                found.setdefault(condition.key, condition)
            for system, code, _ in codings(resource.get("valueCodeableConcept")):
                if system == HPO:
                    condition = condition_from_coding(system, code)
                    found.setdefault(condition.key, condition)
    return list(found.values())


def findings_by_subject(subjects: Subjects, findings: list[tuple[Entry, _T]]) -> dict[object, list[_T]]:
    """Findings grouped by subject (in order of first appearance); findings naming no subject go to the report's,
    and are dropped when the report names none either."""
    by_subject: dict[object, list[_T]] = {}
    for entry, finding in findings:
        key = subjects.key_of(entry) or subjects.report_subject
        if key is not None:
            by_subject.setdefault(key, []).append(finding)
    return by_subject


def build_cases(
    index: BundleIndex,
    subjects: Subjects,
    kinds: dict[Entry, str],
    findings: list[tuple[Entry, Finding]],
    report_year: int | None,
    report_date: dt.date | None = None,
) -> list[CaseRecord]:
    """One CaseRecord per subject with findings, phenotypes or family history; none when no subject is named.

    The patient's age at ``report_date`` is computed in memory from ``birthDate`` (which is never kept)."""
    by_subject = findings_by_subject(subjects, findings)
    if subjects.report_subject is not None:
        by_subject.setdefault(subjects.report_subject, [])
    cases = []
    for key, found in by_subject.items():
        phenotypes = phenotypes_of(index, subjects, kinds, key)
        relatives = read_relatives(index, key)
        if not found and not phenotypes and not relatives:
            continue
        identifiers: list[tuple[str, str]] = []
        age = None
        if isinstance(key, Entry) and key.resource_type == "Patient":
            identifiers = identifiers_of(key.resource)
            born = date_of(key.resource.get("birthDate"))
            age = age_in_years(born, report_date) if born and report_date else None
        cases.append(
            CaseRecord(
                patient_ref=subjects.reference_of(key),
                patient_identifiers=identifiers,
                findings=found,
                phenotypes=phenotypes,
                report_year=report_year,
                age_years=age,
                relatives=relatives,
            )
        )
    return cases


def report_date_of(resources: list[dict]) -> dt.date | None:
    """The date of the first ``issued``/``effective[x]`` among the given resources (report first)."""
    for resource in resources:
        for value in (
            resource.get("issued"),
            resource.get("effectiveDateTime"),
            (resource.get("effectivePeriod") or {}).get("start")
            if isinstance(resource.get("effectivePeriod"), dict)
            else None,
        ):
            found = date_of(value)
            if found is not None:
                return found
    return None
