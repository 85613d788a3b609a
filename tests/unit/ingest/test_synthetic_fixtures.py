"""The project's synthetic fixtures (tests/data/synthetic, see its README) cover genomics-reporting.md §13."""

from __future__ import annotations

import datetime as dt

import pytest

from app.ingest import map_submission

E = "Bundle.entry"
PATIENT = "urn:uuid:00000000-0000-4000-8000-000000000001"
BRCA1_38 = "GRCh38:17:43045712:G:A"


def test_grch38_spdi_with_criteria_and_phenotypes(synthetic, summary):
    report = map_submission(synthetic("grch38-spdi"))
    assert summary.findings(report) == [(BRCA1_38, "allele", "heterozygous", "germline", "Pathogenic")]
    cls = report.classifications[0]
    assert (cls.term, cls.condition.key, cls.condition.label) == ("Pathogenic", "MONDO:0011450", "MONDO")
    assert cls.criteria_provided and cls.criteria_code == "acmg-amp-2015"
    assert cls.variant.spdi == "NC_000017.11:43045711:G:A" and cls.variant.gene == "BRCA1"
    assert cls.date_last_evaluated == dt.date(2024, 5, 1) and cls.origin == "germline"
    case = report.cases[0]
    assert case.patient_identifiers == [("http://hospital.example/mrn", "MRN-0001")]
    assert [p.key for p in case.phenotypes] == ["HPO:HP:0003002", "SNOMED:254837009"]
    assert case.report_year == 2024 and case.patient_ref == PATIENT
    assert report.performer == "LAB-42" and report.report_identifiers == [
        ("http://lab.example/reports", "RPT-1")
    ]
    assert summary.issues(report, with_information=True) == []


def test_grch37_vcf_indels_are_trimmed(synthetic, summary):
    report = map_submission(synthetic("grch37-vcf-trimming"))
    assert [f[0] for f in summary.findings(report)] == [
        "GRCh37:17:41197696:C:T",
        "GRCh37:17:41197701:-:ATA",
        "GRCh37:17:41197712:AAA:-",
    ]
    assert not report.issues


def test_all_three_coordinate_systems(synthetic, summary):
    report = map_submission(synthetic("coordinate-systems"))
    assert [f[0] for f in summary.findings(report)] == [
        "GRCh37:1:101:A:G",
        "GRCh37:1:201:C:T",
        "GRCh37:1:301:G:C",
    ]
    assert not report.issues


def test_absent_no_call_indeterminate_are_not_findings(synthetic, summary):
    report = map_submission(synthetic("call-results"))
    assert [f[0] for f in summary.findings(report)] == ["GRCh37:2:1000:A:C"]
    assert summary.issues(report, with_information=True) == [
        ("information", "informational", f"{E}[{i}].resource.value[x]") for i in (3, 4, 5)
    ]


def test_missing_call_is_an_error_for_labs_and_present_when_lenient(synthetic, summary):
    strict = map_submission(synthetic("missing-call"))
    assert summary.issues(strict) == [("error", "required", f"{E}[2].resource.value[x]")]
    assert strict.cases == []
    lenient = map_submission(synthetic("missing-call"), lenient=True)
    assert summary.issues(lenient) == [("warning", "required", f"{E}[2].resource.value[x]")]
    assert [f[0] for f in summary.findings(lenient)] == ["GRCh37:2:1000:A:C"]


def test_every_term(synthetic, summary):
    report = map_submission(synthetic("every-term"))
    terms = [(c.term, c.term_recognised) for c in report.classifications]
    assert terms == [
        ("Likely pathogenic", True),
        ("Uncertain significance", True),
        ("Likely benign", True),
        ("Benign", True),
        ("Likely pathogenic", True),
        ("Uncertain significance", True),
        ("Likely benign", True),
        ("Likely pathogenic", True),
        ("drug response", True),
        ("risk factor", True),
        ("Pathogenic, low penetrance", True),
        ("Established risk allele", True),
        ("Sort of bad", False),
    ]
    assert summary.issues(report) == [("warning", "code-invalid", f"{E}[27].resource.component[0]")]
    legacy = [i.location for i in report.issues if "retired" in i.message]
    assert legacy == [f"{E}[{n}].resource.component[0]" for n in (11, 13, 15)]
    assert not report.errors


def test_significance_on_the_variant_is_accepted_with_warning(synthetic, summary):
    report = map_submission(synthetic("significance-on-variant"))
    assert summary.classifications(report) == [
        ("GRCh38:3:7000:C:T", "Uncertain significance", "not-specified")
    ]
    assert summary.issues(report) == [("warning", "structure", f"{E}[2].resource.component[6]")]


def test_cnv_and_repeat_expansion(synthetic, summary):
    report = map_submission(synthetic("cnv-and-repeat"))
    assert summary.findings(report) == [
        ("GRCh38:22:18912231-21465672:CN1", "structural", None, None, "Pathogenic"),
        ("repeat:NM_002111.8:CAG[42]", "repeat", None, None, None),
    ]
    assert summary.classifications(report) == [
        ("GRCh38:22:18912231-21465672:CN1", "Pathogenic", "MONDO:0018923")
    ]
    assert ("iscn", "seq[GRCh38]del(22)(q11.21)") in {
        (a.kind, a.value) for a in report.cases[0].findings[0].variant.aliases
    }
    assert not report.issues


def test_bare_report_with_contained_resources(synthetic, summary):
    report = map_submission(synthetic("bare-report-contained"))
    assert summary.findings(report) == [(BRCA1_38, "allele", "heterozygous", None, "Likely pathogenic")]
    assert summary.classifications(report) == [(BRCA1_38, "Likely pathogenic", "not-specified")]
    assert report.cases[0].patient_identifiers == [("http://hospital.example/mrn", "MRN-C")]
    assert report.cases[0].patient_ref == "#pat"
    assert report.classifications[0].location == "DiagnosticReport.contained[2]"
    assert not report.issues


@pytest.mark.parametrize("name", ["document-bundle", "transaction-bundle"])
def test_document_and_transaction_bundles(synthetic, summary, name):
    report = map_submission(synthetic(name))
    assert [f[0] for f in summary.findings(report)] == [BRCA1_38]
    assert not report.issues


def test_amended_and_entered_in_error_share_the_report_identifier(synthetic, summary):
    original = map_submission(synthetic("report-original"))
    amended = map_submission(synthetic("report-amended"))
    retracted = map_submission(synthetic("report-entered-in-error"))
    assert original.report_identifiers == amended.report_identifiers == retracted.report_identifiers
    assert (original.status, amended.status, retracted.status) == ("final", "amended", "entered-in-error")
    assert [c.term for c in original.classifications] == ["Pathogenic"]
    assert [c.term for c in amended.classifications] == ["Likely pathogenic"]
    assert not (original.errors or amended.errors or retracted.errors)


def test_classification_only_bundle_has_no_cases(synthetic, summary):
    report = map_submission(synthetic("classification-only"))
    assert summary.classifications(report) == [(BRCA1_38, "Pathogenic", "MONDO:0011450")]
    assert report.cases == [] and not report.issues


def test_nested_groupers_and_a_derived_from_cycle(synthetic, summary):
    """The variant is reachable only through two groupers' hasMember; variant and implication point at each
    other through derivedFrom, and the walk still ends."""
    report = map_submission(synthetic("nested-groupers-and-cycle"))
    assert summary.findings(report) == [(BRCA1_38, "allele", "heterozygous", None, "Pathogenic")]
    assert summary.issues(report, with_information=True) == []


def test_contradictory_coordinates_are_errors(synthetic, summary):
    report = map_submission(synthetic("contradictory-coordinates"))
    assert summary.issues(report) == [
        ("error", "value", f"{E}[2].resource.component[3]"),
        ("error", "value", f"{E}[3].resource.component[4]"),
    ]
    assert report.cases == []


def test_unknown_element_is_a_structure_error_with_its_path(synthetic, summary):
    report = map_submission(synthetic("unknown-element"))
    assert ("error", "structure", f"{E}[2].resource.component[1].valueStringg") in summary.issues(report)
    assert summary.issues(map_submission(synthetic("unknown-element"), lenient=True))[0][0] == "warning"


def test_mixed_subjects_are_rejected(synthetic, summary):
    report = map_submission(synthetic("mixed-subjects"))
    assert summary.issues(report) == [("error", "business-rule", f"{E}[3].resource.subject")]


def test_conflicting_terms_in_one_report_are_an_error(synthetic, summary):
    report = map_submission(synthetic("conflicting-terms"))
    assert summary.issues(report) == [("error", "conflict", f"{E}[4].resource")]


def test_stu2_and_stu1_shapes(synthetic, summary):
    """Aliased system URIs (geneId, nuccore, https varnomen, example.org/dbsnp, tbd-codes, TbdCodes), a bare
    c. joined with its transcript, STU1 81255-2 and an STU1 53037-8 Observation."""
    report = map_submission(synthetic("stu2-and-stu1-shapes"))
    assert summary.classifications(report) == [
        ("hgvs:NM_007294.4:c.5266dupC", "Pathogenic", "MedGen:C0677776"),
        ("hgvs:NM_000059.3:c.68-7T>A", "Uncertain significance", "not-specified"),
    ]
    first = report.classifications[0]
    assert first.mode_of_inheritance == "HP:0000006" and first.variant.gene == "BRCA1"
    assert ("dbsnp", "rs80357906") in {(a.kind, a.value) for a in first.variant.aliases}
    assert report.classifications[1].date_last_evaluated == dt.date(2019, 1, 1)
    assert not report.issues
