"""What a Diagnostic Implication (or an STU1 53037-8 Observation, or a 53037-8 Variant component) asserts.

Reads the term, condition(s), mode of inheritance, date last evaluated and review basis; the variant it is
about is decided by :mod:`app.ingest.linking`. An unknown term is kept verbatim (``term_recognised`` False)
with a warning (this project's rule, overriding the reference's "reject"). ``Observation.method`` only sets
``criteria_provided``/``criteria_code``; its text is never kept (classification-aggregation.md §17).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from app.domain.reports import NOT_SPECIFIED, Condition, Issue
from app.domain.terms import TermMatch, match_coding, match_term_text
from app.ingest.codings import code_pairs, codings, concept_text
from app.ingest.components import CONDITIONS, INHERITANCE, SIGNIFICANCE, Components
from app.ingest.conditions import condition_from_concept
from app.ingest.values import date_of, effective_date

CRITERIA_CODES = ("acmg-amp-2015", "clingen-cgc-vicc-2022", "amp-asco-cap-2017")
# Checked in order: the oncogenicity and somatic patterns before the germline one.
CRITERIA_PATTERNS = (
    (re.compile(r"clin\s*gen[\s/-]*cgc[\s/-]*vicc", re.IGNORECASE), "clingen-cgc-vicc-2022"),
    (re.compile(r"amp[\s/-]*asco[\s/-]*cap", re.IGNORECASE), "amp-asco-cap-2017"),
    (re.compile(r"acmg[\s/-]*(?:and\s*)?amp", re.IGNORECASE), "acmg-amp-2015"),
)


class Assertion(NamedTuple):
    """One classification statement before its variant is known."""

    term: str
    term_recognised: bool
    condition: Condition
    criteria_code: str | None
    date_last_evaluated: dt.date | None
    mode_of_inheritance: str | None
    location: str


def match_term(concept: object) -> TermMatch | None:
    """The term of a 53037-8 value: any recognised coding, else its text; None when the value is empty."""
    found = codings(concept)
    for system, code, display in found:
        match = match_coding(system, code, display)
        if match is not None:
            return match
    text = concept_text(concept)
    if text:
        return match_term_text(text)
    if found:
        system, code, display = found[0]
        return match_term_text(display or code)
    return None


def read_criteria(observation: dict) -> str | None:
    """The assertion-criteria code named by ``method`` (coding code/display or text), or None."""
    method = observation.get("method")
    if not isinstance(method, dict):
        return None
    texts = []
    for _, code, display in codings(method):
        if code.lower() in CRITERIA_CODES:
            return code.lower()
        texts.append(code)
        if display:
            texts.append(display)
    text = concept_text(method)
    if text:
        texts.append(text)
    for candidate in texts:
        for pattern, criteria in CRITERIA_PATTERNS:
            if pattern.search(candidate):
                return criteria
    return None


def _inheritance(components: Components) -> str | None:
    codes = components.codes
    if INHERITANCE[0] not in codes and INHERITANCE[1] not in codes:
        return None
    item = components.first(*INHERITANCE)
    found = code_pairs(item[1].get("valueCodeableConcept"))
    return found[0][1] if found else None


def evaluation_date(observation: dict) -> dt.date | None:
    """effective[x], else ``issued``; a year/month-only effective date is refined by an ``issued`` within."""
    effective = effective_date(observation)
    issued = date_of(observation.get("issued"))
    if effective is None or issued is None:
        return effective or issued
    text = observation.get("effectiveDateTime")
    if (
        isinstance(text, str)
        and len(text.strip()) < 10
        and issued is not None
        and issued.year == effective.year
        and (len(text.strip()) == 4 or issued.month == effective.month)
    ):
        return issued
    return effective


def read_assertions(
    observation: dict,
    components: Components,
    value: object,
    value_location: str,
    report_issued: dt.date | None,
    issues: list[Issue],
) -> list[Assertion]:
    """The assertions of one implication: one per condition component (or one for "not specified")."""
    match = match_term(value)
    if match is None:
        issues.append(
            Issue(
                "warning",
                "required",
                value_location,
                "The clinical significance (53037-8) has no value; the implication was skipped.",
            )
        )
        return []
    if not match.recognised:
        issues.append(
            Issue(
                "warning",
                "code-invalid",
                value_location,
                "Unrecognised classification term: kept verbatim as an unmapped term. Send a LOINC "
                "LL4034-6 answer or a ClinVar term from the project code system.",
            )
        )
    elif match.legacy:
        issues.append(
            Issue(
                "information",
                "informational",
                value_location,
                f"A retired significance code was mapped to '{match.term}'.",
            )
        )
    evaluated = evaluation_date(observation) or report_issued
    codes = components.codes
    if CONDITIONS[0] in codes or CONDITIONS[1] in codes:
        conditions = [
            condition_from_concept(c.get("valueCodeableConcept")) for _, c in components.all(*CONDITIONS)
        ]
        conditions = list(dict.fromkeys(c for c in conditions if c is not NOT_SPECIFIED)) or [NOT_SPECIFIED]
    else:
        conditions = [NOT_SPECIFIED]
    criteria = read_criteria(observation)
    inheritance = _inheritance(components)
    location = components.base
    return [
        Assertion(match.term, match.recognised, condition, criteria, evaluated, inheritance, location)
        for condition in conditions
    ]


def significance_value(components: Components) -> tuple[object, str] | None:
    """The 53037-8 component's value and location, if the Observation has one."""
    items = components.codes.get(SIGNIFICANCE)
    if not items:
        return None
    index, component = items[0]
    return component.get("valueCodeableConcept"), f"{components.base}.component[{index}]"
