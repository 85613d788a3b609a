"""Aggregation settings (§15), review statuses and wording (§3, §12), both aggregate levels (§1), versions (§10)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.aggregation import (
    DEFAULT_RULES,
    VARIANT_LEVEL,
    AggregationRules,
    SubmissionFacts,
    VersionFacts,
    aggregate_submissions,
    aggregate_variant,
    current_version,
)
from app.domain.review import (
    Status,
    Tier,
    is_conflicting_text,
    normalise_classification_text,
    stars_of,
    status_from_text,
    status_text,
    submission_status,
    submission_tier,
)

CONFLICTING = "Conflicting classifications of pathogenicity"


def sub(org: str, term: str, role: str = "lab", *, criteria: bool = True, cond: str = "X", date: str | None = None,
        kind: str = "germline") -> SubmissionFacts:
    return SubmissionFacts(org, role, term, criteria, cond, dt.date.fromisoformat(date) if date else None,
                           classification_type=kind)


def classify(rules: AggregationRules, *subs: SubmissionFacts) -> tuple[str, str | None, str]:
    result = aggregate_submissions(subs, rules)
    assert result is not None
    return result.classification, result.explanation, result.review_status


# --- §15 settings, each against its default -------------------------------------------------------------------

def test_defaults_are_the_reference_defaults() -> None:
    reference = AggregationRules(
        other_term_order="alphabetical", vus_subtiers="collapse", same_submitter_conflict=True,
        top_tier_conflict="conflict", date_rule="max_contributing", explanation_order="canonical",
        supersede_by="date_last_evaluated",
        somatic_tier_order=("Tier I - Strong", "Tier II - Potential", "Tier III - Unknown",
                            "Tier IV - Benign/Likely benign"),
        wording="2024")
    assert reference == DEFAULT_RULES
    sides = dict(DEFAULT_RULES.term_sides)
    assert sides["Established risk allele"] == sides["Likely risk allele"] == "P"
    assert sides["Uncertain risk allele"] == "V"
    hash(DEFAULT_RULES)  # usable as a cache key


def test_other_term_order_listed() -> None:
    subs = (sub("A", "risk factor"), sub("B", "drug response"), sub("C", "Zygote note"), sub("D", "Affects"))
    assert classify(DEFAULT_RULES, *subs)[0] == "Affects; drug response; risk factor; Zygote note"
    assert classify(AggregationRules(other_term_order="listed"), *subs)[0] == (
        "drug response; risk factor; Affects; Zygote note")


def test_term_sides_risk_alleles_without_conflict() -> None:
    rules = AggregationRules(term_sides=(("Established risk allele", None), ("Uncertain risk allele", None)))
    assert classify(rules, sub("A", "Established risk allele"), sub("B", "Benign"))[0] == (
        "Established risk allele/Benign")
    assert classify(rules, sub("A", "Uncertain risk allele"), sub("B", "Pathogenic"))[0] == (
        "Pathogenic/Uncertain risk allele")
    assert classify(rules, sub("A", "Likely risk allele"), sub("B", "Benign"))[0] == CONFLICTING  # untouched term


def test_term_sides_from_a_mapping_and_validation() -> None:
    rules = AggregationRules.from_settings({"aggregation.term_sides": {"Uncertain risk allele": "B"}})
    assert dict(rules.term_sides)["Uncertain risk allele"] == "B"
    assert classify(rules, sub("A", "Uncertain risk allele"), sub("B", "Benign"))[0] == "Uncertain risk allele/Benign"
    assert AggregationRules(term_sides={"Uncertain risk allele": "B"}) == rules  # canonical order is kept
    with pytest.raises(ValueError, match="term_sides"):
        AggregationRules(term_sides=(("risk factor", "P"),))
    with pytest.raises(ValueError, match="term_sides"):
        AggregationRules(term_sides=(("Benign", "X"),))


def test_vus_subtiers_kept() -> None:
    rules = AggregationRules(vus_subtiers="keep")
    assert classify(rules, sub("A", "VUS-low"), sub("B", "Uncertain risk allele"), sub("C", "VUS-high"),
                    sub("D", "Uncertain significance"))[0] == (
        "Uncertain significance/VUS-high/VUS-low/Uncertain risk allele")
    assert classify(rules, sub("A", "VUS-mid"), sub("B", "VUS-mid"), sub("C", "Benign"))[1] == "VUS-mid(2); Benign(1)"


def test_same_submitter_conflict_off() -> None:
    rules = AggregationRules(same_submitter_conflict=False)
    one_lab = (sub("A", "Pathogenic", cond="X"), sub("A", "Benign", cond="Y"))
    assert classify(DEFAULT_RULES, *one_lab)[0] == CONFLICTING
    assert classify(rules, *one_lab) == ("Pathogenic/Benign", None, "criteria provided, single submitter")
    assert classify(rules, *one_lab, sub("B", "Pathogenic"))[1] == "Pathogenic(2); Benign(1)"
    assert classify(rules, *one_lab, sub("B", "risk factor"))[0] == "Pathogenic/Benign; risk factor"


def test_top_tier_conflict_most_recent() -> None:
    rules = AggregationRules(top_tier_conflict="most-recent")
    panels = (sub("P1", "Pathogenic", "expert-panel", date="2019-01-01"),
              sub("P2", "Benign", "expert-panel", date="2023-01-01"), sub("P3", "drug response", "expert-panel"))
    assert classify(DEFAULT_RULES, *panels)[0] == f"{CONFLICTING}; drug response"
    result = aggregate_submissions(panels, rules)
    assert result is not None
    assert (result.classification, result.stars, result.submitter_count) == ("Benign; drug response", 3, 2)
    same_day = (sub("P1", "Pathogenic", "expert-panel", date="2023-01-01"),
                sub("P2", "Benign", "expert-panel", date="2023-01-01"))
    assert classify(rules, *same_day)[0] == CONFLICTING
    labs = (sub("A", "Pathogenic", date="2019-01-01"), sub("B", "Benign", date="2023-01-01"))
    assert classify(rules, *labs)[0] == CONFLICTING  # the setting is about EP/PG only


def test_date_rule_max_unflagged() -> None:
    subs = (sub("A", "Pathogenic", date="2020-01-01"), sub("B", "Benign", criteria=False, date="2024-01-01"))
    assert aggregate_submissions(subs).last_evaluated == dt.date(2020, 1, 1)
    any_tier = AggregationRules(date_rule="max_unflagged")
    assert aggregate_submissions(subs, any_tier).last_evaluated == dt.date(2024, 1, 1)


def test_explanation_order_by_count() -> None:
    subs = (sub("A", "Pathogenic"), sub("B", "Benign"), sub("C", "Benign"), sub("D", "Uncertain significance"))
    assert classify(DEFAULT_RULES, *subs)[1] == "Pathogenic(1); Uncertain significance(1); Benign(2)"
    assert classify(AggregationRules(explanation_order="count"), *subs)[1] == (
        "Benign(2); Pathogenic(1); Uncertain significance(1)")


def test_somatic_tier_order_reversed() -> None:
    rules = AggregationRules(somatic_tier_order=tuple(reversed(DEFAULT_RULES.somatic_tier_order)))
    subs = (sub("A", "Tier I - Strong", kind="somatic-clinical-impact"),
            sub("B", "Tier III - Unknown", kind="somatic-clinical-impact"))
    assert classify(rules, *subs)[0] == "Tier III - Unknown"
    with pytest.raises(ValueError, match="somatic_tier_order"):
        AggregationRules(somatic_tier_order=("Tier I - Strong",))


def test_from_settings_and_validation() -> None:
    rules = AggregationRules.from_settings({"aggregation.wording": "legacy", "date_rule": "max_unflagged"})
    assert (rules.wording, rules.date_rule) == ("legacy", "max_unflagged")
    assert AggregationRules.from_settings({}) == DEFAULT_RULES
    with pytest.raises(ValueError, match="unknown aggregation settings"):
        AggregationRules.from_settings({"aggregation.colour": "red"})
    with pytest.raises(ValueError, match="same_submitter_conflict"):
        AggregationRules(same_submitter_conflict="no")  # type: ignore[arg-type]
    for name in ("other_term_order", "vus_subtiers", "top_tier_conflict", "date_rule", "explanation_order",
                 "supersede_by", "wording"):
        with pytest.raises(ValueError, match=f"aggregation.{name}"):
            AggregationRules(**{name: "nonsense"})


# --- review statuses and wording ------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "criteria", "classified", "status", "text", "stars"), [
    ("practice-guideline", False, True, Status.PRACTICE_GUIDELINE, "practice guideline", 4),
    ("expert-panel", False, True, Status.EXPERT_PANEL, "reviewed by expert panel", 3),
    ("lab", True, True, Status.SINGLE, "criteria provided, single submitter", 1),
    ("ehr", True, True, Status.SINGLE, "criteria provided, single submitter", 1),
    ("lab", False, True, Status.NO_CRITERIA, "no assertion criteria provided", 0),
    ("expert-panel", True, False, Status.NO_CLASSIFICATION, "no classification provided", 0),
])
def test_submission_review_status(role: str, criteria: bool, classified: bool, status: Status, text: str,
                                  stars: int) -> None:
    assert submission_status(role, criteria, classified) == status
    assert status_text(status) == text
    assert stars_of(status) == stars


def test_tiers_rank_in_precedence_order() -> None:
    ranks = [submission_tier(r, c) for r, c in
             [("practice-guideline", False), ("expert-panel", False), ("lab", True), ("lab", False)]]
    assert ranks == [Tier.PRACTICE_GUIDELINE, Tier.EXPERT_PANEL, Tier.CRITERIA, Tier.NO_CRITERIA] == sorted(ranks)[::-1]
    assert [int(t) for t in ranks] == [4, 3, 1, 0]


@pytest.mark.parametrize(("status", "legacy"), [
    (Status.CONFLICTING, "criteria provided, conflicting interpretations"),
    (Status.NO_CLASSIFICATION, "no assertion provided"),
    (Status.NO_SINGLE_VARIANT, "no interpretation for the single variant"),
    (Status.MULTIPLE_NO_CONFLICTS, "criteria provided, multiple submitters, no conflicts"),
    (Status.NO_UNFLAGGED, "no classifications from unflagged records"),
])
def test_both_wordings_read_back(status: Status, legacy: str) -> None:
    assert status_text(status, "legacy") == legacy
    assert status_from_text(legacy) == status_from_text(status_text(status)) == status
    assert status_from_text("  " + legacy.upper()) == status


def test_wording_helpers() -> None:
    assert status_from_text("five stars") is None
    with pytest.raises(ValueError, match="wording"):
        status_text(Status.SINGLE, "2019")
    legacy = "Conflicting interpretations of pathogenicity; risk factor"
    assert normalise_classification_text(legacy) == f"{CONFLICTING}; risk factor"
    assert is_conflicting_text(legacy) and is_conflicting_text("Conflicting classifications of oncogenicity")
    assert not is_conflicting_text("Pathogenic; conflicting data from submitters")


# --- §1 the two aggregate levels ------------------------------------------------------------------------------

def test_variant_level_conflicts_while_each_condition_agrees() -> None:
    overall, per_condition = aggregate_variant([sub("A", "Pathogenic", cond="X"), sub("B", "Benign", cond="Y"),
                                                sub("C", "Likely benign", cond="Y")])
    assert overall is not None and overall.conflict
    assert overall.explanation == "Pathogenic(1); Benign(1); Likely benign(1)"
    assert sorted(per_condition) == ["X", "Y"]
    assert (per_condition["X"].classification, per_condition["X"].stars) == ("Pathogenic", 1)
    assert (per_condition["Y"].classification, per_condition["Y"].stars) == ("Benign/Likely benign", 2)


def test_condition_can_conflict_under_a_panel_decided_variant() -> None:
    """Why "a condition never conflicts unless the variant does" is NOT a property: tiers are per level."""
    overall, per_condition = aggregate_variant([sub("EP", "Pathogenic", "expert-panel", cond="X"),
                                                sub("A", "Pathogenic", cond="Y"), sub("B", "Benign", cond="Y")])
    assert overall is not None and not overall.conflict and overall.stars == 3
    assert per_condition["Y"].conflict


def test_variant_level_edges() -> None:
    assert aggregate_variant([]) == (None, {})
    superseded = SubmissionFacts("A", "lab", "Benign", True, "Y", None, current=False)
    overall, per_condition = aggregate_variant([sub("A", "Pathogenic", cond="X"), superseded])
    assert overall is not None and overall.classification == "Pathogenic" and list(per_condition) == ["X"]
    with pytest.raises(ValueError, match="reserved"):
        aggregate_variant([sub("A", "Pathogenic", cond=VARIANT_LEVEL)])
    with pytest.raises(ValueError, match="one classification type"):
        aggregate_variant([sub("A", "Pathogenic", cond="X"), sub("A", "Oncogenic", cond="Y", kind="oncogenicity")])


# --- §10 which version is current -----------------------------------------------------------------------------

def v(version: int, date: str | None, withdrawn: bool = False) -> VersionFacts:
    return VersionFacts(version, dt.date.fromisoformat(date) if date else None, withdrawn)


@pytest.mark.parametrize(("versions", "by_date", "by_receipt"), [
    pytest.param([v(1, "2020-01-01")], 1, 1, id="single"),
    pytest.param([v(1, "2020-01-01"), v(2, "2022-01-01")], 2, 2, id="newer-evaluation"),
    pytest.param([v(1, "2022-01-01"), v(2, "2020-01-01")], 1, 2, id="late-report-older-evaluation"),
    pytest.param([v(1, "2022-01-01"), v(2, "2022-01-01")], 2, 2, id="tie-goes-to-latest-receipt"),
    pytest.param([v(1, "2022-01-01"), v(2, None)], 1, 2, id="undated-ranks-below-dated"),
    pytest.param([v(1, None), v(2, None)], 2, 2, id="all-undated"),
    pytest.param([v(1, "2022-01-01"), v(2, None, withdrawn=True)], 2, 2, id="withdrawal-becomes-current"),
    pytest.param([v(1, "2022-01-01"), v(2, None, True), v(3, "2019-01-01")], 3, 3, id="resubmitted-after-withdrawal"),
    pytest.param([v(3, "2019-01-01"), v(1, "2021-01-01"), v(2, "2020-01-01")], 1, 3, id="input-order-irrelevant"),
])
def test_current_version(versions: list[VersionFacts], by_date: int, by_receipt: int) -> None:
    assert current_version(versions).version == by_date
    assert current_version(versions, AggregationRules(supersede_by="receipt")).version == by_receipt


def test_current_version_needs_a_version() -> None:
    with pytest.raises(ValueError, match="at least one version"):
        current_version([])
