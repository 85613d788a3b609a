"""Variant identity: allele keys, SPDI, genomic and transcript HGVS, structural and repeat keys."""

from __future__ import annotations

import hashlib

import pytest

from app.domain.hgvs import hgvs_genomic_start, join_transcript, parse_genomic_hgvs, transcript_variant
from app.domain.reports import Alias, Variant, VariantKind
from app.domain.variants import (
    InconsistentCoordinatesError,
    ReferenceCallError,
    VariantError,
    allele_variant,
    repeat_variant,
    structural_variant,
    trim_alleles,
    variant_from_spdi,
    variant_id_for_key,
    vcf_variant,
)


class TestWorkedExamples:
    """genomics-reporting.md §5.3."""

    def test_cyp2c19_first_variant(self) -> None:
        variant = vcf_variant("GRCh37", "10", 96448129, "A", "G")
        assert variant == Variant(
            key="GRCh37:10:96448129:A:G", kind=VariantKind.ALLELE, normalised=True, assembly="GRCh37",
            chromosome="10", position=96448129, ref="A", alt="G", spdi="NC_000010.10:96448128:A:G",
        )  # fmt: skip

    def test_interval_example(self) -> None:
        variant = allele_variant("GRCh37", "1", 86852620, "A", "G")
        assert (variant.key, variant.spdi) == ("GRCh37:1:86852621:A:G", "NC_000001.10:86852620:A:G")
        assert parse_genomic_hgvs("NC_000001.10:g.86852621A>G") == variant

    def test_cyp2c19_insertion(self) -> None:
        variant = vcf_variant("GRCh37", "10", 96466884, "T", "TATA")
        assert variant.spdi == "NC_000010.10:96466884::ATA"
        assert variant.key == "GRCh37:10:96466885:-:ATA"
        assert (variant.position, variant.ref, variant.alt) == (96466885, "", "ATA")

    def test_cyp2c19_multi_base(self) -> None:
        variant = vcf_variant("GRCh37", "10", 96536045, "ATTC", "TATT")
        assert variant.spdi == "NC_000010.10:96536044:ATTC:TATT"
        assert variant.key == "GRCh37:10:96536045:ATTC:TATT"

    def test_right_anchored_deletion(self) -> None:
        variant = allele_variant("GRCh38", "17", 39723965, "ATTGAGGGAAAACACAT", "T")
        assert variant.spdi == "NC_000017.11:39723965:ATTGAGGGAAAACACA:"
        assert variant.key == "GRCh38:17:39723966:ATTGAGGGAAAACACA:-"
        assert (variant.ref, variant.alt) == ("ATTGAGGGAAAACACA", "")

    def test_reference_call(self) -> None:
        with pytest.raises(ReferenceCallError, match="reference"):
            vcf_variant("GRCh37", "10", 96521657, "C", "C")
        assert issubclass(ReferenceCallError, VariantError)


class TestAlleleVariant:
    def test_inputs_are_normalised(self) -> None:
        variant = allele_variant("hg19", "chr10", 96448128, " a ", "g", gene=" CYP2C19 ")
        assert variant.key == "GRCh37:10:96448129:A:G"
        assert variant.gene == "CYP2C19"

    def test_suffix_is_trimmed_before_prefix(self) -> None:
        # AA>A: suffix-first trimming deletes the first A (prefix-first would delete the second).
        assert trim_alleles(10, "AA", "A") == (10, "A", "")
        assert allele_variant("GRCh38", "1", 10, "AA", "A").key == "GRCh38:1:11:A:-"

    def test_trim_examples(self) -> None:
        assert trim_alleles(0, "CAAA", "CAA") == (1, "A", "")
        assert trim_alleles(5, "GATTC", "GTATTC") == (6, "", "T")
        assert trim_alleles(5, "ACGT", "ATGT") == (6, "C", "T")

    def test_dash_means_an_empty_allele(self) -> None:
        assert allele_variant("GRCh38", "1", 10, "-", "AT").spdi == "NC_000001.11:10::AT"

    @pytest.mark.parametrize("allele", ["<DEL>", "*", ".", "R", "A T", "ACGU", "1"])
    def test_non_dna_alleles_are_refused(self, allele: str) -> None:
        with pytest.raises(VariantError, match="DNA bases"):
            allele_variant("GRCh38", "1", 10, "A", allele)

    def test_missing_allele(self) -> None:
        with pytest.raises(VariantError, match="ref allele is missing"):
            allele_variant("GRCh38", "1", 10, None, "A")  # type: ignore[arg-type]

    @pytest.mark.parametrize("position", [-1, True, "10", 1.5])
    def test_bad_positions(self, position: object) -> None:
        with pytest.raises(VariantError, match="position"):
            allele_variant("GRCh38", "1", position, "A", "G")  # type: ignore[arg-type]

    def test_vcf_position_must_be_one_based(self) -> None:
        with pytest.raises(VariantError, match="at least 1"):
            vcf_variant("GRCh38", "1", 0, "A", "G")

    def test_bad_assembly_and_chromosome(self) -> None:
        with pytest.raises(VariantError, match="older than GRCh37"):
            allele_variant("NCBI36", "1", 10, "A", "G")
        with pytest.raises(VariantError, match="chromosome"):
            allele_variant("GRCh38", "chr23", 10, "A", "G")

    def test_mitochondrial_variant_uses_rcrs(self) -> None:
        variant = allele_variant("GRCh37", "chrM", 3242, "A", "G")
        assert (variant.key, variant.spdi) == ("GRCh37:MT:3243:A:G", "NC_012920.1:3242:A:G")

    def test_aliases_are_deduplicated_in_order(self) -> None:
        variant = allele_variant(
            "GRCh38", "1", 10, "A", "G",
            aliases=[("dbsnp", "rs1"), Alias("clinvar", "5"), Alias("dbsnp", " rs1 "), ("text", ""),
                     ("text", "x")],
        )  # fmt: skip
        assert variant.aliases == (Alias("dbsnp", "rs1"), Alias("clinvar", "5"), Alias("text", "x"))

    def test_unknown_alias_kind_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="unknown alias kind"):
            allele_variant("GRCh38", "1", 10, "A", "G", aliases=[("omim", "1")])

    def test_variant_id(self) -> None:
        key = "GRCh37:10:96448129:A:G"
        expected = "vs" + hashlib.sha256(key.encode()).hexdigest()[:20]
        assert variant_id_for_key(key) == expected
        assert vcf_variant("GRCh37", "10", 96448129, "A", "G").variant_id == expected
        assert len(expected) == 22


class TestSpdi:
    def test_plain_spdi(self) -> None:
        variant = variant_from_spdi("NC_000017.11:43045711:G:A", gene="BRCA1")
        assert (variant.key, variant.gene) == ("GRCh38:17:43045712:G:A", "BRCA1")

    def test_unnormalised_spdi_is_trimmed(self) -> None:
        assert variant_from_spdi("NC_000010.10:96466883:T:TATA").spdi == "NC_000010.10:96466884::ATA"

    def test_zero_length_deletion_is_an_insertion(self) -> None:
        assert variant_from_spdi("NC_000017.11:100:0:AT").spdi == "NC_000017.11:100::AT"

    def test_deletion_length_needs_the_sequence(self) -> None:
        with pytest.raises(VariantError, match="needs the reference"):
            variant_from_spdi("NC_000017.11:100:3:")

    @pytest.mark.parametrize(
        ("spdi", "message"),
        [
            ("NC_000017.11:43045711:G", "four parts"),
            ("NC_000017.11:x:G:A", "0-based whole number"),
            ("NC_000017.11:-1:G:A", "0-based whole number"),
            ("NM_007294.4:100:G:A", "gene- or transcript-local"),
            ("", "four parts"),
        ],
    )
    def test_bad_spdi(self, spdi: str, message: str) -> None:
        with pytest.raises(VariantError, match=message):
            variant_from_spdi(spdi)

    def test_reference_call_spdi(self) -> None:
        with pytest.raises(ReferenceCallError):
            variant_from_spdi("NC_000017.11:100:A:A")

    def test_assembly_hint(self) -> None:
        assert variant_from_spdi("NC_012920.1:3242:A:G", assembly="GRCh37").key == "GRCh37:MT:3243:A:G"
        with pytest.raises(VariantError, match="contradicts"):
            variant_from_spdi("NC_000017.11:43045711:G:A", assembly="GRCh37")


class TestGenomicHgvs:
    @pytest.mark.parametrize(
        ("expr", "spdi"),
        [
            ("NC_000017.11:g.43045712G>A", "NC_000017.11:43045711:G:A"),
            ("nc_000017.11:g.43045712g>a", "NC_000017.11:43045711:G:A"),
            (" NC_000017.11 : g.43045712G>A ", "NC_000017.11:43045711:G:A"),
            ("NC_000017.11(BRCA1):g.43045712G>A", "NC_000017.11:43045711:G:A"),
            ("NC_000017.11:g.100_102delATGinsTT", "NC_000017.11:99:ATG:TT"),
            ("NC_000017.11:g.100delAinsGT", "NC_000017.11:99:A:GT"),
            ("NC_000017.11:g.100_102delATG", "NC_000017.11:99:ATG:"),
            ("NC_000017.11:g.100delA", "NC_000017.11:99:A:"),
            ("NC_000017.11:g.100_101insAT", "NC_000017.11:100::AT"),
            ("NC_000017.11:g.100dupA", "NC_000017.11:99::A"),
            ("NC_000017.11:g.100_101dupAT", "NC_000017.11:99::AT"),
            ("NC_012920.1:m.3243A>G", "NC_012920.1:3242:A:G"),
            ("NC_012920.1:g.3243A>G", "NC_012920.1:3242:A:G"),
        ],
    )
    def test_convertible_forms(self, expr: str, spdi: str) -> None:
        assert parse_genomic_hgvs(expr).spdi == spdi

    def test_assembly_comes_from_the_accession(self) -> None:
        assert parse_genomic_hgvs("NC_000004.11:g.55946198A>G").assembly == "GRCh37"
        assert parse_genomic_hgvs("NC_000009.12:g.5073770G>T").assembly == "GRCh38"
        assert parse_genomic_hgvs("NC_012920.1:m.3243A>G", assembly="hg19").assembly == "GRCh37"

    def test_gene_and_aliases_are_kept(self) -> None:
        variant = parse_genomic_hgvs("NC_000017.11:g.43045712G>A", gene="BRCA1", aliases=[("dbsnp", "rs1")])
        assert (variant.gene, variant.aliases) == ("BRCA1", (Alias("dbsnp", "rs1"),))

    @pytest.mark.parametrize(
        "expr",
        [
            "NC_000017.11:g.100_102delinsTT",
            "NC_000017.11:g.100delinsAG",
            "NC_000017.11:g.100_102del",
            "NC_000017.11:g.100del",
            "NC_000016.9:g.2124200_2138612dup",
            "NC_000017.11:g.100_102inv",
            "NC_000007.13:g.(100_200)_(300_400)del",
            "NC_000017.11:g.100AT>GC",
            "NC_000017.11:g.100_101ins(10)",
        ],
    )
    def test_forms_needing_the_reference_are_refused(self, expr: str) -> None:
        with pytest.raises(VariantError, match=r"needs the reference sequence|ref/alt allele components"):
            parse_genomic_hgvs(expr)

    @pytest.mark.parametrize(
        ("expr", "error", "message"),
        [
            ("NC_000017.11:g.100_102delAT", InconsistentCoordinatesError, "spans 3 bases but 2"),
            ("NC_000017.11:g.100_101dupA", InconsistentCoordinatesError, "spans 2 bases but 1"),
            ("NC_000017.11:g.100insAT", VariantError, "two flanking bases"),
            ("NC_000017.11:g.100_102insAT", VariantError, "two flanking bases"),
            ("NC_000017.11:g.102_100delATG", VariantError, "before its start"),
            ("NC_000017.11:g.0A>G", VariantError, "at least 1"),
            ("NC_000017.11:g.100=", ReferenceCallError, "reference call"),
            ("NC_000017.11:m.100A>G", VariantError, "mitochondrial"),
            ("NG_017064.1:g.5A>G", VariantError, "gene- or transcript-local"),
            ("NC_000017.9:g.100A>G", VariantError, "older builds"),
            ("NM_022787.3:c.769G>A", VariantError, "not a genomic HGVS"),
            ("g.100A>G", VariantError, "not a genomic HGVS"),
            ("NC_000017.11:g.100A>A", ReferenceCallError, "reference"),
        ],
    )
    def test_errors(self, expr: str, error: type[Exception], message: str) -> None:
        with pytest.raises(error, match=message):
            parse_genomic_hgvs(expr)

    def test_assembly_hint_contradiction(self) -> None:
        with pytest.raises(VariantError, match="contradicts"):
            parse_genomic_hgvs("NC_000017.11:g.43045712G>A", assembly="GRCh37")

    @pytest.mark.parametrize(
        ("expr", "expected"),
        [
            ("NC_000016.9:g.2124200_2138612dup", ("NC_000016.9", 2124200)),
            ("nc_000001.10:g.86852621A>G", ("NC_000001.10", 86852621)),
            ("NG_017064.1:g.5A>G", ("NG_017064.1", 5)),
            ("NC_012920.1:m.3243A>G", ("NC_012920.1", 3243)),
            ("NC_000003.11(ACAD9):g.128598490C>T", ("NC_000003.11", 128598490)),
            ("NC_000007.13:g.(100_200)_(300_400)del", None),
            ("NM_022787.3:c.769G>A", None),
            ("", None),
            (None, None),
        ],
    )
    def test_hgvs_genomic_start(self, expr: str | None, expected: tuple[str, int] | None) -> None:
        assert hgvs_genomic_start(expr) == expected  # type: ignore[arg-type]


class TestTranscriptVariant:
    def test_c_hgvs_key(self) -> None:
        variant = transcript_variant("NM_022787.3:c.769G>A", gene="NMNAT1")
        assert variant == Variant(
            key="hgvs:NM_022787.3:c.769G>A", kind=VariantKind.TRANSCRIPT, normalised=False, gene="NMNAT1"
        )

    @pytest.mark.parametrize(
        "expr", ["nm_022787.3:c.769G>A", " NM_022787.3 : c.769G>A ", "NM_022787.3(NMNAT1):c.769G>A"]
    )
    def test_spellings_dedupe(self, expr: str) -> None:
        assert transcript_variant(expr).key == "hgvs:NM_022787.3:c.769G>A"

    def test_gene_from_parenthesis_unless_given(self) -> None:
        assert transcript_variant("NM_004333.4(BRAF):c.1799T>A").gene == "BRAF"
        assert transcript_variant("NM_004333.4(BRAF):c.1799T>A", gene="B").gene == "B"

    def test_case_of_the_edit_is_kept(self) -> None:
        assert transcript_variant("NP_004324.2:p.Val600Glu").key == "hgvs:NP_004324.2:p.Val600Glu"
        assert (
            transcript_variant("NP_004324.2:p.V600E").key != transcript_variant("NP_004324.2:p.Val600Glu").key
        )

    @pytest.mark.parametrize(
        "expr",
        [
            "NM_000546.6:c.-12+3del", "NM_000546.6:c.*35dup", "NR_003051.3:n.50A>G", "XM_011541469.2:c.1A>G",
            "ENST00000288602.11:c.1799T>A", "ENST00000288602:c.1799T>A", "LRG_199t1:c.100A>G",
            "LRG_199p1:p.Arg34Ter", "ENSP00000288602.7:p.Val600Glu", "NP_004324.2:p.(Val600Glu)",
            "NM_004643.4:c.35GCG[14]",
        ],
    )  # fmt: skip
    def test_accepted_forms(self, expr: str) -> None:
        assert transcript_variant(expr).key == "hgvs:" + expr

    @pytest.mark.parametrize(
        ("expr", "message"),
        [
            ("c.1249C>T", "needs its transcript accession"),
            ("p.V600E", "needs its transcript accession"),
            ("NM_022787:c.769G>A", "needs its version"),
            ("NM_022787.3:p.Val600Glu", "unrecognised transcript HGVS"),
            ("NP_004324.2:c.1799T>A", "unrecognised transcript HGVS"),
            ("NC_000017.11:g.100A>G", "unrecognised transcript HGVS"),
            ("NM_022787.3:c.", "unrecognised transcript HGVS"),
            ("EGFR L858R", "needs its transcript accession"),
            ("", "needs its transcript accession"),
        ],
    )
    def test_refused(self, expr: str, message: str) -> None:
        with pytest.raises(VariantError, match=message):
            transcript_variant(expr)

    def test_join_transcript(self) -> None:
        assert join_transcript("NM_022787.3", "c.1249C>T") == "NM_022787.3:c.1249C>T"
        assert join_transcript(" nm_022787.3 ", " c.1249C>T ") == "NM_022787.3:c.1249C>T"
        assert join_transcript(None, "c.1249C>T") == "c.1249C>T"
        assert join_transcript("", "c.1249C>T") == "c.1249C>T"
        # The expression's own accession wins over the transcript component (PIK3CA .4 vs .3).
        assert join_transcript("NM_006218.3", "NM_006218.4:c.3140A>G") == "NM_006218.4:c.3140A>G"

    def test_two_nmnat1_shapes_share_a_key(self) -> None:
        bare = transcript_variant(join_transcript("NM_022787.3", "c.769G>A"))
        assert bare.key == transcript_variant("NM_022787.3:c.769G>A").key


class TestStructuralAndRepeat:
    def test_copy_number_variant(self) -> None:
        variant = structural_variant("hg19", "chr22", 18912231, 21465672, copy_number=3, gene="TBX1")
        assert variant == Variant(
            key="GRCh37:22:18912231-21465672:CN3", kind=VariantKind.STRUCTURAL, normalised=True,
            assembly="GRCh37", chromosome="22", position=18912231, gene="TBX1",
        )  # fmt: skip

    def test_region_without_copy_number(self) -> None:
        assert structural_variant("GRCh38", "X", 100, 100).key == "GRCh38:X:100-100:SV"

    @pytest.mark.parametrize(("copies", "suffix"), [(0, "CN0"), (3.0, "CN3"), (1, "CN1")])
    def test_copy_number_forms(self, copies: float, suffix: str) -> None:
        assert structural_variant("GRCh38", "1", 1, 2, copies).key.endswith(":" + suffix)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("start", "end", "copies", "message"),
        [(0, 5, None, "start"), (10, 5, None, "end"), (1, 5, 2.5, "whole number"), (1, 5, -1, "copy number")],
    )
    def test_bad_regions(self, start: int, end: int, copies: float | None, message: str) -> None:
        with pytest.raises(VariantError, match=message):
            structural_variant("GRCh38", "1", start, end, copies)  # type: ignore[arg-type]

    def test_repeat_expansion(self) -> None:
        variant = repeat_variant("PABPN1", "nm_004643.4", "gcg", 11)
        assert variant == Variant(
            key="repeat:NM_004643.4:GCG[11]", kind=VariantKind.REPEAT, normalised=False, gene="PABPN1"
        )

    @pytest.mark.parametrize(
        ("accession", "motif", "count", "message"),
        [
            ("", "GCG", 11, "accession"),
            ("NM 004643", "GCG", 11, "accession"),
            ("NM_004643.4", "", 11, "motif is missing"),
            ("NM_004643.4", "GCX", 11, "DNA bases"),
            ("NM_004643.4", "GCG", -1, "repeat count"),
        ],
    )
    def test_bad_repeats(self, accession: str, motif: str, count: int, message: str) -> None:
        with pytest.raises(VariantError, match=message):
            repeat_variant("PABPN1", accession, motif, count)


@pytest.mark.parametrize(
    "call",
    [
        lambda: allele_variant("John Smith", "1", 1, "A", "G"),
        lambda: allele_variant("GRCh38", "John Smith", 1, "A", "G"),
        lambda: allele_variant("GRCh38", "1", 1, "John", "G"),
        lambda: variant_from_spdi("John Smith:1:A:G"),
        lambda: parse_genomic_hgvs("John Smith"),
        lambda: transcript_variant("John Smith"),
        lambda: transcript_variant("NM_1.1(John):c.Smith"),
        lambda: repeat_variant(None, "John Smith", "A", 1),
    ],
)
def test_errors_never_echo_input_text(call) -> None:
    with pytest.raises(VariantError) as caught:
        call()
    assert "John" not in str(caught.value)
    assert "Smith" not in str(caught.value)
