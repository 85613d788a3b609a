"""What kind of genomic Observation a resource is, decided by ``Observation.code`` (never ``meta.profile``).

All codings of the code are considered, with system aliases normalised (genomics-reporting.md §3.1).
"""

from __future__ import annotations

from app.ingest.codings import LOINC, TBD, code_pairs, remember_coding

VARIANT = "variant"
DIAGNOSTIC_IMPLICATION = "diagnostic-implication"
SIGNIFICANCE_STU1 = "significance-stu1"
THERAPEUTIC_IMPLICATION = "therapeutic-implication"
MOLECULAR_CONSEQUENCE = "molecular-consequence"
GENOTYPE = "genotype"
HAPLOTYPE = "haplotype"
PHASE = "phase"
BIOMARKER = "biomarker"
GROUPER = "grouper"
OTHER = "other"

_ROUTES: dict[tuple[str, str], str] = {
    (LOINC, "69548-6"): VARIANT,
    (TBD, "diagnostic-implication"): DIAGNOSTIC_IMPLICATION,
    (LOINC, "53037-8"): SIGNIFICANCE_STU1,
    (TBD, "therapeutic-implication"): THERAPEUTIC_IMPLICATION,
    (LOINC, "53040-2"): THERAPEUTIC_IMPLICATION,
    (LOINC, "51961-1"): THERAPEUTIC_IMPLICATION,
    (LOINC, "83009-1"): THERAPEUTIC_IMPLICATION,
    (TBD, "molecular-consequence"): MOLECULAR_CONSEQUENCE,
    (TBD, "genomic-annotation"): MOLECULAR_CONSEQUENCE,
    (LOINC, "84413-4"): GENOTYPE,
    (LOINC, "84414-2"): HAPLOTYPE,
    (LOINC, "82120-7"): PHASE,
    (LOINC, "94076-7"): BIOMARKER,
    (LOINC, "81695-9"): BIOMARKER,
    (LOINC, "85147-7"): BIOMARKER,
    (LOINC, "51968-6"): OTHER,
    (LOINC, "53041-0"): OTHER,
}

# Kinds whose content goes into the mapped report: their subject must be the report's subject.
MAPPED_KINDS = frozenset({VARIANT, DIAGNOSTIC_IMPLICATION, SIGNIFICANCE_STU1})
# Kinds that stand for a combination of variants (an implication on them classifies the combination).
COMBINATION_KINDS = frozenset({GENOTYPE, HAPLOTYPE})


_single: dict[tuple[object, object], str | None] = {}  # raw (system, code) of a one-coding code -> its kind


def _kind_of(pair: tuple[str, str] | None) -> str | None:
    return _ROUTES.get(pair) if pair is not None else None


def _single_kind(observation: dict) -> str | None:
    """The kind a one-coding ``code`` routes to (remembered per raw system and code); None when there is none."""
    try:
        coding = observation["code"]["coding"]
        if coding.__class__ is not list or len(coding) != 1:
            return None
        system, code = coding[0]["system"], coding[0]["code"]
    except (LookupError, TypeError):
        return None
    try:
        return _single[system, code]
    except KeyError:
        return remember_coding(_single, system, code, _kind_of)
    except TypeError:
        return None


def route_observation(observation: dict) -> str:
    """The kind of an Observation; an unrecognised code with ``hasMember`` is a grouper."""
    kind = _single_kind(observation)  # the usual code: one coding, already seen
    if kind is not None:
        return kind
    matched = [_ROUTES[pair] for pair in code_pairs(observation.get("code")) if pair in _ROUTES]
    if matched:
        # The variant code wins over others when a producer adds extra codings.
        return VARIANT if VARIANT in matched else matched[0]
    members = observation.get("hasMember")
    if isinstance(members, list) and members:
        return GROUPER
    return OTHER
