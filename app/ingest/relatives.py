"""Relatives from FamilyMemberHistory: relationship, sex and coded conditions only.

Names, dates, ages, notes and condition text of relatives are never read. RelatedPerson and Patient.contact
carry no clinical content and are not mapped at all (their identifying values still feed the PHI guard).
"""

from __future__ import annotations

from app.domain.reports import Condition, Relative
from app.ingest.bundle_index import BundleIndex, Entry
from app.ingest.codings import codings
from app.ingest.conditions import condition_from_coding
from app.ingest.values import list_of

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
GENDER = "http://hl7.org/fhir/administrative-gender"
_SEXES = frozenset({"male", "female", "other", "unknown"})
_SKIPPED_STATUSES = frozenset({"entered-in-error"})


def _relationship(concept: object) -> str | None:
    for system, code, _ in codings(concept):
        if system == ROLE_CODE and code.isalnum() and len(code) <= 10:
            return code.upper()
    return None


def _sex(concept: object) -> str | None:
    for system, code, _ in codings(concept):
        if system in (GENDER, "") and code in _SEXES:
            return code
    return None


def _conditions(resource: dict) -> tuple[Condition, ...]:
    found: dict[str, Condition] = {}
    for item in list_of(resource.get("condition")):
        if not isinstance(item, dict):
            continue
        for system, code, _ in codings(item.get("code"))[:1]:
            condition = condition_from_coding(system, code)
            found.setdefault(condition.key, condition)
    return tuple(found.values())


def read_relatives(index: BundleIndex, patient: object) -> list[Relative]:
    """The family history recorded for one patient (identified by its subject key in the index)."""
    out = []
    for entry in index.of_type("FamilyMemberHistory"):
        resource = entry.resource
        if resource.get("status") in _SKIPPED_STATUSES or _patient_of(index, entry) != patient:
            continue
        out.append(Relative(relationship=_relationship(resource.get("relationship")),
                            sex=_sex(resource.get("sex")), conditions=_conditions(resource)))
    return out


def _patient_of(index: BundleIndex, entry: Entry) -> object | None:
    reference = entry.resource.get("patient")
    target = index.resolve(reference, entry)
    if target is not None:
        return target
    text = reference.get("reference") if isinstance(reference, dict) else None
    return text if isinstance(text, str) and text else None
