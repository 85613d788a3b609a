"""What the cards say about one variant: the patient's report against the store's current answer.

Built by ``app.services.cds`` from the EHR's data, the institution's own earlier case facts and one batched
store lookup; read by ``app.cds.cards``. Clinical-genetics terms only (no FHIR, no SQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from app.domain.aggregation import Aggregate
from app.domain.reclassification import side_of_term

EXPERT_ROLES = frozenset({"expert-panel", "practice-guideline"})


class SubmitterLine(NamedTuple):
    """One submitter's current classification of the variant (one row of a card's table; a named tuple, since
    a hook call builds dozens)."""

    submitter: str
    role: str
    term: str
    review_status: str
    stars: int
    evaluated: dt.date | None
    flagged: bool = False


@dataclass(frozen=True)
class VariantView:
    """One variant the patient carries, with the store's current aggregate (None: never shared)."""

    label: str
    gene: str | None
    variant_id: str | None
    stated_term: str | None
    stated_year: int | None
    aggregate: Aggregate | None = None
    submitters: tuple[SubmitterLine, ...] = field(default=())
    ehr_report: str | None = None  # the EHR's DiagnosticReport id listing it, if known

    @property
    def side_counts(self) -> dict[str, int]:
        """Distinct submitters per side (P, V, B) among the current unflagged submissions."""
        sides: dict[str, set[str]] = {"P": set(), "V": set(), "B": set()}
        for line in self.submitters:
            side = side_of_term(line.term)
            if side and not line.flagged:
                sides[side].add(line.submitter)
        return {side: len(names) for side, names in sides.items()}

    @property
    def expert_reviewed(self) -> bool:
        """Whether an expert panel or practice guideline has a current, unflagged classification of it."""
        return any(line.role in EXPERT_ROLES and not line.flagged for line in self.submitters)

    @property
    def stated_side(self) -> str | None:
        return side_of_term(self.stated_term)
