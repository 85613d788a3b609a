"""Assertions attached to identified variants become Classifications; conflicts within one report are errors.

The first assertion for a (variant, condition) pair is kept; a repeat with the same term is dropped, and a
different term is an error (genomics-reporting.md §6: "two different terms ... reject the submission").
"""

from __future__ import annotations

from app.domain.reports import Classification, Finding, Issue
from app.ingest.bundle_index import Entry
from app.ingest.implications import Assertion


def build_classifications(
    pairs: list[tuple[Assertion, Finding]], issues: list[Issue]
) -> list[Classification]:
    """One germline Classification per (variant, condition); conflicting terms add an error issue."""
    seen: dict[tuple[str, str], Classification] = {}
    out: list[Classification] = []
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
        classification = Classification(
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
        seen[key] = classification
        out.append(classification)
    return out


def with_stated_terms(
    findings: list[tuple[Entry, Finding]], classifications: list[Classification]
) -> list[tuple[Entry, Finding]]:
    """Set each finding's ``stated_term`` to the report's (first) classification of that variant."""
    stated: dict[str, str] = {}
    for classification in classifications:
        stated.setdefault(classification.variant.key, classification.term)
    out = []
    for entry, finding in findings:
        term = stated.get(finding.variant.key)
        if term is not None:
            finding = Finding(
                variant=finding.variant,
                zygosity=finding.zygosity,
                origin=finding.origin,
                stated_term=term,
                location=finding.location,
            )
        out.append((entry, finding))
    return out
