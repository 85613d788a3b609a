"""Properties of aggregation that hold for every input (hypothesis), under the default settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.domain.aggregation import (
    Aggregate,
    AggregationRules,
    SubmissionFacts,
    aggregate_submissions,
    aggregate_variant,
    is_classified,
)
from app.domain.reclassification import side_of_aggregate
from app.domain.review import normalise_classification_text, status_from_text, submission_tier
from app.domain.terms import OTHER_TERMS, TIER_TERMS, VUS_SUBTIERS, side_of

TERMS = [*TIER_TERMS, *VUS_SUBTIERS, *OTHER_TERMS, "not provided", "Founder variant"]
ROLES = ["lab", "lab", "lab", "ehr", "expert-panel", "practice-guideline"]
LAB_ROLES = ["lab", "ehr"]

dates = st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2026, 12, 31)))


def facts(roles: list[str] = ROLES, terms: list[str] = TERMS, flagged: st.SearchStrategy[bool] | None = None,
          current: st.SearchStrategy[bool] | None = None) -> st.SearchStrategy[SubmissionFacts]:
    return st.builds(
        SubmissionFacts,
        submitter_id=st.sampled_from("ABCDE"),
        role=st.sampled_from(roles),
        term=st.sampled_from(terms),
        criteria_provided=st.booleans(),
        condition_key=st.sampled_from(["X", "Y", "Z"]),
        date_last_evaluated=dates,
        flagged=flagged if flagged is not None else st.booleans(),
        current=current if current is not None else st.booleans(),
    )


submission_lists = st.lists(facts(), max_size=12)


def usable(subs: list[SubmissionFacts]) -> list[SubmissionFacts]:
    return [s for s in subs if s.current and not s.flagged and is_classified(s.term)]


def top_tier(subs: list[SubmissionFacts]) -> int | None:
    tiers = [submission_tier(s.role, s.criteria_provided) for s in usable(subs)]
    return max(tiers) if tiers else None


@given(submission_lists, st.randoms())
def test_order_independence(subs: list[SubmissionFacts], rnd) -> None:
    shuffled = list(subs)
    rnd.shuffle(shuffled)
    assert aggregate_submissions(shuffled) == aggregate_submissions(subs)
    assert aggregate_variant(shuffled) == aggregate_variant(subs)


@given(submission_lists)
def test_superseded_versions_never_matter(subs: list[SubmissionFacts]) -> None:
    assert aggregate_submissions(subs) == aggregate_submissions([s for s in subs if s.current])


@given(submission_lists)
def test_flagged_submissions_equal_removing_them_when_something_unflagged_remains(subs: list[SubmissionFacts]) -> None:
    assume(usable(subs))
    assert aggregate_submissions(subs) == aggregate_submissions([s for s in subs if not s.flagged])


@given(submission_lists, st.data())
def test_adding_an_agreeing_submission_never_creates_a_conflict(subs: list[SubmissionFacts], data) -> None:
    before = aggregate_submissions(subs)
    side = side_of_aggregate(before)
    assume(side in ("P", "V", "B"))
    agreeing = [term for term in TERMS if side_of(term) == side]
    extra = data.draw(facts(terms=agreeing, flagged=st.just(False), current=st.just(True)))
    after = aggregate_submissions([*subs, extra])
    assert after is not None and not after.conflict and side_of_aggregate(after) == side


@given(submission_lists, st.lists(facts(roles=LAB_ROLES), max_size=6))
def test_lab_submissions_never_change_a_panel_or_guideline_decision(subs: list[SubmissionFacts],
                                                                    labs: list[SubmissionFacts]) -> None:
    assume(top_tier(subs) in (3, 4))
    assert aggregate_submissions([*subs, *labs]) == aggregate_submissions(subs)


@given(submission_lists)
def test_the_highest_role_present_decides_alone(subs: list[SubmissionFacts]) -> None:
    top = top_tier(subs)
    assume(top in (3, 4))
    role = "practice-guideline" if top == 4 else "expert-panel"
    assert aggregate_submissions(subs) == aggregate_submissions([s for s in subs if s.role == role])


@given(submission_lists)
@settings(suppress_health_check=[HealthCheck.filter_too_much])  # the assumptions select a narrow slice on purpose
def test_a_single_panel_or_guideline_never_conflicts_within_one_condition(subs: list[SubmissionFacts]) -> None:
    deciding = [s for s in usable(subs) if s.role in ("expert-panel", "practice-guideline")]
    assume(len({s.submitter_id for s in deciding}) == 1 and len({s.condition_key for s in deciding}) == 1)
    assume(len({side_of(s.term) for s in deciding}) == 1)
    result = aggregate_submissions(subs)
    assert result is not None and not result.conflict and result.stars >= 3


@given(submission_lists)
def test_invariants_of_every_aggregate(subs: list[SubmissionFacts]) -> None:
    result = aggregate_submissions(subs)
    if not any(s.current for s in subs):
        assert result is None
        return
    assert result is not None
    contributors = {s.submitter_id for s in usable(subs)}
    assert result.submitter_count <= len(contributors)
    assert (result.submitter_count == 0) == (not contributors)
    assert result.conflict == (result.explanation is not None)
    assert result.conflict == result.classification.startswith("Conflicting classifications of pathogenicity")
    if result.conflict:
        total = sum(int(part.rsplit("(", 1)[1].rstrip(")")) for part in result.explanation.split("; "))
        assert 2 <= total <= len(usable(subs))
    expected_stars = {None: 0, 0: 0, 1: (1, 2), 3: 3, 4: 4}[top_tier(subs)]
    assert result.stars in (expected_stars if isinstance(expected_stars, tuple) else (expected_stars,))
    assert result.stars != 2 or (result.submitter_count >= 2 and not result.conflict)
    assert result.last_evaluated is None or result.last_evaluated in {s.date_last_evaluated for s in usable(subs)}
    assert Aggregate.from_dict(result.as_dict()) == result


@given(submission_lists)
def test_per_condition_conflict_implies_variant_conflict_at_the_same_tier(subs: list[SubmissionFacts]) -> None:
    overall, per_condition = aggregate_variant(subs)
    for key, condition in per_condition.items():
        in_condition = [s for s in subs if s.condition_key == key]
        if condition.conflict and top_tier(in_condition) == top_tier(subs):
            assert overall is not None and overall.conflict


@given(st.lists(facts(), min_size=1, max_size=10))
def test_one_condition_means_variant_level_equals_condition_level(subs: list[SubmissionFacts]) -> None:
    subs = [replace(s, condition_key="X") for s in subs]
    overall, per_condition = aggregate_variant(subs)
    assert per_condition.get("X") == overall


@given(submission_lists)
def test_variant_level_submitters_cover_each_condition_at_the_same_tier(subs: list[SubmissionFacts]) -> None:
    overall, per_condition = aggregate_variant(subs)
    for key, condition in per_condition.items():
        if top_tier([s for s in subs if s.condition_key == key]) == top_tier(subs) is not None:
            assert overall is not None and overall.submitter_count >= condition.submitter_count


@given(submission_lists, st.data())
def test_a_duplicate_of_a_contributing_submission_changes_no_verdict(subs: list[SubmissionFacts], data) -> None:
    assume(usable(subs))
    duplicate = data.draw(st.sampled_from(usable(subs)))
    before, after = aggregate_submissions(subs), aggregate_submissions([*subs, duplicate])
    assert before is not None and after is not None
    assert (after.classification, after.conflict, after.submitter_count, after.stars) == (
        before.classification, before.conflict, before.submitter_count, before.stars)


@given(submission_lists)
def test_legacy_wording_differs_only_in_words(subs: list[SubmissionFacts]) -> None:
    modern, legacy = aggregate_submissions(subs), aggregate_submissions(subs, AggregationRules(wording="legacy"))
    if modern is None:
        assert legacy is None
        return
    assert legacy is not None
    assert normalise_classification_text(legacy.classification) == modern.classification
    assert status_from_text(legacy.review_status) == status_from_text(modern.review_status)
    assert (legacy.stars, legacy.conflict, legacy.explanation, legacy.submitter_count, legacy.last_evaluated) == (
        modern.stars, modern.conflict, modern.explanation, modern.submitter_count, modern.last_evaluated)
