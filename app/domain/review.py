"""Review status and wording: a submission's tier, the aggregate status and stars, ClinVar's two wordings.

A submission's tier comes from the submitter account's role and whether assertion criteria were provided
(classification-aggregation.md §17): practice guideline 4, expert panel 3, criteria provided 1, none 0; there is
no 2-star submission (§3.1). The aggregate status follows ClinVar's ``ReviewStatus.md`` (§3.2). Statuses are
internal keys rendered in the 2024 or the legacy (pre-2024) wording at output (§12), so both can be produced
and compared; the "Conflicting ..." classification head is worded here for the same reason.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

WORDINGS = ("2024", "legacy")


class Tier(IntEnum):
    """Precedence rank of a submission's review status (§4): only the highest present tier counts."""

    NO_CRITERIA = 0
    CRITERIA = 1
    EXPERT_PANEL = 3
    PRACTICE_GUIDELINE = 4


# The EHR role submits like a lab: its tier depends on assertion criteria only.
ROLE_TIERS: dict[str, Tier | None] = {
    "lab": None,
    "ehr": None,
    "expert-panel": Tier.EXPERT_PANEL,
    "practice-guideline": Tier.PRACTICE_GUIDELINE,
}


def submission_tier(role: str, criteria_provided: bool) -> Tier:
    """Tier of one submission: the account role decides EP/PG; for labs and EHRs the criteria flag does."""
    if role not in ROLE_TIERS:
        raise ValueError(f"unknown submitter role {role!r}; expected one of {sorted(ROLE_TIERS)}")
    fixed = ROLE_TIERS[role]
    if fixed is not None:
        return fixed  # a panel's or guideline's status never depends on the method it cites (§17)
    return Tier.CRITERIA if criteria_provided else Tier.NO_CRITERIA


class Status(StrEnum):
    """Internal review-status keys (SCV and aggregate level); render them with :func:`status_text`."""

    PRACTICE_GUIDELINE = "practice-guideline"
    EXPERT_PANEL = "expert-panel"
    MULTIPLE_NO_CONFLICTS = "multiple-no-conflicts"
    MULTIPLE = "multiple"  # somatic clinical impact: conflicts are not calculated, so no suffix (§13)
    CONFLICTING = "conflicting"
    SINGLE = "single"
    NO_CRITERIA = "no-criteria"
    NO_CLASSIFICATION = "no-classification"
    NO_UNFLAGGED = "no-unflagged"
    NO_SINGLE_VARIANT = "no-single-variant"  # haplotype/genotype-only records: listed, never produced


_STATUS_TEXT: dict[Status, tuple[str, str, int]] = {  # (2024 wording, legacy wording, stars)
    Status.PRACTICE_GUIDELINE: ("practice guideline", "practice guideline", 4),
    Status.EXPERT_PANEL: ("reviewed by expert panel", "reviewed by expert panel", 3),
    Status.MULTIPLE_NO_CONFLICTS: (
        "criteria provided, multiple submitters, no conflicts",
        "criteria provided, multiple submitters, no conflicts",
        2,
    ),
    Status.MULTIPLE: ("criteria provided, multiple submitters", "criteria provided, multiple submitters", 2),
    Status.CONFLICTING: (
        "criteria provided, conflicting classifications",
        "criteria provided, conflicting interpretations",
        1,
    ),
    Status.SINGLE: ("criteria provided, single submitter", "criteria provided, single submitter", 1),
    Status.NO_CRITERIA: ("no assertion criteria provided", "no assertion criteria provided", 0),
    Status.NO_CLASSIFICATION: ("no classification provided", "no assertion provided", 0),
    # ClinVar introduced this status in November 2023, so it has no older spelling.
    Status.NO_UNFLAGGED: ("no classifications from unflagged records", "no classifications from unflagged records", 0),
    Status.NO_SINGLE_VARIANT: (
        "no classification for the single variant",
        "no interpretation for the single variant",
        0,
    ),
}

_TIER_STATUS = {
    Tier.PRACTICE_GUIDELINE: Status.PRACTICE_GUIDELINE,
    Tier.EXPERT_PANEL: Status.EXPERT_PANEL,
    Tier.CRITERIA: Status.SINGLE,
    Tier.NO_CRITERIA: Status.NO_CRITERIA,
}


def _check_wording(wording: str) -> None:
    if wording not in WORDINGS:
        raise ValueError(f"unknown wording {wording!r}; expected one of {WORDINGS}")


def status_text(status: Status, wording: str = "2024") -> str:
    """ClinVar's exact review-status text in the chosen wording."""
    _check_wording(wording)
    current, legacy, _ = _STATUS_TEXT[status]
    return current if wording == "2024" else legacy


def stars_of(status: Status) -> int:
    """Stars ClinVar shows for a review status (0-4)."""
    return _STATUS_TEXT[status][2]


def submission_status(role: str, criteria_provided: bool, classified: bool) -> Status:
    """SCV-level review status (§3.1, §17): a submission without a classification is "no classification"."""
    if not classified:
        return Status.NO_CLASSIFICATION
    return _TIER_STATUS[submission_tier(role, criteria_provided)]


def aggregate_status(top: Tier, *, conflict: bool, submitters: int, conflicts_calculated: bool = True) -> Status:
    """Aggregate review status (§3.2) from the deciding tier, the conflict flag and the submitter count.

    EP and PG keep their own status even when they disagree (§15 default), and a 0-star tier stays
    "no assertion criteria provided" even when its terms conflict (the ClinGen "0-star conflicts" note).
    """
    if top != Tier.CRITERIA:
        return _TIER_STATUS[top]
    if conflict:
        return Status.CONFLICTING
    if submitters > 1:
        return Status.MULTIPLE_NO_CONFLICTS if conflicts_calculated else Status.MULTIPLE
    return Status.SINGLE


def status_from_text(text: str) -> Status | None:
    """The status key of a ClinVar review-status text in either wording (to compare external strings)."""
    folded = text.strip().casefold()
    for status, (current, legacy, _) in _STATUS_TEXT.items():
        if folded in (current.casefold(), legacy.casefold()):
            return status
    return None


_CONFLICTING = {  # (2024 wording, legacy wording) of the conflicting classification head per type
    "germline": ("Conflicting classifications of pathogenicity", "Conflicting interpretations of pathogenicity"),
    # Oncogenicity dates from 2024 and was never worded "interpretations".
    "oncogenicity": ("Conflicting classifications of oncogenicity", "Conflicting classifications of oncogenicity"),
}


def conflicting_text(classification_type: str, wording: str = "2024") -> str:
    """The classification head of a conflicting aggregate ("Conflicting classifications of pathogenicity")."""
    _check_wording(wording)
    current, legacy = _CONFLICTING[classification_type]
    return current if wording == "2024" else legacy


def normalise_classification_text(text: str) -> str:
    """An external ClinVar classification string in the 2024 wording, for comparing across releases (§12)."""
    return text.replace("Conflicting interpretations of", "Conflicting classifications of")


def is_conflicting_text(text: str) -> bool:
    """Whether a classification string starts with a conflicting head, in either wording."""
    return normalise_classification_text(text).startswith("Conflicting classifications of")
