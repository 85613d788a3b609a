"""Reclassification: has a variant moved, clinically, since the patient's report or the last aggregate?

Sides are P (pathogenic side, incl. low-penetrance and risk-allele terms), V (uncertain) and B (benign side),
plus "conflict" for a conflicting aggregate. Only a change of side, or a move into or out of conflict, matters
to clinicians; P vs LP and similar moves within a side do not. Severity of a reclassification card, stated
side -> current side (a report states a term, so it is never itself a conflict):

    stated -> current   severity   direction
    V -> P              critical   upgrade-to-pathogenic
    B -> P              critical   upgrade-to-pathogenic
    P -> V              warning    downgrade-from-pathogenic
    P -> B              warning    downgrade-from-pathogenic
    V -> B              warning    to-benign
    B -> V              warning    upgrade-to-uncertain
    P -> conflict       warning    into-conflict
    V/B -> conflict     warning    into-conflict, when the conflict involves the P side (MSD)
    V/B -> conflict     info       into-conflict, when it is VUS vs benign only (non-MSD)
    same side           (none)

Any move towards pathogenic is critical: it may call for action the patient was told was not needed (B -> P
most of all). A conflict involving the P side is medically significant (MSD, classification-aggregation.md §5)
and always a warning; a VUS-vs-benign conflict is a warning only for a patient told "pathogenic", else info.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from app.domain.aggregation import EXPLANATION_SEPARATOR, ONCOGENICITY_SIDES, TAIL_SEPARATOR, Aggregate
from app.domain.review import is_conflicting_text
from app.domain.terms import aggregation_term, side_of

CONFLICT = "conflict"
SIDES = ("P", "V", "B")

# (stated side, current side) -> (severity, direction); same side and unknown sides give no reclassification.
_TABLE: dict[tuple[str, str], tuple[str, str]] = {
    ("V", "P"): ("critical", "upgrade-to-pathogenic"),
    ("B", "P"): ("critical", "upgrade-to-pathogenic"),
    ("P", "V"): ("warning", "downgrade-from-pathogenic"),
    ("P", "B"): ("warning", "downgrade-from-pathogenic"),
    ("V", "B"): ("warning", "to-benign"),
    ("B", "V"): ("warning", "upgrade-to-uncertain"),
}


# Sides are pure functions of short strings drawn from a small vocabulary, read several times per card: memoised.
@lru_cache(maxsize=4096)
def _side_of_classified_term(term: str) -> str | None:
    return side_of(aggregation_term(term)) or ONCOGENICITY_SIDES.get(term)


@lru_cache(maxsize=4096)
def _side_of_stated(term: str) -> str | None:
    return side_of(aggregation_term(term.strip()))


def side_of_term(term: str | None) -> str | None:
    """The side (P, V or B) of a term a report stated; None for other, unknown or missing terms."""
    return _side_of_stated(term) if term else None


def side_of_aggregate(aggregate: Aggregate | None) -> str | None:
    """"P", "V", "B" or "conflict" for an aggregate; None when it has no ACMG side (e.g. only drug response).

    Reads the head of the aggregate's own rendered classification (the part before "; "), because that is
    what the store keeps. A head mixing sides without being flagged conflicting (possible only with
    non-default rules) reads as "conflict": clinically the submitters still disagree.
    """
    if aggregate is None:
        return None
    return CONFLICT if aggregate.conflict else _side_of_classification(aggregate.classification)


@lru_cache(maxsize=4096)
def _side_of_classification(classification: str) -> str | None:
    if is_conflicting_text(classification):
        return CONFLICT
    head = classification.split(TAIL_SEPARATOR, 1)[0]
    sides = {_side_of_classified_term(part) for part in head.split("/")}
    if None in sides:
        return None  # an "other" term or no classification: no ACMG side to compare
    return sides.pop() if len(sides) == 1 else CONFLICT


def conflict_sides(aggregate: Aggregate | None) -> frozenset[str]:
    """The sides a conflicting aggregate's explanation lists ("Likely pathogenic(2); ..." -> {"P", "V"})."""
    if aggregate is None or not aggregate.explanation:
        return frozenset()
    terms = (part.rsplit("(", 1)[0] for part in aggregate.explanation.split(EXPLANATION_SEPARATOR))
    return frozenset(side for term in terms if (side := _side_of_classified_term(term)))


def conflict_class(aggregate: Aggregate | None) -> str | None:
    """ "MSD" when a conflict involves the pathogenic side, "non-MSD" for VUS vs benign, None without conflict.

    A conflict whose explanation cannot be read is taken as medically significant, the safer reading.
    """
    if side_of_aggregate(aggregate) != CONFLICT:
        return None
    sides = conflict_sides(aggregate)
    return "non-MSD" if sides and "P" not in sides else "MSD"


@dataclass(frozen=True)
class Reclassification:
    """A clinically meaningful difference between what a report stated and the current aggregate."""

    stated_term: str
    stated_side: str
    current_classification: str
    current_side: str  # "P" | "V" | "B" | "conflict"
    severity: str  # "critical" | "warning" | "info"
    # "upgrade-to-pathogenic" | "downgrade-from-pathogenic" | "to-benign" | "upgrade-to-uncertain" | "into-conflict"
    direction: str


def reclassification_of(stated_term: str | None, current: Aggregate | None) -> Reclassification | None:
    """Compare the term a patient's report stated with the current aggregate (table in the module docstring).

    None when there is no meaningful difference: same side, nothing stated with a side, no current aggregate,
    or a current aggregate without an ACMG side.
    """
    stated_side = side_of_term(stated_term)
    current_side = side_of_aggregate(current)
    if stated_term is None or stated_side is None or current is None or current_side is None:
        return None
    if current_side == CONFLICT:
        medically_significant = conflict_class(current) == "MSD"
        severity = "warning" if stated_side == "P" or medically_significant else "info"
        direction = "into-conflict"
    elif current_side == stated_side:
        return None
    else:
        severity, direction = _TABLE[(stated_side, current_side)]
    return Reclassification(stated_term, stated_side, current.classification, current_side, severity, direction)


def is_meaningful_change(old: Aggregate | None, new: Aggregate | None) -> bool:
    """Whether an aggregate moved between P, V and B, into or out of conflict, or between MSD and non-MSD conflict.

    Appearing, disappearing, or moving to or from a side-less aggregate (only "other" terms, nothing
    classified, all flagged) is not a change of side and so is not reported here.
    """
    before, after = side_of_aggregate(old), side_of_aggregate(new)
    if before is None or after is None:
        return False
    if before != after:
        return True
    return before == CONFLICT and conflict_class(old) != conflict_class(new)
