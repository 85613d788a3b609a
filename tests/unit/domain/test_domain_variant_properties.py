"""Property tests for variant identity: trimming, keys, SPDI/VCF forms and coordinate conversions."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from app.domain.accessions import ASSEMBLIES, CHROMOSOMES
from app.domain.hgvs import parse_genomic_hgvs
from app.domain.variants import (
    AmbiguousCoordinatesError,
    allele_variant,
    coordinates_to_position0,
    trim_alleles,
    variant_from_spdi,
    variant_id_for_key,
    vcf_variant,
)

alleles = st.text(alphabet="ACGTN", max_size=8)
positions = st.integers(min_value=20, max_value=250_000_000)
assemblies = st.sampled_from(ASSEMBLIES)
chromosomes = st.sampled_from(CHROMOSOMES)


def _distinct(pair: tuple[str, str]) -> bool:
    return pair[0] != pair[1]


allele_pairs = st.tuples(alleles, alleles).filter(_distinct)


@given(positions, alleles, alleles)
def test_trimming_is_idempotent_and_minimal(p0: int, ref: str, alt: str) -> None:
    once = trim_alleles(p0, ref, alt)
    assert trim_alleles(*once) == once
    p, r, a = once
    assert p >= p0
    if r and a:
        assert r[0] != a[0] and r[-1] != a[-1]


@given(positions, allele_pairs)
def test_trimming_keeps_the_change(p0: int, pair: tuple[str, str]) -> None:
    # Rebuild the untrimmed alleles from the trimmed core: the removed prefix and suffix are shared.
    ref, alt = pair
    p, r, a = trim_alleles(p0, ref, alt)
    prefix = p - p0
    assert ref[:prefix] == alt[:prefix]
    suffix_r, suffix_a = ref[prefix + len(r) :], alt[prefix + len(a) :]
    assert suffix_r == suffix_a
    assert ref == ref[:prefix] + r + suffix_r and alt == alt[:prefix] + a + suffix_a


@given(assemblies, chromosomes, positions, allele_pairs)
def test_key_is_deterministic_and_consistent_with_spdi(
    assembly: str, chromosome: str, p0: int, pair: tuple[str, str]
) -> None:
    variant = allele_variant(assembly, chromosome, p0, *pair)
    again = allele_variant(assembly, chromosome, p0, pair[0].lower(), pair[1].lower())
    assert variant == again and variant.variant_id == again.variant_id == variant_id_for_key(variant.key)
    fields = variant.key.split(":")
    assert fields[:3] == [assembly, chromosome, str(variant.position)]
    assert fields[3:] == [variant.ref or "-", variant.alt or "-"]
    _, spdi_position, deleted, inserted = variant.spdi.split(":")
    assert (int(spdi_position) + 1, deleted, inserted) == (variant.position, variant.ref, variant.alt)
    assert variant_from_spdi(variant.spdi, assembly=assembly) == variant


@given(assemblies, chromosomes, positions, allele_pairs)
def test_vcf_and_zero_based_forms_agree(
    assembly: str, chromosome: str, p0: int, pair: tuple[str, str]
) -> None:
    assert vcf_variant(assembly, chromosome, p0 + 1, *pair) == allele_variant(assembly, chromosome, p0, *pair)


@given(positions, allele_pairs, alleles)
def test_shared_suffix_never_changes_the_key(p0: int, pair: tuple[str, str], suffix: str) -> None:
    ref, alt = pair
    plain = allele_variant("GRCh38", "1", p0, ref, alt)
    assert allele_variant("GRCh38", "1", p0, ref + suffix, alt + suffix).key == plain.key


@given(positions, allele_pairs, st.text(alphabet="ACGT", min_size=1, max_size=5), alleles)
def test_anchoring_a_substitution_or_delins_never_changes_the_key(
    p0: int, pair: tuple[str, str], prefix: str, suffix: str
) -> None:
    # Only indels can slide; a trimmed change with both alleles non-empty has one representation.
    p, ref, alt = trim_alleles(p0, *pair)
    assume(ref and alt)
    plain = allele_variant("GRCh37", "7", p, ref, alt)
    anchored = allele_variant("GRCh37", "7", p - len(prefix), prefix + ref + suffix, prefix + alt + suffix)
    assert anchored.key == plain.key


@given(positions, st.text(alphabet="ACGTN", min_size=1, max_size=8))
def test_the_three_coordinate_systems_agree(low0: int, ref: str) -> None:
    end = low0 + len(ref)
    interval = coordinates_to_position0(low0, end, ref, "LA30100-4")
    char0 = coordinates_to_position0(low0, end - 1, ref, "LA30101-2")
    char1 = coordinates_to_position0(low0 + 1, end, ref, "LA30102-0")
    assert interval == char0 == char1 == low0
    assert coordinates_to_position0(low0, None, ref, "LA30100-4") == low0
    assert coordinates_to_position0(low0 + 1, None, ref, "LA30102-0") == low0


@given(positions, st.sampled_from("ACGT"), st.sampled_from("ACGT"), st.booleans())
def test_snv_hgvs_settles_an_unstated_system(low0: int, ref: str, alt: str, one_based: bool) -> None:
    assume(ref != alt)
    low = low0 + 1 if one_based else low0
    assert coordinates_to_position0(low, None, ref, None, hgvs_position=low0 + 1, alt=alt) == low0
    try:
        coordinates_to_position0(low, None, ref, None)
    except AmbiguousCoordinatesError:
        pass
    else:
        raise AssertionError("a start-only coordinate without a system must be ambiguous")


@given(chromosomes.filter(lambda c: c != "MT"), positions, st.sampled_from("ACGT"), st.sampled_from("ACGT"))
def test_genomic_hgvs_substitution_matches_components(chromosome: str, p0: int, ref: str, alt: str) -> None:
    assume(ref != alt)
    from_components = allele_variant("GRCh38", chromosome, p0, ref, alt)
    accession = from_components.spdi.split(":")[0]
    assert parse_genomic_hgvs(f"{accession}:g.{p0 + 1}{ref}>{alt}") == from_components


@given(positions, st.text(alphabet="ACGT", min_size=1, max_size=6))
def test_hgvs_dup_matches_an_anchored_vcf_insertion(p0: int, seq: str) -> None:
    # A dup keys like the VCF insertion anchored on the base before the duplicated copy. The anchor must
    # differ from the unit's last base, or suffix trimming would slide the VCF form one base left.
    anchor = "C" if seq[-1] != "C" else "G"
    span = f"{p0 + 1}_{p0 + len(seq)}" if len(seq) > 1 else f"{p0 + 1}"
    dup = parse_genomic_hgvs(f"NC_000001.11:g.{span}dup{seq}")
    vcf = vcf_variant("GRCh38", "1", p0, anchor, anchor + seq)
    assert dup.key == vcf.key
