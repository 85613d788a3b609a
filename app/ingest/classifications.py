"""Assertions attached to identified variants become Classifications; conflicts within one report are errors.

The first assertion for a (variant, condition) pair is kept; a repeat with the same term is dropped, and a
different term is an error (genomics-reporting.md §6: "two different terms ... reject the submission").
"""

from __future__ import annotations

from app.domain.reports import Classification, Finding, Issue
from app.ingest.bundle_index import Entry
from app.ingest.findings import Found
from app.ingest.implications import Assertion


def kept_assertions(
    pairs: list[tuple[Assertion, Found]], issues: list[Issue]
) -> list[tuple[Assertion, Found]]:
    """The first assertion per (variant, condition), in order; a different term for a kept pair adds an error."""
    seen: dict[tuple[str, str], Assertion] = {}
    out: list[tuple[Assertion, Found]] = []
    for assertion, finding in pairs:
        key = (finding.variant.key, assertion.condition.key)
        earlier = seen.get(key)
        if earlier is not None:
            if earlier.term != assertion.term:
                issues.append(
                    Issue(
                        "error",
                        "conflict",
                        assertion.location,
                        "Two different classifications for the same variant and condition in one report "
                        f"(the other is at {earlier.location}).",
                    )
                )
            continue
        seen[key] = assertion
        out.append((assertion, finding))
    return out


def build_classifications(
    pairs: list[tuple[Assertion, Found]], issues: list[Issue]
) -> list[Classification]:
    """One germline Classification per (variant, condition) (:func:`kept_assertions`)."""
    return [
        Classification(
            variant=finding.variant,
            condition=assertion.condition,
            term=assertion.term,
            term_recognised=assertion.term_recognised,
            classification_type="germline",
            criteria_provided=assertion.criteria_code is not None,
            criteria_code=assertion.criteria_code,
            date_last_evaluated=assertion.date_last_evaluated,
            mode_of_inheritance=assertion.mode_of_inheritance,
            origin=finding.origin,
            location=assertion.location,
        )
        for assertion, finding in kept_assertions(pairs, issues)
    ]


def with_stated_terms(
    findings: list[tuple[Entry, Found]], classifications: list[Classification]
) -> list[tuple[Entry, Finding]]:
    """Each finding with its ``stated_term``: the report's (first) classification of that variant, if any."""
    stated: dict[str, str] = {}
    for classification in classifications:
        stated.setdefault(classification.variant.key, classification.term)
    return [(entry, found.finding(stated.get(found.variant.key))) for entry, found in findings]
