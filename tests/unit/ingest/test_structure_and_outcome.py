"""Structural defects and R4B validation errors become located issues (no exceptions, no echoed values)."""

from __future__ import annotations

import copy

import pytest

from app.domain.reports import Issue
from app.ingest import build_operation_outcome, map_submission, warm_up
from app.ingest.validation import message_for, path_of

SECRET = "Jane Q. Secretname 1970-01-01"


@pytest.mark.parametrize(
    ("submission", "expected"),
    [
        ([], ("fatal", "structure", "(root)")),
        ({"id": "x"}, ("fatal", "structure", "(root)")),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": "nope"},
            ("error", "structure", "Bundle.entry"),
        ),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": [3]},
            ("error", "structure", "Bundle.entry[0]"),
        ),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"id": "a"}}]},
            ("error", "structure", "Bundle.entry[0].resource"),
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Nope"}}],
            },
            ("error", "structure", "Bundle.entry[0].resource.resourceType"),
        ),
        (
            {
                "resourceType": "DiagnosticReport",
                "status": "final",
                "code": {"text": "x"},
                "contained": [{"id": "a"}],
            },
            ("error", "structure", "DiagnosticReport.contained[0]"),
        ),
    ],
)
def test_structural_defects_are_located_issues(submission, expected, summary):
    report = map_submission(submission)
    assert expected in summary.issues(report)


def test_pydantic_errors_map_to_input_paths_without_values(official, summary):
    bundle = copy.deepcopy(official("Bundle-bundle-CYP2C19.json"))
    observation = bundle["entry"][3]["resource"]
    observation["component"][2]["valueQuantity"] = {"value": SECRET}
    observation["subject"]["reference"] = 5
    bundle["entry"][77]["resource"]["birthDate"] = SECRET
    report = map_submission(bundle)
    found = summary.issues(report)
    assert ("error", "structure", "Bundle.entry[3].resource.component[2].valueQuantity.value") in found
    assert ("error", "structure", "Bundle.entry[3].resource.subject.reference") in found
    assert ("error", "structure", "Bundle.entry[77].resource.birthDate") in found
    assert all(SECRET not in i.message and "Secretname" not in i.message for i in report.issues)


def test_error_messages_never_echo_input():
    error = {
        "type": "value_error",
        "loc": ("name", 0, "text"),
        "msg": f"Value error, bad {SECRET}",
        "input": SECRET,
    }
    assert SECRET not in message_for(error)
    assert path_of("Patient", ("name", 0, "text")) == "Patient.name[0].text"
    assert path_of("Observation", ("resource_type",)) == "Observation.resourceType"


def test_warm_up_is_idempotent():
    warm_up()
    warm_up()


def test_operation_outcome_shape():
    outcome = build_operation_outcome(
        [Issue("error", "structure", "Bundle.entry[3].resource", "Bad."), Issue("warning", "value", "", "")]
    )
    assert outcome == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "structure",
                "diagnostics": "Bad.",
                "expression": ["Bundle.entry[3].resource"],
            },
            {"severity": "warning", "code": "value"},
        ],
    }
    empty = build_operation_outcome([])
    assert empty["issue"] == [
        {"severity": "information", "code": "informational", "diagnostics": "No issues found."}
    ]


def test_operation_outcome_validates_as_r4():
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    report = map_submission({"resourceType": "Bundle", "type": "collection", "entry": [7]})
    OperationOutcome.model_validate(build_operation_outcome(report.issues))
