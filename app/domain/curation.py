"""Curation vocabulary: why a curator may flag a submission (ClinGen's reasons for flagging ClinVar records).

Free-text curation notes stay in the curation system; the shared store keeps only one of these codes.
"""

from __future__ import annotations

FLAG_REASONS: dict[str, str] = {
    "outlier-claim": "Outlier claim with insufficient supporting evidence",
    "outdated-claim": "Older claim that does not account for recent evidence",
    "insufficient-evidence": "Claim with insufficient supporting evidence",
    "submission-error": "Submission error (wrong variant, condition or term)",
    "not-a-classification": "Not a classification of pathogenicity for this condition",
}


def flag_reason_label(code: str | None) -> str | None:
    """The human label of a flag reason code."""
    return FLAG_REASONS.get(code) if code else None
