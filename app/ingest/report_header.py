"""Report-level facts: identifiers, status, issued date and the performing organisation (provenance only).

The performer never decides the submitter (classification-aggregation.md §17); only an Organization's
identifier value or id is kept, never a person's name or any display text.
"""

from __future__ import annotations

import datetime as dt

from app.domain.reports import Issue
from app.ingest.bundle_index import BundleIndex, Entry
from app.ingest.values import date_of, identifiers_of, list_of, text_of

REPORT_STATUSES = frozenset(
    {
        "registered",
        "partial",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "appended",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
OBSERVATION_STATUSES = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
)


def read_status(entry: Entry, issues: list[Issue]) -> str:
    """The report's status; an unknown or missing code is an error (defaulting would misfile a retraction)."""
    allowed = REPORT_STATUSES if entry.resource_type == "DiagnosticReport" else OBSERVATION_STATUSES
    status = text_of(entry.resource.get("status"))
    if status not in allowed:
        issues.append(
            Issue(
                "error",
                "value",
                f"{entry.location}.status",
                f"{entry.resource_type}.status is missing or not a FHIR R4 status code.",
            )
        )
        return "unknown"
    return status


def read_issued(entry: Entry) -> dt.date | None:
    """``issued`` as a date."""
    return date_of(entry.resource.get("issued"))


def read_performer(index: BundleIndex, entry: Entry) -> str | None:
    """The performing Organization's identifier value, else its id; None when no Organization performed it."""
    for reference in list_of(entry.resource.get("performer")):
        if not isinstance(reference, dict):
            continue
        target = index.resolve(reference, entry)
        if target is not None:
            if target.resource_type != "Organization":
                continue
            identifiers = identifiers_of(target.resource)
            if identifiers:
                return identifiers[0][1]
            if target.local_id:
                return target.local_id
            continue
        text = reference.get("reference")
        if isinstance(text, str) and text.startswith("Organization/"):
            return text.split("/")[1] or None
        identifier = reference.get("identifier")
        if reference.get("type") == "Organization" and isinstance(identifier, dict):
            value = text_of(identifier.get("value"))
            if value:
                return value
    return None
