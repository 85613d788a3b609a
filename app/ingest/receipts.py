"""FHIR shapes of ingest answers: the receipt (a Parameters resource), transaction/batch response Bundles,
and the CapabilityStatement describing what the ingest endpoint accepts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.domain.reports import Issue
from app.ingest.outcome import build_operation_outcome

_STATUS_TEXT = {200: "200 OK", 201: "201 Created", 400: "400 Bad Request", 409: "409 Conflict",
                413: "413 Payload Too Large", 422: "422 Unprocessable Entity"}


def build_receipt(receipt: dict[str, Any], issues: list[Issue]) -> dict:
    """A Parameters resource: report id, revision, store version, counts, variants, and the issues."""
    counts = receipt["classifications"]
    params: list[dict] = [
        {"name": "report", "valueId": receipt["report"]},
        {"name": "status", "valueCode": receipt["status"]},
        {"name": "revision", "valueInteger": receipt["revision"]},
        {"name": "storeVersion", "valueInteger": receipt["storeVersion"]},
        {"name": "replayed", "valueBoolean": bool(receipt.get("replayed"))},
        {"name": "classificationsCreated", "valueInteger": counts["created"]},
        {"name": "classificationsUnchanged", "valueInteger": counts["unchanged"]},
        {"name": "classificationsSuperseded", "valueInteger": counts["superseded"]},
        {"name": "classificationsStale", "valueInteger": counts["stale"]},
        {"name": "findings", "valueInteger": receipt["findings"]},
        {"name": "cases", "valueInteger": receipt["cases"]},
        {"name": "withdrawnVariants", "valueInteger": receipt["withdrawnVariants"]},
    ]
    if receipt.get("replaces"):
        params.append({"name": "replaces", "valueId": receipt["replaces"]})
    for variant in receipt["variants"]:
        part = [{"name": "id", "valueString": variant["id"]}, {"name": "key", "valueString": variant["key"]}]
        if variant.get("kind"):
            part.append({"name": "kind", "valueCode": variant["kind"]})
        if variant.get("normalised") is not None:
            part.append({"name": "normalised", "valueBoolean": variant["normalised"]})
        params.append({"name": "variant", "part": part})
    for merge in receipt.get("merged", []):
        params.append({"name": "merged", "part": [{"name": "from", "valueString": merge["from"]},
                                                  {"name": "into", "valueString": merge["into"]}]})
    params.append({"name": "outcome", "resource": build_operation_outcome(issues)})
    return {"resourceType": "Parameters", "parameter": params}


def rebase_issues(issues: list[Issue], entry_index: int) -> list[Issue]:
    """Issues of one batch entry, located inside the batch (``Observation.x`` -> ``Bundle.entry[i].resource.x``)."""
    prefix = f"Bundle.entry[{entry_index}].resource"
    rebased = []
    for issue in issues:
        location = issue.location
        if not location.startswith("Bundle."):
            head, dot, rest = location.partition(".")
            location = f"{prefix}.{rest}" if dot and head[:1].isupper() else prefix if head[:1].isupper() else location
        rebased.append(Issue(issue.severity, issue.code, location, issue.message))
    return rebased


def build_response_entry(status: int, outcome: dict | None = None) -> dict:
    """One ``entry`` of a transaction-response or batch-response Bundle."""
    response: dict[str, Any] = {"status": _STATUS_TEXT.get(status, str(status))}
    if outcome is not None:
        response["outcome"] = outcome
    return {"response": response}


def build_response_bundle(kind: str, entries: list[dict]) -> dict:
    """A ``transaction-response`` or ``batch-response`` Bundle."""
    return {"resourceType": "Bundle", "type": f"{kind}-response",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "entry": entries}


def build_capability_statement(base_url: str, version: str, max_entries: int, max_bytes: int,
                               profiles: dict[str, list[str]] | None = None) -> dict:
    """What the FHIR side of varshare supports, and nothing more. ``profiles``: resource type -> the canonical URLs
    of the profiles submissions of that type are checked against (reported, not enforced)."""
    profiles = profiles or {}
    ig = "http://hl7.org/fhir/uv/genomics-reporting/ImplementationGuide/hl7.fhir.uv.genomics-reporting"
    note = ("Accepts FHIR R4 Genomics Reporting (STU1, STU2, STU3) reports from registered submitters "
            "(bearer token). Reports are mapped into the shared variant store and not kept as resources, so "
            "there is no read or search of them; the audit log is searchable as AuditEvent (each tenant sees the "
            f"events that concern it). Conformance with the Genomics Reporting STU3 profiles listed as supported "
            "profiles is reported in the receipt (warning or information issues), not enforced. "
            f"Limits: {max_entries} entries and {max_bytes} bytes per request.")
    interaction = [{"code": "create"}]
    validate = [{"name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate",
                 "documentation": "what submitting would report (errors, warnings, conformance notes), storing "
                                  "nothing; mode create only"}]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": dt.date.today().isoformat(),
        "kind": "instance",
        "software": {"name": "varshare", "version": version},
        "implementation": {"description": "varshare shared variant store: ingest endpoint", "url": f"{base_url}/fhir"},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "application/json"],
        "implementationGuide": [ig],
        "rest": [{
            "mode": "server",
            "documentation": note,
            "security": {"cors": False, "description": "Authorization: Bearer <tenant API token>",
                         "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                                  "code": "OAuth"}], "text": "Bearer token"}]},
            "resource": [
                {"type": "Bundle", "interaction": interaction, "operation": validate,
                 "documentation": "collection, document or message Bundle holding one genomic report"},
                {"type": "DiagnosticReport", "interaction": interaction, "operation": validate,
                 **({"supportedProfile": profiles["DiagnosticReport"]} if profiles.get("DiagnosticReport") else {}),
                 "documentation": "a genomic report with its results as contained resources"},
                {"type": "Observation", "interaction": interaction, "operation": validate,
                 **({"supportedProfile": profiles["Observation"]} if profiles.get("Observation") else {}),
                 "documentation": "a single Variant or Diagnostic Implication Observation"},
                {"type": "AuditEvent", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "documentation": "the hash-chained audit log, newest first; admins and curators see every event, "
                                  "other tenants those they caused or that concern their submissions and cases",
                 "searchParam": [
                     {"name": "date", "type": "date", "documentation": "recorded; prefixes eq ge le gt lt"},
                     {"name": "type", "type": "token", "documentation": "type or subtype code (rest, 110107, read)"},
                     {"name": "agent", "type": "token", "documentation": "tenant name or id"},
                     {"name": "entity", "type": "token", "documentation": "id of a variant, report, release, ..."},
                     {"name": "_count", "type": "number", "documentation": "page size, default 50, at most 200"}]},
            ],
            "interaction": [{"code": "transaction", "documentation": "one genomic report, stored whole or not at all"},
                            {"code": "batch", "documentation": "each entry is stored or refused on its own"}],
        }],
    }
