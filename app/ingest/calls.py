"""The call on a Variant Observation: present/absent/no-call, zygosity and genomic origin (LOINC answers).

Missing components mean "not stated": nothing here defaults to germline or heterozygous
(genomics-reporting.md §4.3).
"""

from __future__ import annotations

from app.ingest.codings import LOINC, code_pairs
from app.ingest.components import ALLELIC_STATE, GENOMIC_SOURCE_CLASS, Components

PRESENT = "present"
ABSENT = "absent"
NO_CALL = "no-call"
INDETERMINATE = "indeterminate"
MISSING = "missing"
UNKNOWN = "unknown"

_CALLS = {"LA9633-4": PRESENT, "LA9634-2": ABSENT, "LA18198-4": NO_CALL, "LA11884-6": INDETERMINATE}
_ZYGOSITY = {
    "LA6706-1": "heterozygous",
    "LA6705-3": "homozygous",
    "LA6707-9": "hemizygous",
    "LA6703-8": "heteroplasmic",
    "LA6704-6": "homoplasmic",
}
_ORIGIN = {
    "LA6683-2": "germline",
    "LA6684-0": "somatic",
    "LA10429-1": "fetal",
    "LA18194-3": "germline",
    "LA18195-0": "somatic",
    "LA18196-8": "fetal",
    "LA18197-6": "unknown",
    "LA26807-0": "de-novo",
}


def read_call(observation: dict) -> str:
    """The call status from ``valueCodeableConcept`` (LL1971-2), ``missing`` or ``unknown``."""
    concept = observation.get("valueCodeableConcept")
    if concept is None:
        return MISSING
    for system, code in code_pairs(concept):
        if system == LOINC and code in _CALLS:
            return _CALLS[code]
    return UNKNOWN


def _answer(components: Components, code: str, table: dict[str, str]) -> str | None:
    items = components.codes.get(code)
    if not items:
        return None
    for system, answer in code_pairs(items[0][1].get("valueCodeableConcept")):
        if system == LOINC and answer in table:
            return table[answer]
    return None


def read_zygosity(components: Components) -> str | None:
    """Allelic state (53034-5) as a domain zygosity, or None when not stated or not recognised."""
    return _answer(components, ALLELIC_STATE, _ZYGOSITY)


def read_origin(components: Components) -> str | None:
    """Genomic source class (48002-0) as a domain origin ("likely" answers map to their origin)."""
    return _answer(components, GENOMIC_SOURCE_CLASS, _ORIGIN)
