"""The policy document, small-cell display and the age/date rules of de-identification."""

from __future__ import annotations

import datetime as dt

import pytest

from app.deid.ages import age_category, age_in_years, is_top_coded, year_precision
from app.deid.policy import GENE_SYMBOL, TEXT_ALIAS, build_policy, describe_policy
from app.deid.reports import deidentify_report
from app.deid.small_cells import display_count, display_counts
from app.domain.reports import CaseRecord, Classification, Condition, MappedReport, Variant, VariantKind

VARIANT = Variant(key="GRCh38:17:43045712:G:A", kind=VariantKind.ALLELE, normalised=True)


@pytest.mark.parametrize(("n", "k", "shown"), [(0, 5, "<5"), (1, 5, "<5"), (4, 5, "<5"), (5, 5, 5), (12, 5, 12),
                                               (10, 11, "<11"), (11, 11, 11)])
def test_counts_below_k_are_shown_as_less_than_k(n, k, shown):
    assert display_count(n, k) == shown


def test_a_single_hidden_cell_is_not_derivable_from_the_others():
    assert display_counts({"male": 11, "female": 1}, 5) == {"male": "suppressed", "female": "<5"}
    assert display_counts({"a": 7, "b": 8, "c": 2, "d": 3}, 5) == {"a": 7, "b": 8, "c": "<5", "d": "<5"}
    with pytest.raises(ValueError):
        display_count(-1, 5)


@pytest.mark.parametrize(("born", "on", "years", "stored"), [
    ("1961-07-23", "2024-05-03", 62, "62"), ("1961-07-23", "2024-07-22", 62, "62"),
    ("1961-07-23", "2024-07-23", 63, "63"), ("1934-05-04", "2024-05-03", 89, "89"),
    ("1934-05-03", "2024-05-03", 90, "90+"), ("1930-02-14", "2024-05-03", 94, "90+"),
    ("2024-01-01", "2024-05-03", 0, "0")])
def test_ages_are_whole_years_with_a_90_plus_top_code(born, on, years, stored):
    age = age_in_years(dt.date.fromisoformat(born), dt.date.fromisoformat(on))
    assert age == years and age_category(age) == stored
    assert is_top_coded(stored) == (years >= 90)


def test_unknown_or_impossible_ages_are_not_stored():
    assert age_in_years(dt.date(2025, 1, 1), dt.date(2024, 1, 1)) is None
    assert age_category(None) is None and year_precision(None) is None


def _report(about_patient: bool, age: int | None = None) -> MappedReport:
    item = Classification(variant=VARIANT, condition=Condition("MONDO:0011450"), term="Pathogenic",
                          term_recognised=True, date_last_evaluated=dt.date(2024, 5, 1))
    cases = [CaseRecord(patient_ref="p", report_year=2024, age_years=age)] if about_patient else []
    return MappedReport(issued=dt.date(2024, 5, 3), classifications=[item], cases=cases, about_patient=about_patient)


def test_evaluation_dates_keep_the_year_inside_patient_reports_and_the_day_alone():
    policy = build_policy()
    inside = deidentify_report(_report(True, 62), policy)
    assert inside.classifications[0].date_last_evaluated == dt.date(2024, 1, 1)
    assert inside.classifications[0].date_precision == "year" and inside.issued == dt.date(2024, 1, 1)
    assert (inside.cases[0].age, inside.cases[0].age_years, inside.cases[0].report_year) == ("62", None, 2024)
    alone = deidentify_report(_report(False), policy)
    assert alone.classifications[0].date_last_evaluated == dt.date(2024, 5, 1)
    assert alone.classifications[0].date_precision == "day" and alone.issued == dt.date(2024, 5, 3)


def test_a_top_coded_case_keeps_no_year():
    elderly = deidentify_report(_report(True, 94), build_policy())
    assert (elderly.cases[0].age, elderly.cases[0].report_year, elderly.issued) == ("90+", None, None)


@pytest.mark.parametrize(("text", "kept"), [("EGFR L858R", True), ("BRAF Val600Glu", True), ("BRAF p.V600E", True),
                                            ("KRAS G12*", True), ("TP53 R175fs", True), ("Smith L858R", False),
                                            ("EGFR exon 19 deletion", False), ("John Smith", False),
                                            ("EGFR L858R seen in Mr Smith", False)])
def test_text_aliases_are_kept_only_as_gene_and_protein_change(text, kept):
    assert bool(TEXT_ALIAS.match(text)) is kept


@pytest.mark.parametrize(("symbol", "valid"), [("BRCA1", True), ("HLA-A", True), ("C1orf112", True),
                                               ("MT-ND1", True), ("Smith", False), ("brca1", False),
                                               ("BRCA1 gene", False)])
def test_gene_symbols_must_look_like_hgnc_symbols(symbol, valid):
    assert bool(GENE_SYMBOL.match(symbol)) is valid


def test_the_policy_document_states_k_dates_ages_and_what_is_dropped():
    document = describe_policy(build_policy(7))
    assert document["smallCells"]["k"] == 7 and "<7" in document["smallCells"]["rule"]
    assert document["ages"]["topCode"] == "90+"
    assert document["dates"]["classificationDateInPatientReport"] == "year"
    assert document["dates"]["classificationDateClassificationOnly"] == "day"
    assert any("names" in item for item in document["dropped"])
    assert document["allowlist"]["extensions"] == []
