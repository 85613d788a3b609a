"""Coordinate systems and the 0-based start (genomics-reporting.md §5.1, §5.4)."""

from __future__ import annotations

import pytest

from app.domain.variants import (
    AmbiguousCoordinatesError,
    InconsistentCoordinatesError,
    VariantError,
    allele_variant,
    coordinates_to_position0,
)

INTERVAL, CHAR0, CHAR1 = "LA30100-4", "LA30101-2", "LA30102-0"


def test_cyp2c19_first_variant_one_based_start_only() -> None:
    p0 = coordinates_to_position0(96448129, None, "A", CHAR1)
    assert p0 == 96448128
    variant = allele_variant("GRCh37", "10", p0, "A", "G")
    assert variant.key == "GRCh37:10:96448129:A:G"
    assert variant.spdi == "NC_000010.10:96448128:A:G"


def test_interval_example_matches_its_genomic_hgvs() -> None:
    p0 = coordinates_to_position0(86852620, None, "A", INTERVAL, hgvs_position=86852621, alt="G")
    assert p0 == 86852620
    variant = allele_variant("GRCh37", "1", p0, "A", "G")
    assert (variant.key, variant.spdi) == ("GRCh37:1:86852621:A:G", "NC_000001.10:86852620:A:G")


def test_right_anchored_deletion_in_interval_counting() -> None:
    ref = "ATTGAGGGAAAACACAT"
    p0 = coordinates_to_position0(39723965, None, ref, INTERVAL)
    variant = allele_variant("GRCh38", "17", p0, ref, "T")
    assert variant.spdi == "NC_000017.11:39723965:ATTGAGGGAAAACACA:"
    assert variant.key == "GRCh38:17:39723966:ATTGAGGGAAAACACA:-"


@pytest.mark.parametrize(
    ("system", "low", "high", "ref", "expected"),
    [
        (INTERVAL, 99, 102, "ATG", 99),
        (INTERVAL, 99, None, "ATG", 99),
        (INTERVAL, 100, 100, "", 100),  # interval insertion: low == high, empty ref
        (CHAR0, 99, 101, "ATG", 99),
        (CHAR0, 99, None, "ATG", 99),
        (CHAR0, 99, 100, "", 100),  # insertion between 0-based bases 99 and 100
        (CHAR1, 100, 102, "ATG", 99),
        (CHAR1, 100, None, "ATG", 99),
        (CHAR1, 100, 100, "A", 99),  # start = end for a single base (Pgx-var-1011 shape)
        (CHAR1, 100, 101, "", 100),  # HGVS-style insertion between 1-based bases 100 and 101
        ("la30102-0", 100, None, "a", 99),
        (INTERVAL, 0, 1, "A", 0),
    ],
)
def test_each_coordinate_system(system: str, low: int, high: int | None, ref: str, expected: int) -> None:
    assert coordinates_to_position0(low, high, ref, system) == expected


@pytest.mark.parametrize(
    ("system", "low", "high", "ref"),
    [
        (INTERVAL, 99, 101, "ATG"),
        (INTERVAL, 100, 101, ""),
        (INTERVAL, 100, 99, "A"),
        (CHAR0, 99, 102, "ATG"),
        (CHAR1, 100, 103, "ATG"),
        (CHAR1, 100, None, ""),  # an insertion needs both flanks in character counting
        (CHAR1, 100, 100, ""),
        (CHAR0, 99, None, ""),
    ],
)
def test_high_must_agree_with_ref_length(system: str, low: int, high: int | None, ref: str) -> None:
    with pytest.raises(InconsistentCoordinatesError):
        coordinates_to_position0(low, high, ref, system)


@pytest.mark.parametrize(
    ("low", "high", "system", "message"),
    [
        (-1, None, INTERVAL, "low must be at least 0"),
        (0, None, CHAR1, "low must be at least 1"),
        (True, None, INTERVAL, "whole number"),
        (1.0, None, INTERVAL, "whole number"),
        (5, -1, INTERVAL, "high must be at least 0"),
        (5, None, "LA99999-9", "unknown coordinate system"),
        (5, None, "1-based", "unknown coordinate system"),
    ],
)
def test_bad_coordinate_input(low: object, high: int | None, system: str, message: str) -> None:
    with pytest.raises(VariantError, match=message):
        coordinates_to_position0(low, high, "A", system)  # type: ignore[arg-type]


def test_bad_ref_allele_is_refused() -> None:
    with pytest.raises(VariantError, match="ref allele must be DNA"):
        coordinates_to_position0(5, None, "<DEL>", INTERVAL)


class TestSystemNotStated:
    def test_span_equal_to_ref_length_fits_interval_counting_only(self) -> None:
        assert coordinates_to_position0(86852620, 86852621, "A", None) == 86852620
        assert coordinates_to_position0(99, 102, "ATG", None) == 99

    def test_interval_insertion_is_unambiguous(self) -> None:
        assert coordinates_to_position0(100, 100, "", None) == 100

    def test_character_span_is_ambiguous(self) -> None:
        # cgexample: low = high = 31731 for one base, which fits 0-based and 1-based character counting.
        with pytest.raises(AmbiguousCoordinatesError, match="92822-6"):
            coordinates_to_position0(31731, 31731, "C", None)

    def test_start_only_is_ambiguous(self) -> None:
        with pytest.raises(AmbiguousCoordinatesError):
            coordinates_to_position0(96448129, None, "A", None)

    def test_one_flank_insertion_is_ambiguous(self) -> None:
        with pytest.raises(AmbiguousCoordinatesError):
            coordinates_to_position0(100, None, "", None)

    def test_span_fitting_nothing_is_inconsistent(self) -> None:
        with pytest.raises(InconsistentCoordinatesError, match="any coordinate system"):
            coordinates_to_position0(100, 110, "A", None)

    @pytest.mark.parametrize(("low", "high"), [(96448129, None), (96448129, 96448129)])
    def test_genomic_hgvs_settles_one_based(self, low: int, high: int | None) -> None:
        assert coordinates_to_position0(low, high, "A", None, hgvs_position=96448129, alt="G") == 96448128

    @pytest.mark.parametrize(("low", "high"), [(96448128, None), (96448128, 96448128)])
    def test_genomic_hgvs_settles_zero_based(self, low: int, high: int | None) -> None:
        assert coordinates_to_position0(low, high, "A", None, hgvs_position=96448129, alt="G") == 96448128

    def test_genomic_hgvs_contradicting_every_reading(self) -> None:
        with pytest.raises(InconsistentCoordinatesError, match=r"g\.HGVS"):
            coordinates_to_position0(100, None, "A", None, hgvs_position=150, alt="G")

    def test_genomic_hgvs_contradicting_interval_counting(self) -> None:
        with pytest.raises(InconsistentCoordinatesError, match=r"g\.HGVS"):
            coordinates_to_position0(100, 101, "A", None, hgvs_position=100, alt="G")

    def test_comparing_with_hgvs_needs_alt(self) -> None:
        with pytest.raises(VariantError, match="alt allele is missing"):
            coordinates_to_position0(100, None, "A", None, hgvs_position=100)

    def test_anchored_vcf_insertion_settled_by_hgvs_ins(self) -> None:
        # CYP2C19 insertion T>TATA at 1-based 96466884 = g.96466884_96466885insATA.
        p0 = coordinates_to_position0(96466884, None, "T", None, hgvs_position=96466884, alt="TATA")
        assert p0 == 96466883
        assert allele_variant("GRCh37", "10", p0, "T", "TATA").spdi == "NC_000010.10:96466884::ATA"

    def test_multi_base_delins_settled_exactly(self) -> None:
        assert coordinates_to_position0(96536045, None, "ATTC", None, hgvs_position=96536045, alt="TATT") == (
            96536044
        )
        assert coordinates_to_position0(96536044, None, "ATTC", None, hgvs_position=96536045, alt="TATT") == (
            96536044
        )

    def test_indel_hgvs_can_rule_out_but_not_in(self) -> None:
        # VCF 1-based POS 100 CA>C deletes base 101; HGVS may shift it 3' inside a run of As.
        assert coordinates_to_position0(100, None, "CA", None, hgvs_position=101, alt="C") == 99
        with pytest.raises(AmbiguousCoordinatesError):
            coordinates_to_position0(100, None, "CA", None, hgvs_position=102, alt="C")
        with pytest.raises(AmbiguousCoordinatesError):
            coordinates_to_position0(100, None, "CA", None, hgvs_position=104, alt="C")


class TestStatedSystemWithHgvs:
    def test_matching_hgvs_is_accepted(self) -> None:
        assert (
            coordinates_to_position0(96448129, None, "A", CHAR1, hgvs_position=96448129, alt="G") == 96448128
        )

    def test_off_by_one_hgvs_is_a_contradiction(self) -> None:
        with pytest.raises(InconsistentCoordinatesError, match="1-based character counting"):
            coordinates_to_position0(96448129, None, "A", CHAR1, hgvs_position=96448130, alt="G")

    def test_three_prime_shifted_deletion_is_accepted(self) -> None:
        assert coordinates_to_position0(100, None, "CAAA", CHAR1, hgvs_position=103, alt="C") == 99

    def test_hgvs_left_of_a_deletion_is_a_contradiction(self) -> None:
        with pytest.raises(InconsistentCoordinatesError):
            coordinates_to_position0(100, None, "CA", CHAR1, hgvs_position=100, alt="C")

    def test_dup_and_ins_starts_both_fit_an_insertion(self) -> None:
        # G>GAT at POS 99 before bases 100-101 = AT: g.99_100insAT or g.100_101dupAT.
        assert coordinates_to_position0(99, None, "G", CHAR1, hgvs_position=99, alt="GAT") == 98
        assert coordinates_to_position0(99, None, "G", CHAR1, hgvs_position=100, alt="GAT") == 98

    def test_reference_call_compares_its_own_start(self) -> None:
        assert coordinates_to_position0(96521657, 96521657, "C", CHAR1, hgvs_position=96521657, alt="C") == (
            96521656
        )
