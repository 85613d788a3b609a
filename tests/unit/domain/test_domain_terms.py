"""Germline classification vocabulary (classification-aggregation.md §2, genomics-reporting.md §6)."""

from __future__ import annotations

import pytest

from app.domain.terms import (
    NOT_PROVIDED,
    OTHER_TERMS,
    PROJECT_TERM_SYSTEM,
    TIER_TERMS,
    VUS_SUBTIERS,
    TermMatch,
    aggregation_term,
    canonical_order,
    is_tier_term,
    match_coding,
    match_loinc_answer,
    match_term_text,
    side_of,
)

CANONICAL = [
    ("Pathogenic", "P", "ACMG/AMP 5-tier"),
    ("Likely pathogenic", "P", "ACMG/AMP 5-tier"),
    ("Pathogenic, low penetrance", "P", "ClinGen low penetrance"),
    ("Likely pathogenic, low penetrance", "P", "ClinGen low penetrance"),
    ("Established risk allele", "P", "ClinGen risk allele"),
    ("Likely risk allele", "P", "ClinGen risk allele"),
    ("Uncertain significance", "V", "ACMG/AMP 5-tier"),
    ("Uncertain risk allele", "V", "ClinGen risk allele"),
    ("Benign", "B", "ACMG/AMP 5-tier"),
    ("Likely benign", "B", "ACMG/AMP 5-tier"),
]
OTHER = [
    "drug response", "risk factor", "association", "association not found", "protective", "Affects",
    "confers sensitivity", "other", "conflicting data from submitters",
]  # fmt: skip


def test_vocabulary_lists() -> None:
    assert [term for term, _, _ in CANONICAL] == list(TIER_TERMS)
    assert list(OTHER_TERMS) == OTHER
    assert VUS_SUBTIERS == ("VUS-high", "VUS-mid", "VUS-low")
    assert NOT_PROVIDED == "not provided"


@pytest.mark.parametrize(("order", "row"), list(enumerate(CANONICAL, start=1)))
def test_every_tier_term(order: int, row: tuple[str, str, str]) -> None:
    term, side, group = row
    assert match_term_text(term) == TermMatch(term, side, True, False, group)
    assert (side_of(term), canonical_order(term), is_tier_term(term)) == (side, order, True)


@pytest.mark.parametrize("term", OTHER)
def test_every_other_term_has_no_side(term: str) -> None:
    assert match_term_text(term) == TermMatch(term, None, True, False, "other")
    assert side_of(term) is None
    assert not is_tier_term(term)
    assert canonical_order(term) > 10


def test_other_terms_sort_after_the_tiers_in_list_order() -> None:
    orders = [canonical_order(term) for term in OTHER]
    assert orders == sorted(orders) and orders[0] == 11
    assert canonical_order(NOT_PROVIDED) > orders[-1]
    assert canonical_order("made up") > canonical_order(NOT_PROVIDED)
    assert canonical_order(None) == canonical_order("made up")


def test_not_provided_is_recognised_without_a_side() -> None:
    assert match_term_text("not provided") == TermMatch(
        "not provided", None, True, False, "no classification"
    )
    assert match_term_text("No classification provided").term == "not provided"


@pytest.mark.parametrize("term", VUS_SUBTIERS)
def test_vus_subtiers_keep_their_spelling_and_aggregate_as_uncertain(term: str) -> None:
    match = match_term_text(term)
    assert (match.term, match.side, match.recognised, match.group) == (term, "V", True, "VUS subtier")
    assert aggregation_term(term) == "Uncertain significance"
    assert canonical_order(term) == canonical_order("Uncertain significance")
    assert not is_tier_term(term)
    assert match_term_text(term.lower().replace("-", " ")).term == term


def test_aggregation_term_leaves_other_terms_alone() -> None:
    assert aggregation_term("Likely benign") == "Likely benign"
    assert aggregation_term("risk factor") == "risk factor"


@pytest.mark.parametrize(
    ("code", "term", "side", "legacy"),
    [
        ("LA6668-3", "Pathogenic", "P", False),
        ("LA26332-9", "Likely pathogenic", "P", False),
        ("LA26333-7", "Uncertain significance", "V", False),
        ("LA26334-5", "Likely benign", "B", False),
        ("LA6675-8", "Benign", "B", False),
        ("LA6669-1", "Likely pathogenic", "P", True),
        ("LA6682-4", "Uncertain significance", "V", True),
        ("LA6674-1", "Likely benign", "B", True),
        (" la6668-3 ", "Pathogenic", "P", False),
    ],
)
def test_loinc_answers(code: str, term: str, side: str, legacy: bool) -> None:
    match = match_loinc_answer(code)
    assert match is not None
    assert (match.term, match.side, match.recognised, match.legacy, match.source) == (
        term,
        side,
        True,
        legacy,
        "loinc",
    )


@pytest.mark.parametrize("code", ["LA9633-4", "LA6668", "Pathogenic", "", None])
def test_unknown_loinc_answers(code: str | None) -> None:
    assert match_loinc_answer(code) is None


@pytest.mark.parametrize(
    ("text", "term", "legacy"),
    [
        ("likely pathogenic", "Likely pathogenic", False),
        ("Likely Pathogenic", "Likely pathogenic", False),
        ("LIKELY_PATHOGENIC", "Likely pathogenic", False),
        ("likely-pathogenic", "Likely pathogenic", False),
        ("  Likely   pathogenic ", "Likely pathogenic", False),
        ("probable-pathogenic", "Likely pathogenic", False),
        ("Probably pathogenic", "Likely pathogenic", False),
        ("Presumed pathogenic", "Likely pathogenic", True),
        ("VUS", "Uncertain significance", False),
        ("vus", "Uncertain significance", False),
        ("uncertain", "Uncertain significance", False),
        ("Variant of uncertain significance", "Uncertain significance", False),
        ("variant of unknown significance", "Uncertain significance", False),
        ("Unknown significance", "Uncertain significance", True),
        ("unknown", "Uncertain significance", True),
        ("probable-non-pathogenic", "Likely benign", False),
        ("Presumed benign", "Likely benign", True),
        ("non-pathogenic", "Benign", False),
        ("BENIGN", "Benign", False),
        ("pathogenic, low penetrance", "Pathogenic, low penetrance", False),
        ("Pathogenic low penetrance", "Pathogenic, low penetrance", False),
        ("likely pathogenic,low penetrance", "Likely pathogenic, low penetrance", False),
        ("established risk allele", "Established risk allele", False),
        ("Likely Risk Allele", "Likely risk allele", False),
        ("uncertain risk allele", "Uncertain risk allele", False),
        ("Drug Response", "drug response", False),
        ("drug_response", "drug response", False),
        ("Risk factor", "risk factor", False),
        ("affects", "Affects", False),
        ("Association not found", "association not found", False),
        ("Confers sensitivity", "confers sensitivity", False),
        ("Conflicting data from submitters", "conflicting data from submitters", False),
    ],
)
def test_spelling_normalisations(text: str, term: str, legacy: bool) -> None:
    match = match_term_text(text)
    assert (match.term, match.recognised, match.legacy, match.converted) == (term, True, legacy, True)
    assert match.side == side_of(term)


@pytest.mark.parametrize("text", ["Pathogenic", "drug response", "Affects", "VUS-high", "not provided"])
def test_exact_spelling_is_not_converted(text: str) -> None:
    assert match_term_text(text).converted is False


@pytest.mark.parametrize(
    "text",
    [
        "Pathogenic/Likely pathogenic",
        "Conflicting classifications of pathogenicity",
        "LP",
        "P",
        "Tier I - Strong",
        "Oncogenic",
        "Deleterious",
        "Responsive",
    ],
)
def test_unknown_terms_are_kept_verbatim_and_side_less(text: str) -> None:
    assert match_term_text(f"  {text} ") == TermMatch(text, None, False, False, "unrecognised")
    assert side_of(text) is None


def test_empty_text_is_unrecognised() -> None:
    assert match_term_text(None) == TermMatch("", None, False, False, "unrecognised")
    assert match_term_text("   ").recognised is False


class TestMatchCoding:
    def test_loinc_code_wins_over_display(self) -> None:
        match = match_coding("http://loinc.org", "LA6668-3", "Benign")
        assert match is not None and (match.term, match.source) == ("Pathogenic", "loinc")

    @pytest.mark.parametrize("system", ["http://loinc.org", "https://loinc.org/", " HTTP://LOINC.ORG "])
    def test_loinc_system_spellings(self, system: str) -> None:
        match = match_coding(system, "LA26334-5", None)
        assert match is not None and match.term == "Likely benign"

    def test_legacy_loinc_code(self) -> None:
        match = match_coding("http://loinc.org", "LA6682-4", "Unknown significance")
        assert match is not None and (match.term, match.legacy) == ("Uncertain significance", True)

    @pytest.mark.parametrize("term", [*TIER_TERMS, *OTHER_TERMS, *VUS_SUBTIERS, NOT_PROVIDED])
    def test_project_system_codes_are_clinvar_strings(self, term: str) -> None:
        match = match_coding(PROJECT_TERM_SYSTEM, term, None)
        assert match is not None
        assert (match.term, match.source, match.converted) == (term, "project", False)

    def test_project_system_code_in_other_case_is_converted(self) -> None:
        match = match_coding(PROJECT_TERM_SYSTEM, "pathogenic, low penetrance", None)
        assert match is not None and (match.term, match.converted) == ("Pathogenic, low penetrance", True)

    def test_unknown_code_falls_back_to_display(self) -> None:
        match = match_coding("http://loinc.org", "LA0000-0", "Likely Pathogenic")
        assert match is not None and (match.term, match.source) == ("Likely pathogenic", "text")
        match = match_coding(PROJECT_TERM_SYSTEM, "nonsense", "risk factor")
        assert match is not None and match.term == "risk factor"

    def test_other_system_uses_display_only(self) -> None:
        assert match_coding("http://snomed.info/sct", "Pathogenic", None) is None
        match = match_coding("http://snomed.info/sct", "12345", "Benign")
        assert match is not None and match.term == "Benign"

    def test_code_without_system(self) -> None:
        match = match_coding(None, "LA26333-7", None)
        assert match is not None and (match.term, match.source) == ("Uncertain significance", "loinc")
        match = match_coding(None, "Likely benign", None)
        assert match is not None and match.term == "Likely benign"

    def test_text_only(self) -> None:
        match = match_coding(None, None, "VUS")
        assert match is not None and match.term == "Uncertain significance"

    @pytest.mark.parametrize(
        ("system", "code", "display"),
        [
            ("http://loinc.org", "LA0000-0", None),
            ("http://loinc.org", "LA0000-0", "Deleterious"),
            (PROJECT_TERM_SYSTEM, "made up", None),
            (None, None, None),
            (None, "", ""),
        ],
    )
    def test_nothing_recognised(self, system: str | None, code: str | None, display: str | None) -> None:
        assert match_coding(system, code, display) is None
