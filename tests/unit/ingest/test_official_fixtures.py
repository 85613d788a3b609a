"""Each official Genomics Reporting example maps to exactly the variants, classifications and issues expected.

All official fixtures are accepted (no error issues). Decisions for the ambiguous ones are in each docstring.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest

from app.ingest import map_submission

E = "Bundle.entry"
OFFICIAL = Path(__file__).resolve().parents[2] / "data" / "genomics-reporting"


def test_cgexample_maps_discrete_variant_and_members_but_not_the_complex_classification(official, summary):
    """ACAD9 is keyed by its NC_ g.HGVS (its 31731 coordinates are NG_-local and ignored, information); the
    complex parent is a grouping, its two CYP2D6 members are c.HGVS-only findings reached via hasMember; the
    implication on the complex parent classifies the combination and is skipped (information)."""
    for name, di in (("Bundle-bundle-cgexample.json", 8), ("Bundle-bundle-cgexample-withGrouping.json", 8)):
        report = map_submission(official(name))
        assert summary.findings(report) == [
            ("GRCh37:3:128625063:C:T", "allele", "heterozygous", "germline", "Pathogenic"),
            ("hgvs:NM_000106.5:c.886C>T", "transcript", None, None, None),
            ("hgvs:NM_000106.5:c.1457G>C", "transcript", None, None, None),
        ]
        assert summary.classifications(report) == [("GRCh37:3:128625063:C:T", "Pathogenic", "MONDO:0012624")]
        cls = report.classifications[0]
        assert cls.date_last_evaluated == dt.date(2016, 9, 6)  # year-only effective refined by issued
        assert cls.criteria_provided is False and cls.classification_type == "germline"
        aliases = {(a.kind, a.value) for a in cls.variant.aliases}
        assert {
            ("clinvar", "30880"),
            ("dbsnp", "rs368949613"),
            ("hgvs.c", "NM_014049.4:c.1249C>T"),
            ("hgvs.p", "NP_054768.2:p.Arg417Cys"),
            ("hgvs.g", "NC_000003.11:g.128625063C>T"),
        } <= aliases
        assert summary.issues(report, with_information=True) == [
            ("information", "informational", f"{E}[5].resource.component[10]"),
            ("information", "not-supported", f"{E}[{di}].resource"),
        ]
        assert report.status == "final" and report.issued == dt.date(2016, 9, 6)
        assert report.performer == "ExampleLab"
        assert report.cases[0].report_year == 2016 and report.cases[0].patient_identifiers == []


def test_cyp2c19_bulk_vcf_style(official, summary):
    report = map_submission(official("Bundle-bundle-CYP2C19.json"))
    found = summary.findings(report)
    assert len(found) == 74 and not report.issues
    assert found[0] == ("GRCh37:10:96448129:A:G", "allele", "heterozygous", None, None)
    keys = {f[0] for f in found}
    assert "GRCh37:10:96466885:-:ATA" in keys  # anchored insertion, trimmed
    assert "GRCh37:10:96536045:ATTC:TATT" in keys  # multi-base substitution
    assert sum(1 for f in found if f[2] == "homozygous") == 11
    assert report.classifications == []
    assert report.cases[0].patient_ref == "urn:uuid:19ac0aeb-6bd4-4e92-a891-d44a807bfeac"


def test_oncology_diagnostic_braf_with_text_condition(official, summary):
    report = map_submission(official("Bundle-bundle-oncology-diagnostic.json"))
    assert summary.findings(report) == [("GRCh37:7:140453136:A:T", "allele", None, None, "Pathogenic")]
    assert summary.classifications(report) == [("GRCh37:7:140453136:A:T", "Pathogenic", "text:melanoma")]
    assert report.classifications[0].date_last_evaluated == dt.date(2019, 3, 5)
    assert report.performer is None  # the performer is a Practitioner: never kept
    assert report.cases[0].patient_identifiers == [("", "1007")]
    assert summary.issues(report, with_information=True) == []


def test_oncologyexamples_mixed_builds_and_unnormalisable_deletion(official, summary):
    """Builds resolve per variant from the NC_ accession; ERBB4's g.HGVS del without bases cannot be
    normalised without the reference, so it is keyed by the expression itself (warning)."""
    report = map_submission(official("Bundle-bundle-oncologyexamples-r4.json"))
    assert summary.findings(report) == [
        ("GRCh38:9:5073770:G:T", "allele", None, "germline", None),
        ("GRCh37:4:55972974:T:A", "allele", None, "germline", None),
        ("hgvs:NC_000002.12:g.211713666_211713668del", "identifier", None, "germline", None),
    ]
    assert report.cases[0].findings[0].variant.gene == "JAK2"  # HGNC code is the bare symbol
    assert summary.issues(report) == [("warning", "value", f"{E}[7].resource")]


def test_oncology_report_example_c_hgvs_only(official, summary):
    """No positions, no alt: keyed by c.HGVS; the lone ref allele is genomic-strand and not a key."""
    for name, mismatches in (
        ("Bundle-bundle-oncology-report-example.json", [3, 11]),
        ("stu1-original/oncology-report-example.json", []),
    ):
        report = map_submission(official(name))
        found = summary.findings(report)
        assert len(found) == 12 and all(f[1] == "transcript" and f[3] == "somatic" for f in found)
        assert ("hgvs:NM_002524.4:c.34G>T", "transcript", None, "somatic", None) in found
        assert report.report_identifiers[0][1] == "42867" and report.performer == "CEGAT"
        assert report.cases[0].patient_identifiers[0][1] == "11111"
        assert summary.issues(report) == []
        notes = [i.location for i in report.issues if "version differs" in i.message]
        assert notes == [f"{E}[{n}].resource.component[3]" for n in mismatches]
    stu1 = map_submission(official("stu1-original/oncology-report-example.json"))
    assert stu1.cases[0].findings[0].variant.key == "hgvs:NM_006218.3:c.3140A>G"  # bare c. joined, /geneId
    assert stu1.cases[0].findings[0].variant.gene == "PIK3CA"


def test_pgxexample_ambiguous_coordinates_fall_back_to_rsid(official, summary):
    """No coordinate system, no NC_ accession (one on NG_, one with no refseq): the coordinates cannot give a
    genomic key (information), so each variant is identified by its rsID plus ref>alt (warning). Accepted."""
    report = map_submission(official("Bundle-bundle-pgxexample.json"))
    assert summary.findings(report) == [
        ("dbsnp:rs12345:T>G", "identifier", None, None, None),
        ("dbsnp:rs233455:T>G", "identifier", None, None, None),
    ]
    assert summary.issues(report) == [
        ("warning", "value", f"{E}[9].resource"),
        ("warning", "value", f"{E}[10].resource"),
    ]
    assert report.classifications == []  # the therapeutic implication is on the genotype


def test_nmnat1_bundles_deduplicate(official, summary):
    """The complex non-HGVS bundle gives transcript positions with no coordinate system: read as c.
    positions (warning) so both NMNAT1 bundles key the same two variants."""
    compound = map_submission(official("Bundle-bundle-compound-heterozygote.json"))
    complex_ = map_submission(official("Bundle-bundle-complexVariant-nonHGVS.json"))
    expected = [
        ("hgvs:NM_022787.3:c.769G>A", "transcript", "heterozygous", None, None),
        ("hgvs:NM_022787.3:c.53A>G", "transcript", "heterozygous", None, None),
    ]
    assert summary.findings(compound) == expected == summary.findings(complex_)
    assert summary.issues(compound) == []
    assert summary.issues(complex_) == [
        ("warning", "value", f"{E}[0].resource"),
        ("warning", "value", f"{E}[1].resource"),
    ]
    assert [a.value for a in complex_.cases[0].findings[0].variant.aliases] == ["NM_022787.3:c.769G>A"]


def test_hla_bundle_has_no_variants(official, summary):
    report = map_submission(official("Bundle-bundle-CG-IG-HLA-FullBundle-01.json"))
    assert report.cases == [] and report.classifications == [] and report.issues == []
    assert report.issued == dt.date(2016, 12, 15)


def test_somatic_report_with_unresolved_results(official, summary):
    report = map_submission(official("DiagnosticReport-somaticReport.json"))
    assert report.cases == [] and report.classifications == []
    assert summary.issues(report) == [
        ("warning", "not-found", f"DiagnosticReport.result[{i}]") for i in range(38)
    ]
    assert report.report_identifiers == [("", "23-0000345")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Observation-EGFR-L858R-var.json", ("GRCh37:7:55259515:T:G", "allele", None, "somatic", None)),
        ("Observation-NTHL1-snv-var.json", ("GRCh38:16:2040196:C:T", "allele", None, "somatic", None)),
        (
            "Observation-variant-with-molec-consequences.json",
            ("GRCh37:1:86852621:A:G", "allele", "heterozygous", "germline", None),
        ),
        (
            "Observation-VariantExample.json",
            ("GRCh38:17:39723966:ATTGAGGGAAAACACA:-", "allele", None, None, None),
        ),
        (
            "Observation-ExampleGermlineCNV.json",
            ("GRCh37:22:42523949-42533891:CN3", "structural", None, "germline", None),
        ),
        ("Observation-RepeatExpansion.json", ("repeat:NM_004643.4:GGC[11]", "repeat", None, None, None)),
    ],
)
def test_single_variant_observations(official, summary, name, expected):
    report = map_submission(official(name))
    assert summary.findings(report) == [expected]
    assert not report.errors


def test_egfr_text_variation_code_is_a_text_alias(official):
    variant = map_submission(official("Observation-EGFR-L858R-var.json")).cases[0].findings[0].variant
    assert ("text", "EGFR L858R") in {(a.kind, a.value) for a in variant.aliases}


def test_repeat_expansion_flags_count_mismatch(official, summary):
    """Repeat number 11 vs c.HGVS [14]: the repeat-number component is used, with a warning."""
    report = map_submission(official("Observation-RepeatExpansion.json"))
    assert summary.issues(report) == [("warning", "value", "Observation.component[6]")]


def test_reference_call_is_not_a_finding(official, summary):
    report = map_submission(official("Observation-Pgx-var-1011.json"))
    assert report.cases == []
    assert summary.issues(report, with_information=True) == [("information", "informational", "Observation")]


@pytest.mark.parametrize(
    "name",
    [
        "Observation-EGFR-L858R-significance.json",
        "Observation-NTHL1-snv-disease.json",
        "Observation-obs-idh-ex.json",
    ],
)
def test_lone_implications_without_their_variant_are_accepted_with_warning(official, summary, name):
    """The classified Variant is in another file: nothing can be stored; warnings, not errors."""
    report = map_submission(official(name))
    assert report.classifications == [] and report.cases == []
    assert summary.issues(report) == [
        ("warning", "not-found", "Observation.derivedFrom[0]"),
        ("warning", "not-found", "Observation.derivedFrom"),
    ]


@pytest.mark.parametrize(
    "name", ["Observation-EGFR-L858R-molc.json", "Observation-EGFR-L858R-therapuDrug1.json"]
)
def test_unmapped_observations(official, summary, name):
    report = map_submission(official(name))
    assert report.cases == [] and report.classifications == [] and not summary.issues(report)


def test_somatic_files_assembled_flag_the_molecular_consequence_subject(official, summary):
    """Assembled into one collection, EGFR-L858R-molc's subject differs from the variant's; it is not mapped
    into the store, so this is a warning and the bundle is still accepted."""
    names = [
        "Observation-EGFR-L858R-var.json",
        "Observation-EGFR-L858R-significance.json",
        "Observation-EGFR-L858R-molc.json",
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"http://example.org/fhir/Observation/{official(n)['id']}", "resource": official(n)}
            for n in names
        ],
    }
    report = map_submission(bundle)
    assert summary.classifications(report) == [("GRCh37:7:55259515:T:G", "Pathogenic", "not-specified")]
    assert summary.issues(report) == [("warning", "business-rule", f"{E}[2].resource.subject")]


@pytest.mark.parametrize("path", sorted(OFFICIAL.rglob("*.json")), ids=lambda p: p.name)
def test_every_official_fixture_is_accepted(path):
    report = map_submission(orjson.loads(path.read_bytes()))
    assert report.errors == []
    assert all(i.code != "exception" for i in report.issues)
