"""The aggregation rules, one table row per rule of classification-aggregation.md (§2-§13), default settings."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.aggregation import (
    DEFAULT_RULES,
    Aggregate,
    AggregationRules,
    SubmissionFacts,
    aggregate_submissions,
)

# Submitter tiers as (role, criteria provided); "ehr" counts like "lab".
TIERS = {"PG": ("practice-guideline", False), "EP": ("expert-panel", False), "1": ("lab", True),
         "0": ("lab", False), "ehr1": ("ehr", True), "ehr0": ("ehr", False), "EP+": ("expert-panel", True)}
LEGACY = AggregationRules(wording="legacy")

CONFLICTING = "Conflicting classifications of pathogenicity"
PG, EP = "practice guideline", "reviewed by expert panel"
MULTI, SINGLE = "criteria provided, multiple submitters, no conflicts", "criteria provided, single submitter"
CONFLICT_1, NO_CRITERIA = "criteria provided, conflicting classifications", "no assertion criteria provided"
NO_CLASS, NO_UNFLAGGED = "no classification provided", "no classifications from unflagged records"


def sub(org: str, term: str, tier: str = "1", *, cond: str = "MONDO:0000001", date: str | None = None,
        flagged: bool = False, current: bool = True, kind: str = "germline") -> SubmissionFacts:
    role, criteria = TIERS[tier]
    return SubmissionFacts(org, role, term, criteria, cond, dt.date.fromisoformat(date) if date else None,
                           flagged=flagged, current=current, classification_type=kind)


def agg(classification: str, status: str, stars: int, n: int, explanation: str | None = None,
        date: str | None = None) -> Aggregate:
    return Aggregate(classification, status, stars, explanation is not None, explanation, n,
                     dt.date.fromisoformat(date) if date else None)


EMPTY_NOT_PROVIDED = agg("not provided", NO_CLASS, 0, 0)
EMPTY_FLAGGED = agg(NO_UNFLAGGED, NO_UNFLAGGED, 0, 0)

CASES = [
    # §6 worked examples, in the reference's order.
    ("ex-p-lp-two-labs", [sub("A", "Pathogenic"), sub("B", "Likely pathogenic")],
     agg("Pathogenic/Likely pathogenic", MULTI, 2, 2)),
    ("ex-vcv-one-lab-two-conditions", [sub("A", "Pathogenic", cond="X"), sub("A", "Pathogenic", cond="Y")],
     agg("Pathogenic", SINGLE, 1, 1)),
    ("ex-lp-lp-vus", [sub("A", "Likely pathogenic"), sub("B", "Likely pathogenic"), sub("C", "Uncertain significance")],
     agg(CONFLICTING, CONFLICT_1, 1, 3, "Likely pathogenic(2); Uncertain significance(1)")),
    ("ex-1star-beats-0star", [sub("A", "Pathogenic"), sub("B", "Benign", "0")], agg("Pathogenic", SINGLE, 1, 1)),
    ("ex-expert-panel-decides", [sub("EP", "Pathogenic", "EP"), sub("A", "Benign"), sub("B", "Uncertain significance")],
     agg("Pathogenic", EP, 3, 1)),
    ("ex-0star-conflict", [sub("A", "Uncertain significance", "0"), sub("B", "Benign", "0")],
     agg(CONFLICTING, NO_CRITERIA, 0, 2, "Uncertain significance(1); Benign(1)")),
    ("ex-lower-tier-other-term-ignored", [sub("A", "Pathogenic"), sub("B", "risk factor", "0")],
     agg("Pathogenic", SINGLE, 1, 1)),
    ("ex-other-term-same-tier", [sub("A", "Pathogenic"), sub("B", "risk factor")],
     agg("Pathogenic; risk factor", MULTI, 2, 2)),
    ("ex-two-guidelines-drug-response", [sub("G1", "drug response", "PG"), sub("G2", "drug response", "PG")],
     agg("drug response", PG, 4, 2)),
    ("ex-all-flagged", [sub("A", "Pathogenic", flagged=True), sub("B", "Benign", flagged=True)], EMPTY_FLAGGED),
    # §5 sides and conflicts.
    ("p-side-mix-canonical-order", [sub("A", "Established risk allele"), sub("B", "Pathogenic, low penetrance"),
                                    sub("C", "Likely pathogenic"), sub("D", "Pathogenic")],
     agg("Pathogenic/Likely pathogenic/Pathogenic, low penetrance/Established risk allele", MULTI, 2, 4)),
    ("all-p-side-terms", [sub(str(i), t) for i, t in enumerate(
        ["Likely risk allele", "Established risk allele", "Likely pathogenic, low penetrance",
         "Pathogenic, low penetrance", "Likely pathogenic", "Pathogenic"])],
     agg("Pathogenic/Likely pathogenic/Pathogenic, low penetrance/Likely pathogenic, low penetrance/"
         "Established risk allele/Likely risk allele", MULTI, 2, 6)),
    ("b-lb", [sub("A", "Likely benign"), sub("B", "Benign")], agg("Benign/Likely benign", MULTI, 2, 2)),
    ("vus-and-uncertain-risk-allele-agree", [sub("A", "Uncertain risk allele"), sub("B", "Uncertain significance")],
     agg("Uncertain significance/Uncertain risk allele", MULTI, 2, 2)),
    ("p-vs-vus", [sub("A", "Pathogenic"), sub("B", "Uncertain significance")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Pathogenic(1); Uncertain significance(1)")),
    ("p-vs-b", [sub("A", "Benign"), sub("B", "Pathogenic")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Pathogenic(1); Benign(1)")),
    ("vus-vs-lb", [sub("A", "Likely benign"), sub("B", "Uncertain significance")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Uncertain significance(1); Likely benign(1)")),
    ("three-sides", [sub("A", "Likely benign"), sub("B", "Uncertain significance"), sub("C", "Likely pathogenic")],
     agg(CONFLICTING, CONFLICT_1, 1, 3, "Likely pathogenic(1); Uncertain significance(1); Likely benign(1)")),
    ("low-penetrance-vs-vus", [sub("A", "Likely pathogenic, low penetrance"), sub("B", "Uncertain significance")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Likely pathogenic, low penetrance(1); Uncertain significance(1)")),
    ("risk-allele-vs-vus", [sub("A", "Established risk allele"), sub("B", "Uncertain significance")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Established risk allele(1); Uncertain significance(1)")),
    ("uncertain-risk-allele-vs-benign", [sub("A", "Uncertain risk allele"), sub("B", "Benign")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Uncertain risk allele(1); Benign(1)")),
    ("explanation-canonical-order-not-input-order",
     [sub("A", "Benign"), sub("B", "Likely benign"), sub("C", "Uncertain significance"), sub("D", "Benign")],
     agg(CONFLICTING, CONFLICT_1, 1, 4, "Uncertain significance(1); Benign(2); Likely benign(1)")),
    # §2 and §6 other terms: never a side, appended after the head with "; ", alphabetical (case-insensitive).
    ("other-term-after-head", [sub("A", "Benign"), sub("B", "protective")], agg("Benign; protective", MULTI, 2, 2)),
    ("other-terms-alphabetical", [sub("A", "risk factor"), sub("B", "Pathogenic"), sub("C", "association"),
                                  sub("D", "Affects"), sub("E", "drug response")],
     agg("Pathogenic; Affects; association; drug response; risk factor", MULTI, 2, 5)),
    ("other-terms-only", [sub("A", "risk factor"), sub("B", "association")],
     agg("association; risk factor", MULTI, 2, 2)),
    ("other-term-single", [sub("A", "confers sensitivity")], agg("confers sensitivity", SINGLE, 1, 1)),
    ("other-terms-never-conflict", [sub("A", "drug response"), sub("B", "association not found"),
                                    sub("C", "other"), sub("D", "conflicting data from submitters")],
     agg("association not found; conflicting data from submitters; drug response; other", MULTI, 2, 4)),
    ("conflict-keeps-other-terms", [sub("A", "Pathogenic"), sub("B", "Benign"), sub("C", "risk factor")],
     agg(f"{CONFLICTING}; risk factor", CONFLICT_1, 1, 3, "Pathogenic(1); Benign(1)")),
    ("other-terms-not-in-explanation", [sub("A", "Pathogenic"), sub("B", "Uncertain significance"),
                                        sub("C", "drug response"), sub("D", "drug response")],
     agg(f"{CONFLICTING}; drug response", CONFLICT_1, 1, 4, "Pathogenic(1); Uncertain significance(1)")),
    ("unrecognised-term-is-tail-never-conflict", [sub("A", "Pathogenic"), sub("B", "Founder variant")],
     agg("Pathogenic; Founder variant", MULTI, 2, 2)),
    ("unrecognised-term-alone", [sub("A", "Founder variant")], agg("Founder variant", SINGLE, 1, 1)),
    # "not provided" never contributes, at any tier.
    ("not-provided-ignored", [sub("A", "Pathogenic"), sub("B", "not provided")], agg("Pathogenic", SINGLE, 1, 1)),
    ("not-provided-expert-panel-does-not-decide", [sub("EP", "not provided", "EP"), sub("A", "Benign")],
     agg("Benign", SINGLE, 1, 1)),
    ("blank-term-is-no-classification", [sub("A", "  "), sub("B", "Benign", "0")], agg("Benign", NO_CRITERIA, 0, 1)),
    ("only-not-provided", [sub("A", "not provided"), sub("B", "not provided", "EP")], EMPTY_NOT_PROVIDED),
    # §2 2026 VUS subtiers collapse to "Uncertain significance".
    ("vus-subtiers-agree", [sub("A", "VUS-high"), sub("B", "VUS-low"), sub("C", "Uncertain significance")],
     agg("Uncertain significance", MULTI, 2, 3)),
    ("vus-subtier-vs-lp", [sub("A", "VUS-high"), sub("B", "Likely pathogenic")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Likely pathogenic(1); Uncertain significance(1)")),
    ("vus-subtiers-counted-together", [sub("A", "VUS-mid"), sub("B", "VUS-low"), sub("C", "Benign")],
     agg(CONFLICTING, CONFLICT_1, 1, 3, "Uncertain significance(2); Benign(1)")),
    # §4 precedence: PG > EP > criteria > no criteria; lower tiers ignored entirely.
    ("guideline-beats-panel", [sub("EP", "Pathogenic", "EP"), sub("G", "Benign", "PG")], agg("Benign", PG, 4, 1)),
    ("guideline-beats-labs", [sub("G", "drug response", "PG"), sub("A", "Pathogenic"), sub("B", "Benign")],
     agg("drug response", PG, 4, 1)),
    ("panel-beats-agreeing-labs", [sub("A", "Benign"), sub("B", "Benign"), sub("EP", "Likely pathogenic", "EP")],
     agg("Likely pathogenic", EP, 3, 1)),
    ("panel-without-criteria-still-3-stars", [sub("EP", "Pathogenic", "EP"), sub("EP2", "Pathogenic", "EP+")],
     agg("Pathogenic", EP, 3, 2)),
    ("panels-agree", [sub("EP1", "Pathogenic", "EP"), sub("EP2", "Likely pathogenic", "EP")],
     agg("Pathogenic/Likely pathogenic", EP, 3, 2)),
    ("panels-disagree-keep-status", [sub("EP1", "Pathogenic", "EP"), sub("EP2", "Benign", "EP"), sub("A", "Benign")],
     agg(CONFLICTING, EP, 3, 2, "Pathogenic(1); Benign(1)")),
    ("guidelines-disagree-keep-status",
     [sub("G1", "Likely pathogenic", "PG"), sub("G2", "Uncertain significance", "PG")],
     agg(CONFLICTING, PG, 4, 2, "Likely pathogenic(1); Uncertain significance(1)")),
    ("one-1star-beats-many-0star", [sub("A", "Uncertain significance"), *(sub(o, "Benign", "0") for o in "BCDE")],
     agg("Uncertain significance", SINGLE, 1, 1)),
    ("0star-only-agree", [sub("A", "Benign", "0"), sub("B", "Likely benign", "0")],
     agg("Benign/Likely benign", NO_CRITERIA, 0, 2)),
    ("0star-single", [sub("A", "Pathogenic", "0")], agg("Pathogenic", NO_CRITERIA, 0, 1)),
    ("ehr-counts-like-lab", [sub("H", "Pathogenic", "ehr1"), sub("A", "Likely pathogenic")],
     agg("Pathogenic/Likely pathogenic", MULTI, 2, 2)),
    ("ehr-without-criteria-is-0-star", [sub("H", "Benign", "ehr0"), sub("A", "Pathogenic")],
     agg("Pathogenic", SINGLE, 1, 1)),
    # §8 submitters are organisations; §7 the explanation counts submissions.
    ("one-org-many-submissions-is-single", [sub("A", "Pathogenic", cond="X"), sub("A", "Likely pathogenic", cond="Y"),
                                            sub("A", "Pathogenic", cond="Z")],
     agg("Pathogenic/Likely pathogenic", SINGLE, 1, 1)),
    ("one-org-on-two-sides-conflicts", [sub("A", "Pathogenic", cond="X"), sub("A", "Benign", cond="Y")],
     agg(CONFLICTING, CONFLICT_1, 1, 1, "Pathogenic(1); Benign(1)")),
    ("explanation-counts-submissions", [sub("A", "Likely pathogenic", cond="X"),
                                        sub("A", "Likely pathogenic", cond="Y"), sub("B", "Uncertain significance")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Likely pathogenic(2); Uncertain significance(1)")),
    ("explanation-top-tier-only", [sub("A", "Pathogenic"), sub("B", "Uncertain significance"), sub("C", "Benign", "0")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Pathogenic(1); Uncertain significance(1)")),
    ("submitters-counted-at-top-tier-only", [sub("A", "Pathogenic"), sub("B", "Pathogenic", "0")],
     agg("Pathogenic", SINGLE, 1, 1)),
    ("not-provided-org-not-counted", [sub("A", "Pathogenic"), sub("B", "not provided")],
     agg("Pathogenic", SINGLE, 1, 1)),
    # §11 date last evaluated: latest among contributing top-tier submissions, undated ignored.
    ("date-max-contributing", [sub("A", "Pathogenic", date="2020-01-01"), sub("B", "Pathogenic", date="2022-05-05")],
     agg("Pathogenic", MULTI, 2, 2, date="2022-05-05")),
    ("date-lower-tier-ignored", [sub("A", "Pathogenic", date="2020-01-01"), sub("B", "Benign", "0", date="2024-01-01")],
     agg("Pathogenic", SINGLE, 1, 1, date="2020-01-01")),
    ("date-undated-ignored", [sub("A", "Pathogenic"), sub("B", "Pathogenic", date="2021-03-04")],
     agg("Pathogenic", MULTI, 2, 2, date="2021-03-04")),
    ("date-all-undated", [sub("A", "Pathogenic"), sub("B", "Pathogenic")], agg("Pathogenic", MULTI, 2, 2)),
    ("date-of-conflict", [sub("A", "Pathogenic", date="2019-01-01"), sub("B", "Benign", date="2023-06-30")],
     agg(CONFLICTING, CONFLICT_1, 1, 2, "Pathogenic(1); Benign(1)", date="2023-06-30")),
    ("date-flagged-ignored",
     [sub("A", "Benign", date="2018-01-01"), sub("B", "Benign", date="2024-01-01", flagged=True)],
     agg("Benign", SINGLE, 1, 1, date="2018-01-01")),
    ("date-superseded-ignored", [sub("A", "Benign", date="2018-01-01"), sub("A", "Benign", date="2024-01-01",
                                                                            current=False)],
     agg("Benign", SINGLE, 1, 1, date="2018-01-01")),
    # §9 flagged submissions leave the aggregate, with no fallback to another version.
    ("flagged-conflict-removed", [sub("A", "Pathogenic"), sub("B", "Benign", flagged=True)],
     agg("Pathogenic", SINGLE, 1, 1)),
    ("flagged-panel-does-not-decide", [sub("EP", "Pathogenic", "EP", flagged=True), sub("A", "Benign")],
     agg("Benign", SINGLE, 1, 1)),
    ("flagged-not-counted-as-submitter", [sub("A", "Benign"), sub("B", "Benign", flagged=True)],
     agg("Benign", SINGLE, 1, 1)),
    ("flagged-superseded-not-fallen-back", [sub("A", "Pathogenic", flagged=True), sub("A", "Benign", current=False),
                                            sub("B", "Likely pathogenic")],
     agg("Likely pathogenic", SINGLE, 1, 1)),
    ("flagged-classified-and-unflagged-not-provided", [sub("A", "Pathogenic", flagged=True), sub("B", "not provided")],
     EMPTY_FLAGGED),
    ("flagged-not-provided-only", [sub("A", "not provided", flagged=True)], EMPTY_NOT_PROVIDED),
    # §10 only current versions count.
    ("superseded-ignored", [sub("A", "Pathogenic", current=False), sub("A", "Benign")], agg("Benign", SINGLE, 1, 1)),
    ("superseded-conflict-ignored", [sub("A", "Uncertain significance", current=False), sub("A", "Pathogenic"),
                                     sub("B", "Pathogenic")],
     agg("Pathogenic", MULTI, 2, 2)),
    ("withdrawal-is-no-classification", [sub("A", "Pathogenic", current=False), sub("A", "not provided")],
     EMPTY_NOT_PROVIDED),
    # §12 legacy wording (the 2024 wording is every row above).
    ("legacy-conflict", [sub("A", "Pathogenic"), sub("B", "Benign")],
     agg("Conflicting interpretations of pathogenicity", "criteria provided, conflicting interpretations", 1, 2,
         "Pathogenic(1); Benign(1)"), LEGACY),
    ("legacy-0star-conflict", [sub("A", "Pathogenic", "0"), sub("B", "Benign", "0")],
     agg("Conflicting interpretations of pathogenicity", NO_CRITERIA, 0, 2, "Pathogenic(1); Benign(1)"), LEGACY),
    ("legacy-no-classification", [sub("A", "not provided")],
     agg("not provided", "no assertion provided", 0, 0), LEGACY),
    ("legacy-agreement-unchanged", [sub("A", "Pathogenic"), sub("B", "Pathogenic")],
     agg("Pathogenic", MULTI, 2, 2), LEGACY),
    # §13 oncogenicity: the germline rule with its own vocabulary.
    ("oncogenic-agree", [sub("A", "Likely oncogenic", kind="oncogenicity"), sub("B", "Oncogenic", kind="oncogenicity")],
     agg("Oncogenic/Likely oncogenic", MULTI, 2, 2)),
    ("oncogenicity-benign", [sub("A", "Likely benign", kind="oncogenicity"), sub("B", "Benign", kind="oncogenicity")],
     agg("Benign/Likely benign", MULTI, 2, 2)),
    ("oncogenicity-conflict", [sub("A", "Oncogenic", kind="oncogenicity"),
                               sub("B", "Uncertain significance", kind="oncogenicity")],
     agg("Conflicting classifications of oncogenicity", CONFLICT_1, 1, 2, "Oncogenic(1); Uncertain significance(1)")),
    ("oncogenicity-panel", [sub("EP", "Oncogenic", "EP", kind="oncogenicity"),
                            sub("A", "Benign", kind="oncogenicity")], agg("Oncogenic", EP, 3, 1)),
    # §13 somatic clinical impact: highest tier submitted, no conflicts, no "no conflicts" suffix.
    ("somatic-highest-tier", [sub("A", "Tier III - Unknown", kind="somatic-clinical-impact"),
                              sub("B", "Tier I - Strong", kind="somatic-clinical-impact")],
     agg("Tier I - Strong", "criteria provided, multiple submitters", 2, 2)),
    ("somatic-never-conflicts", [sub("A", "Tier IV - Benign/Likely benign", kind="somatic-clinical-impact"),
                                 sub("B", "Tier II - Potential", kind="somatic-clinical-impact")],
     agg("Tier II - Potential", "criteria provided, multiple submitters", 2, 2)),
    ("somatic-single", [sub("A", "Tier IV - Benign/Likely benign", kind="somatic-clinical-impact")],
     agg("Tier IV - Benign/Likely benign", SINGLE, 1, 1)),
    ("somatic-review-precedence", [sub("EP", "Tier II - Potential", "EP", kind="somatic-clinical-impact"),
                                   sub("A", "Tier I - Strong", kind="somatic-clinical-impact")],
     agg("Tier II - Potential", EP, 3, 1)),
]


@pytest.mark.parametrize(("submissions", "expected", "rules"),
                         [pytest.param(c[1], c[2], c[3] if len(c) > 3 else DEFAULT_RULES, id=c[0]) for c in CASES])
def test_aggregation_rule(submissions: list[SubmissionFacts], expected: Aggregate, rules: AggregationRules) -> None:
    assert aggregate_submissions(submissions, rules) == expected


def test_case_ids_are_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("submissions", [
    pytest.param([], id="nothing"),
    pytest.param([sub("A", "Pathogenic", current=False)], id="only-superseded"),
    pytest.param([sub("A", "Pathogenic", current=False, flagged=True)], id="only-superseded-flagged"),
])
def test_no_current_submission_gives_no_aggregate(submissions: list[SubmissionFacts]) -> None:
    assert aggregate_submissions(submissions) is None


def test_as_dict_is_json_friendly_and_round_trips() -> None:
    result = aggregate_submissions([sub("A", "Pathogenic", date="2021-02-03"), sub("B", "Benign")])
    assert result is not None
    assert result.as_dict() == {
        "classification": CONFLICTING, "review_status": CONFLICT_1, "stars": 1, "conflict": True,
        "explanation": "Pathogenic(1); Benign(1)", "submitter_count": 2, "last_evaluated": "2021-02-03",
    }
    assert Aggregate.from_dict(result.as_dict()) == result
    assert Aggregate.from_dict({**result.as_dict(), "last_evaluated": dt.date(2021, 2, 3)}) == result
    assert EMPTY_FLAGGED.as_dict()["last_evaluated"] is None


@pytest.mark.parametrize(("submissions", "message"), [
    pytest.param([sub("A", "Pathogenic"), sub("B", "Oncogenic", kind="oncogenicity")], "one classification type",
                 id="mixed-types"),
    pytest.param([sub("A", "Pathogenic", current=False, kind="oncogenicity"), sub("B", "Pathogenic")],
                 "one classification type", id="mixed-types-even-superseded"),
    pytest.param([sub("A", "Pathogenic", kind="pharmacogenomic")], "unknown classification type", id="unknown-type"),
    pytest.param([SubmissionFacts("A", "curator", "Pathogenic", True, "X", None)], "unknown submitter role",
                 id="unknown-role"),
    pytest.param([sub("A", "Pathogenic"), SubmissionFacts("B", "admin", "Benign", True, "X", None, flagged=True)],
                 "unknown submitter role", id="unknown-role-even-flagged"),
])
def test_caller_errors(submissions: list[SubmissionFacts], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aggregate_submissions(submissions)
