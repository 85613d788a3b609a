"""Issues -> a FHIR R4 OperationOutcome JSON object, for the API layer's 4xx responses and receipts."""

from __future__ import annotations

from app.domain.reports import Issue

_SEVERITIES = frozenset({"fatal", "error", "warning", "information"})


def build_operation_outcome(issues: list[Issue]) -> dict:
    """An OperationOutcome with one issue per Issue (severity, code, diagnostics, expression=[location]).

    Empty elements are omitted; FHIR requires at least one issue, so an empty list yields one
    ``information``/``informational`` issue.
    """
    out = []
    for issue in issues:
        item: dict = {
            "severity": issue.severity if issue.severity in _SEVERITIES else "error",
            "code": issue.code or "processing",
        }
        if issue.message:
            item["diagnostics"] = issue.message
        if issue.location:
            item["expression"] = [issue.location]
        out.append(item)
    if not out:
        out.append({"severity": "information", "code": "informational", "diagnostics": "No issues found."})
    return {"resourceType": "OperationOutcome", "issue": out}
