"""Reclassification since the patient's report, and meaningful aggregate changes (severity table in the module)."""

from __future__ import annotations

import pytest

from app.domain.aggregation import Aggregate, SubmissionFacts, aggregate_submissions
from app.domain.reclassification import (
    Reclassification,
    conflict_class,
    conflict_sides,
    is_meaningful_change,
    reclassification_of,
    side_of_aggregate,
    side_of_term,
)

CONFLICTING = "Conflicting classifications of pathogenicity"


def of(*terms: str, role: str = "lab", criteria: bool = True, flagged: bool = False,
       kind: str = "germline") -> Aggregate:
    subs = [SubmissionFacts(f"org{i}", role, t, criteria, "X", None, flagged=flagged, classification_type=kind)
            for i, t in enumerate(terms)]
    result = aggregate_submissions(subs)
    assert result is not None
    return result


P, LP, V, B, LB = "Pathogenic", "Likely pathogenic", "Uncertain significance", "Benign", "Likely benign"
AGG = {
    "P": of(P, LP), "LP": of(LP), "P-risk": of(P, "risk factor"), "ERA": of("Established risk allele"),
    "V": of(V), "V-sub": of("VUS-high", "VUS-low"), "URA": of("Uncertain risk allele"),
    "B": of(B, LB), "LB": of(LB),
    "msd": of(LP, V), "msd-pb": of(P, B), "non-msd": of(V, LB), "three": of(P, V, B),
    "0star-msd": of(P, V, criteria=False),
    "drug": of("drug response"), "none": of("not provided"), "flagged": of(P, flagged=True),
}


@pytest.mark.parametrize(("name", "side"), [
    ("P", "P"), ("LP", "P"), ("P-risk", "P"), ("ERA", "P"), ("V", "V"), ("V-sub", "V"), ("URA", "V"), ("B", "B"),
    ("LB", "B"), ("msd", "conflict"), ("msd-pb", "conflict"), ("non-msd", "conflict"), ("three", "conflict"),
    ("0star-msd", "conflict"), ("drug", None), ("none", None), ("flagged", None),
])
def test_side_of_aggregate(name: str, side: str | None) -> None:
    assert side_of_aggregate(AGG[name]) == side


def test_side_of_aggregate_other_inputs() -> None:
    assert side_of_aggregate(None) is None
    assert side_of_aggregate(of("Oncogenic", "Likely oncogenic", kind="oncogenicity")) == "P"
    assert side_of_aggregate(of("Tier IV - Benign/Likely benign", kind="somatic-clinical-impact")) is None
    legacy_row = Aggregate("Conflicting interpretations of pathogenicity", "criteria provided, conflicting "
                           "interpretations", 1, False, None, 2, None)
    assert side_of_aggregate(legacy_row) == "conflict"
    mixed = Aggregate("Pathogenic/Benign", "criteria provided, single submitter", 1, False, None, 1, None)
    assert side_of_aggregate(mixed) == "conflict"  # only possible with same_submitter_conflict=False
    assert side_of_aggregate(Aggregate.from_dict(AGG["P-risk"].as_dict())) == "P"  # a stored row reads the same


@pytest.mark.parametrize(("term", "side"), [
    (P, "P"), (LP, "P"), ("Pathogenic, low penetrance", "P"), ("Likely risk allele", "P"), (V, "V"),
    ("VUS-mid", "V"), (" Uncertain significance ", "V"), ("Uncertain risk allele", "V"), (B, "B"), (LB, "B"),
    ("risk factor", None), ("not provided", None), ("Founder variant", None), ("", None), (None, None),
])
def test_side_of_term(term: str | None, side: str | None) -> None:
    assert side_of_term(term) == side


@pytest.mark.parametrize(("name", "sides", "klass"), [
    ("msd", {"P", "V"}, "MSD"), ("msd-pb", {"P", "B"}, "MSD"), ("three", {"P", "V", "B"}, "MSD"),
    ("non-msd", {"V", "B"}, "non-MSD"), ("0star-msd", {"P", "V"}, "MSD"), ("P", set(), None), ("drug", set(), None),
])
def test_conflict_class(name: str, sides: set[str], klass: str | None) -> None:
    assert conflict_sides(AGG[name]) == sides
    assert conflict_class(AGG[name]) == klass


def test_unreadable_conflict_is_taken_as_medically_significant() -> None:
    bare = Aggregate(CONFLICTING, "criteria provided, conflicting classifications", 1, True, None, 2, None)
    assert conflict_class(bare) == "MSD"
    assert conflict_class(None) is None and conflict_sides(None) == frozenset()


# Every stated side against every current side, conflicts of both classes included.
RECLASSIFICATIONS = [
    (P, "LP", None), (LP, "ERA", None), (V, "V-sub", None), ("VUS-low", "URA", None), (LB, "B", None),
    (V, "P", ("critical", "upgrade-to-pathogenic")),
    ("VUS-high", "LP", ("critical", "upgrade-to-pathogenic")),
    (B, "P", ("critical", "upgrade-to-pathogenic")),
    (LB, "ERA", ("critical", "upgrade-to-pathogenic")),
    (P, "V", ("warning", "downgrade-from-pathogenic")),
    (LP, "B", ("warning", "downgrade-from-pathogenic")),
    ("Established risk allele", "LB", ("warning", "downgrade-from-pathogenic")),
    (V, "B", ("warning", "to-benign")),
    ("Uncertain risk allele", "LB", ("warning", "to-benign")),
    (B, "V", ("warning", "upgrade-to-uncertain")),
    (P, "msd", ("warning", "into-conflict")),
    (P, "non-msd", ("warning", "into-conflict")),
    (V, "msd", ("warning", "into-conflict")),
    (V, "non-msd", ("info", "into-conflict")),
    (B, "msd-pb", ("warning", "into-conflict")),
    (LB, "non-msd", ("info", "into-conflict")),
    (LB, "0star-msd", ("warning", "into-conflict")),
    (B, "three", ("warning", "into-conflict")),
    (P, "drug", None), (V, "none", None), (B, "flagged", None),
    ("risk factor", "P", None), ("Founder variant", "B", None), ("not provided", "V", None), (None, "P", None),
]


@pytest.mark.parametrize(("stated", "name", "expected"), RECLASSIFICATIONS,
                         ids=[f"{s}->{n}" for s, n, _ in RECLASSIFICATIONS])
def test_reclassification_table(stated: str | None, name: str, expected: tuple[str, str] | None) -> None:
    current = AGG[name]
    result = reclassification_of(stated, current)
    if expected is None:
        assert result is None
        return
    assert result == Reclassification(stated, side_of_term(stated), current.classification, side_of_aggregate(current),
                                      *expected)


def test_no_current_aggregate_is_no_reclassification() -> None:
    assert reclassification_of(P, None) is None


MEANINGFUL = [
    ("P", "LP", False), ("P", "P-risk", False), ("V", "URA", False), ("B", "LB", False),
    ("P", "V", True), ("P", "B", True), ("V", "P", True), ("V", "B", True), ("B", "P", True), ("B", "V", True),
    ("P", "msd", True), ("msd", "P", True), ("non-msd", "B", True), ("V", "non-msd", True),
    ("msd", "non-msd", True), ("non-msd", "three", True),
    ("msd", "msd-pb", False), ("msd", "0star-msd", False), ("three", "msd", False),
    ("P", "drug", False), ("drug", "P", False), ("P", "none", False), ("B", "flagged", False),
    ("flagged", "msd", False), ("drug", "none", False),
]


@pytest.mark.parametrize(("old", "new", "meaningful"), MEANINGFUL, ids=[f"{o}->{n}" for o, n, _ in MEANINGFUL])
def test_meaningful_change(old: str, new: str, meaningful: bool) -> None:
    assert is_meaningful_change(AGG[old], AGG[new]) is meaningful


def test_appearing_and_disappearing_aggregates_are_not_side_changes() -> None:
    assert not is_meaningful_change(None, AGG["P"])
    assert not is_meaningful_change(AGG["msd"], None)
    assert not is_meaningful_change(None, None)
