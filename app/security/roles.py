"""Roles of registered institutions and what each may do (deny by default)."""

from __future__ import annotations

LAB = "lab"
EXPERT_PANEL = "expert-panel"
PRACTICE_GUIDELINE = "practice-guideline"
EHR = "ehr"
CURATOR = "curator"
READER = "reader"
ADMIN = "admin"

ROLES = (LAB, EXPERT_PANEL, PRACTICE_GUIDELINE, EHR, CURATOR, READER, ADMIN)
SUBMITTING_ROLES = frozenset({LAB, EXPERT_PANEL, PRACTICE_GUIDELINE, EHR})

# Permission -> roles holding it. Endpoints ask for a permission, never for a role name.
PERMISSIONS: dict[str, frozenset[str]] = {
    "submit": SUBMITTING_ROLES,
    "call-hooks": frozenset({EHR}),
    "flag": frozenset({CURATOR}),
    "read": frozenset(ROLES),
    "read-feedback": frozenset({ADMIN, CURATOR}),
    "admin": frozenset({ADMIN}),
}

ROLE_DESCRIPTIONS = {
    LAB: "clinical laboratory: submits reports and classifications",
    EXPERT_PANEL: "expert panel (e.g. a ClinGen VCEP): submits classifications at the expert-panel tier",
    PRACTICE_GUIDELINE: "practice-guideline body: submits classifications at the practice-guideline tier",
    EHR: "EHR institution: calls CDS Hooks and may submit its patients' reports",
    CURATOR: "curator: flags and unflags submissions",
    READER: "reader: queries aggregates and releases",
    ADMIN: "administrator: reads operational data (metrics, feedback, audit)",
}


def may(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission``; unknown permissions are denied."""
    return role in PERMISSIONS.get(permission, frozenset())
