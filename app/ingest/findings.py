"""One Variant Observation -> a case-level Finding: the call (only Present is a finding) and the identity.

Absent, no-call and indeterminate results and reference calls are information issues, never findings; a
missing call is an error for lab submissions and "present + warning" in lenient (hook-time) mode.
"""

from __future__ import annotations

from typing import NamedTuple

from app.domain.reports import Finding, Issue, Variant
from app.ingest.aliases import read_identifiers
from app.ingest.alleles import identify_variant
from app.ingest.bundle_index import Entry
from app.ingest.calls import MISSING, PRESENT, UNKNOWN, read_call, read_origin, read_zygosity
from app.ingest.components import Components

_NOT_FOUND = {
    "absent": "tested and not found (absent)",
    "no-call": "a no-call",
    "indeterminate": "indeterminate",
}


class Found(NamedTuple):
    """What a Present Variant Observation reports, before the report's classifications give its stated term."""

    variant: Variant
    zygosity: str | None
    origin: str | None
    location: str

    def finding(self, stated_term: str | None = None) -> Finding:
        """The case-level Finding (built once, when the stated term is known)."""
        return Finding(
            variant=self.variant,
            zygosity=self.zygosity,
            origin=self.origin,
            stated_term=stated_term,
            location=self.location,
        )


def read_finding(
    entry: Entry, components: Components, lenient: bool, issues: list[Issue], *, details: bool = True
) -> tuple[Found | None, str]:
    """The finding a Variant Observation reports, or None and why it is not one (issues explain).

    ``details=False`` leaves the zygosity and origin unread (None), for readers that use only the variant.
    """
    call = read_call(entry.resource)
    if call == PRESENT:
        return _read_present(entry, components, lenient, issues, details)
    location = f"{entry.location}.value[x]"
    if call == MISSING and lenient:
        issues.append(Issue("warning", "required", location, "No call value: read as Present."))
        call = PRESENT
    elif call in (MISSING, UNKNOWN):
        severity = "warning" if lenient else "error"
        issues.append(
            Issue(
                severity,
                "required" if call == MISSING else "code-invalid",
                location,
                "A Variant needs valueCodeableConcept from LL1971-2 (LA9633-4 Present, "
                "LA9634-2 Absent, LA18198-4 No call, LA11884-6 Indeterminate).",
            )
        )
        return None, "without a usable call"
    if call != PRESENT:
        issues.append(
            Issue(
                "information",
                "informational",
                location,
                f"The variant is {_NOT_FOUND[call]}: not stored as a finding.",
            )
        )
        return None, _NOT_FOUND[call]
    return _read_present(entry, components, lenient, issues, details)


def _read_present(
    entry: Entry, components: Components, lenient: bool, issues: list[Issue], details: bool
) -> tuple[Found | None, str]:
    """The identity (and call details) of a Variant read as Present."""
    ids = read_identifiers(components)
    for note_location, message in ids.notes:
        issues.append(Issue("information", "informational", note_location, message))
    identity = identify_variant(ids, components)
    for severity, problem_location, message in identity.problems:
        if severity == "error" and lenient:
            severity = "warning"
        issues.append(
            Issue(
                severity,
                "value" if severity != "information" else "informational",
                problem_location,
                message,
            )
        )
    if identity.reference_call:
        issues.append(
            Issue(
                "information",
                "informational",
                entry.location,
                "A reference (wild type) call, not a variant: not stored as a finding.",
            )
        )
        return None, "a reference call"
    if identity.variant is None:
        return None, "rejected"
    if not details:
        return Found(identity.variant, None, None, entry.location), ""
    return Found(identity.variant, read_zygosity(components), read_origin(components), entry.location), ""
