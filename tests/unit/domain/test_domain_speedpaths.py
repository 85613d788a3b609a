"""The domain's fast paths (memoised spellings, term matches and allele checks, canonical-name shortcuts) give
exactly what the plain functions give, remember nothing they should not, and still raise every time."""

from __future__ import annotations

import random
import re

import pytest

from app.domain import terms
from app.domain.accessions import (
    ASSEMBLIES,
    CHROMOSOMES,
    VariantError,
    assembly_and_chromosome_for_accession,
    memoised,
    normalise_accession,
    normalise_assembly,
    normalise_chromosome,
)
from app.domain.terms import match_coding, match_term_text
from app.domain.variants import _allele, allele_variant, trim_alleles


def test_canonical_names_normalise_to_themselves() -> None:
    """allele_variant skips normalising names that are already canonical: that must change nothing."""
    assert all(normalise_assembly(name) == name for name in ASSEMBLIES)
    assert all(normalise_chromosome(name) == name for name in CHROMOSOMES)
    assert allele_variant("hg38", "chr7", 10, "a", "g").key == allele_variant("GRCh38", "7", 10, "A", "G").key
    with pytest.raises(VariantError):
        allele_variant("17", "7", 10, "A", "G")  # a chromosome name is not an assembly


def test_memoised_remembers_results_not_failures_nor_long_arguments() -> None:
    calls: list[tuple] = []

    @memoised
    def upper(text: str, fail: bool = False) -> str:
        calls.append((text, fail))
        if fail:
            raise VariantError("no")
        return text.upper()

    assert upper("a") == upper("a") == "A" and calls == [("a", False)]
    for _ in range(2):
        with pytest.raises(VariantError):
            upper("b", True)
    assert calls.count(("b", True)) == 2
    long = "x" * 500
    upper(long), upper(long)
    assert calls.count((long, False)) == 2
    with pytest.raises(AttributeError):
        upper(["not", "a", "string"])  # not a key: read (and failing) like the plain function
    upper.cache_clear()
    upper("a")
    assert calls.count(("a", False)) == 2


def test_memoised_spellings_still_raise_every_time() -> None:
    for _ in range(2):
        with pytest.raises(VariantError):
            normalise_assembly("NCBI36")
        with pytest.raises(VariantError):
            assembly_and_chromosome_for_accession("NC_000017.11", "GRCh37")
    assert assembly_and_chromosome_for_accession("NC_000017.11", "GRCh38") == ("GRCh38", "17")
    assert normalise_accession("nc_000017.11") == "NC_000017.11"


_DNA = re.compile(r"^[ACGTN]*$")


def test_allele_check_equals_the_pattern() -> None:
    rng = random.Random(9)
    chars = "ACGTNacgtn-\n \t xZ\u00df\u0130\u212a"
    for _ in range(20000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 5)))
        allele = text.strip().upper()
        allele = "" if allele == "-" else allele
        if _DNA.match(allele):
            assert _allele(text, "ref") == allele
        else:
            with pytest.raises(VariantError):
                _allele(text, "ref")


def reference_trim(position0: int, ref: str, alt: str) -> tuple[int, str, str]:
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    prefix = 0
    while prefix < len(ref) and prefix < len(alt) and ref[prefix] == alt[prefix]:
        prefix += 1
    return position0 + prefix, ref[prefix:], alt[prefix:]


def test_trim_alleles_equals_the_loops() -> None:
    rng = random.Random(4)
    for _ in range(20000):
        ref = "".join(rng.choice("ACG") for _ in range(rng.randint(0, 4)))
        alt = "".join(rng.choice("ACG") for _ in range(rng.randint(0, 4)))
        assert trim_alleles(10, ref, alt) == reference_trim(10, ref, alt)


def test_term_matches_equal_the_plain_matching_and_keep_no_free_text() -> None:
    values = ["Pathogenic", " likely_benign ", "VUS", "uncertain", "Patient John Smith", "", None, "other",
              "Converted", "LA6668-3", "probably not pathogenic"]
    systems = [None, "", terms.LOINC_SYSTEM, "https://loinc.org/", terms.PROJECT_TERM_SYSTEM, "http://x"]
    for _ in range(2):
        for text in values:
            assert match_term_text(text) == terms._match_term_text(text)
            for system in systems:
                for display in (None, "Benign", "free text"):
                    expected = terms._match_code(system, text) or (
                        match_term_text(display) if display and match_term_text(display).recognised else None
                    )
                    assert match_coding(system, text, display) == expected
    # Codes (tokens of a code system) are remembered; text and displays only when they name a term.
    assert "Patient John Smith" not in terms._recognised_texts and "free text" not in terms._recognised_texts
