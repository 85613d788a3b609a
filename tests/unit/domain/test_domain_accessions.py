"""Assemblies, chromosome accessions and identifier spellings (app.domain.accessions)."""

from __future__ import annotations

import pytest

from app.domain.accessions import (
    ALIAS_PATTERNS,
    ASSEMBLIES,
    CHROMOSOME_ACCESSIONS,
    CHROMOSOMES,
    VariantError,
    accession_for,
    assemblies_for_accession,
    assembly_and_chromosome_for_accession,
    normalise_accession,
    normalise_assembly,
    normalise_chromosome,
    normalise_clinvar_id,
    normalise_rsid,
)

# genomics-reporting.md §5.2, copied by hand so a typo in the generated table cannot pass unnoticed.
TABLE = """
1 NC_000001.10 NC_000001.11   13 NC_000013.10 NC_000013.11
2 NC_000002.11 NC_000002.12   14 NC_000014.8 NC_000014.9
3 NC_000003.11 NC_000003.12   15 NC_000015.9 NC_000015.10
4 NC_000004.11 NC_000004.12   16 NC_000016.9 NC_000016.10
5 NC_000005.9 NC_000005.10    17 NC_000017.10 NC_000017.11
6 NC_000006.11 NC_000006.12   18 NC_000018.9 NC_000018.10
7 NC_000007.13 NC_000007.14   19 NC_000019.9 NC_000019.10
8 NC_000008.10 NC_000008.11   20 NC_000020.10 NC_000020.11
9 NC_000009.11 NC_000009.12   21 NC_000021.8 NC_000021.9
10 NC_000010.10 NC_000010.11  22 NC_000022.10 NC_000022.11
11 NC_000011.9 NC_000011.10   X NC_000023.10 NC_000023.11
12 NC_000012.11 NC_000012.12  Y NC_000024.9 NC_000024.10
"""


def _reference_rows() -> list[tuple[str, str, str]]:
    words = TABLE.split()
    return [tuple(words[i : i + 3]) for i in range(0, len(words), 3)]  # type: ignore[misc]


@pytest.mark.parametrize(("chromosome", "grch37", "grch38"), _reference_rows())
def test_accession_table_matches_the_reference(chromosome: str, grch37: str, grch38: str) -> None:
    assert accession_for("GRCh37", chromosome) == grch37
    assert accession_for("GRCh38", chromosome) == grch38
    assert assembly_and_chromosome_for_accession(grch37) == ("GRCh37", chromosome)
    assert assembly_and_chromosome_for_accession(grch38) == ("GRCh38", chromosome)


def test_table_covers_every_chromosome_in_both_builds() -> None:
    assert ASSEMBLIES == ("GRCh37", "GRCh38")
    assert len(CHROMOSOMES) == 25
    assert set(CHROMOSOME_ACCESSIONS) == {(a, c) for a in ASSEMBLIES for c in CHROMOSOMES}
    assert len(_reference_rows()) == 24


def test_mitochondrion_is_the_rcrs_in_both_builds() -> None:
    assert accession_for("GRCh37", "MT") == accession_for("GRCh38", "chrM") == "NC_012920.1"
    assert assembly_and_chromosome_for_accession("NC_012920.1") == ("GRCh38", "MT")
    assert assembly_and_chromosome_for_accession("NC_012920.1", "hg19") == ("GRCh37", "MT")
    assert assemblies_for_accession("NC_012920.1") == ("GRCh37", "GRCh38")
    assert assemblies_for_accession("NC_000017.11") == ("GRCh38",)


def test_hg19_chrm_is_refused_with_the_reason() -> None:
    with pytest.raises(VariantError, match="hg19 chrM"):
        assembly_and_chromosome_for_accession("NC_001807.4")


def test_accession_lookup_is_case_and_space_tolerant() -> None:
    assert assembly_and_chromosome_for_accession(" nc_000017.11 ") == ("GRCh38", "17")


def test_assembly_hint_must_agree_with_the_accession() -> None:
    assert assembly_and_chromosome_for_accession("NC_000017.11", "GRCh38") == ("GRCh38", "17")
    with pytest.raises(VariantError, match="contradicts the stated assembly GRCh37"):
        assembly_and_chromosome_for_accession("NC_000017.11", "GRCh37")


@pytest.mark.parametrize(
    ("accession", "message"),
    [
        ("NC_000017.9", "not a GRCh37 or GRCh38 version.*NC_000017.10, NC_000017.11.*older builds"),
        ("NC_000017", "needs a RefSeq NC_"),
        ("NC_000099.1", "not a human GRCh37/GRCh38 chromosome accession"),
        ("NG_017064.1", "gene- or transcript-local"),
        ("NM_022787.3", "gene- or transcript-local"),
        ("LRG_199", "gene- or transcript-local"),
        ("chr17", "needs a RefSeq NC_"),
        ("", "needs a RefSeq NC_"),
    ],
)
def test_unknown_accessions_say_why(accession: str, message: str) -> None:
    with pytest.raises(VariantError, match=message):
        assembly_and_chromosome_for_accession(accession)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GRCh38", "GRCh38"), ("grch38", "GRCh38"), ("hg38", "GRCh38"), ("GRCh38.p14", "GRCh38"),
        (" GRCh38.p2 ", "GRCh38"), ("LA26806-2", "GRCh38"), ("la26806-2", "GRCh38"),
        ("GRCh37", "GRCh37"), ("hg19", "GRCh37"), ("HG19", "GRCh37"), ("GRCh37.p13", "GRCh37"),
        ("LA14029-5", "GRCh37"),
    ],
)  # fmt: skip
def test_normalise_assembly(text: str, expected: str) -> None:
    assert normalise_assembly(text) == expected


@pytest.mark.parametrize(
    "text",
    ["NCBI36", "NCBI Build 36.1", "hg18", "hg17", "NCBI35", "LA14030-3", "LA14031-1", "LA14032-9", "36"],
)
def test_older_builds_are_unsupported_and_say_so(text: str) -> None:
    with pytest.raises(VariantError, match="older than GRCh37"):
        normalise_assembly(text)


@pytest.mark.parametrize("text", [None, "", "  ", "GRCh39", "T2T-CHM13", "mm10", "GRCh38.x"])
def test_unknown_assemblies(text: str | None) -> None:
    with pytest.raises(VariantError, match="assembly"):
        normalise_assembly(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17", "17"), ("chr17", "17"), ("CHR17", "17"), ("01", "1"), ("22", "22"), ("X", "X"), ("x", "X"),
        ("chrX", "X"), ("Y", "Y"), ("chrY", "Y"), ("M", "MT"), ("MT", "MT"), ("chrM", "MT"), ("chrMT", "MT"),
        ("mt", "MT"), ("Chromosome 7", "7"), (" 3 ", "3"),
    ],
)  # fmt: skip
def test_normalise_chromosome(text: str, expected: str) -> None:
    assert normalise_chromosome(text) == expected


@pytest.mark.parametrize("text", [None, "", "0", "23", "25", "chr", "XY", "chr17_gl000205_random", "17p13"])
def test_unknown_chromosomes(text: str | None) -> None:
    with pytest.raises(VariantError, match="chromosome"):
        normalise_chromosome(text)


def test_accession_for_normalises_both_inputs() -> None:
    assert accession_for("hg38", "chr17") == "NC_000017.11"
    assert accession_for("LA14029-5", "x") == "NC_000023.10"
    with pytest.raises(VariantError):
        accession_for("NCBI36", "1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nc_000017.11", "NC_000017.11"),
        ("NM_022787.3", "NM_022787.3"),
        ("enst00000288602.11", "ENST00000288602.11"),
        ("lrg_199t1", "LRG_199t1"),
        (" NM_022787.3 ", "NM_022787.3"),
    ],
)
def test_normalise_accession(text: str, expected: str) -> None:
    assert normalise_accession(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rs80357906", "rs80357906"), ("RS123", "rs123"), ("rs 123", "rs123"), (" rs123 ", "rs123"),
        ("rs000123", "rs123"), ("123", "rs123"), ("dbSNP:rs123", "rs123"),
        ("https://www.ncbi.nlm.nih.gov/snp/rs80357906", "rs80357906"),
        ("https://www.ncbi.nlm.nih.gov/snp/rs80357906/", "rs80357906"),
        ("http://www.ncbi.nlm.nih.gov/projects/SNP/snp_ref.cgi?rs=80357906", "rs80357906"),
    ],
)  # fmt: skip
def test_normalise_rsid(text: str, expected: str) -> None:
    assert normalise_rsid(text) == expected


@pytest.mark.parametrize("text", [None, "", "rs", "rs0", "ss123", "xrs123", "rs12a", "John Smith", "rs-1"])
def test_bad_rsids(text: str | None) -> None:
    with pytest.raises(VariantError, match="dbSNP"):
        normalise_rsid(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345", "12345"), ("VCV000012345.3", "12345"), ("vcv000012345", "12345"), ("0012345", "12345"),
        ("clinvar:13961", "13961"), ("https://www.ncbi.nlm.nih.gov/clinvar/variation/13961/", "13961"),
    ],
)  # fmt: skip
def test_normalise_clinvar_id(text: str, expected: str) -> None:
    assert normalise_clinvar_id(text) == expected


@pytest.mark.parametrize("text", ["RCV000664188.1", "SCV000012345.1"])
def test_rcv_and_scv_are_not_variation_ids(text: str) -> None:
    with pytest.raises(VariantError, match="RCV and SCV"):
        normalise_clinvar_id(text)


@pytest.mark.parametrize("text", [None, "", "0", "VCV", "abc", "MONDO:0007254", "EGFR L858R"])
def test_bad_clinvar_ids(text: str | None) -> None:
    with pytest.raises(VariantError, match="ClinVar"):
        normalise_clinvar_id(text)


GOOD_ALIASES = [
    ("hgvs.c", "NM_005228.5:c.2369C>T"), ("hgvs.c", "c.1249C>T"), ("hgvs.c", "NM_004333.4(BRAF):c.1799T>A"),
    ("hgvs.c", "NM_000546.6:c.-12+3del"), ("hgvs.c", "NM_000546.6:c.*35dup"),
    ("hgvs.c", "NR_003051.3:n.50A>G"),
    ("hgvs.c", "ENST00000288602.11:c.1799T>A"), ("hgvs.c", "NM_004643.4:c.35GCG[14]"),
    ("hgvs.g", "NC_000016.9:g.2124200_2138612dup"), ("hgvs.g", "NC_012920.1:m.3243A>G"),
    ("hgvs.g", "NC_000007.13:g.(100_200)_(300_400)del"),
    ("hgvs.p", "NP_004324.2:p.Val600Glu"), ("hgvs.p", "p.V600E"), ("hgvs.p", "p.(Arg417Ter)"),
    ("hgvs.p", "p.L858R"),
    ("spdi", "NC_000017.11:43045711:G:A"), ("spdi", "NC_000010.10:96466884::ATA"),
    ("spdi", "NC_000001.11:10:2:"),
    ("clinvar", "13961"), ("dbsnp", "rs80357906"),
    ("iscn", "arr[GRCh37] 22q11.21(18916842_21465659)x1"), ("iscn", "seq[GRCh37] del(22)(q11.21)"),
    ("iscn", "46,XX,t(9;22)(q34;q11.2)"), ("iscn", "47,XXY"), ("iscn", "mos 45,X[10]/46,XX[20]"),
    ("iscn", "46,XY,del(5)(p15.2pter)dn"),
]  # fmt: skip
BAD_ALIASES = [
    ("hgvs.c", "John Smith"), ("hgvs.c", "c. 1249C>T"), ("hgvs.c", "NM_005228.5:g.1A>G"), ("hgvs.c", ""),
    ("hgvs.g", "chr17:123A>G"), ("hgvs.p", "EGFR L858R"), ("hgvs.p", "p.l858r"),
    ("spdi", "NC_000017.11:43045711:G"), ("spdi", "chr17:1:G:A"), ("spdi", "NC_000017.11:x:G:A"),
    ("clinvar", "VCV000012345"), ("clinvar", "0"), ("dbsnp", "RS123"), ("dbsnp", "123"),
    ("iscn", "Jane Doe"), ("iscn", "Smith 46,XX"), ("iscn", "46,XX note: see Dr Who"), ("iscn", ""),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "value"), GOOD_ALIASES)
def test_alias_patterns_accept_identifiers(kind: str, value: str) -> None:
    assert ALIAS_PATTERNS[kind].fullmatch(value)


@pytest.mark.parametrize(("kind", "value"), BAD_ALIASES)
def test_alias_patterns_reject_free_text(kind: str, value: str) -> None:
    assert not ALIAS_PATTERNS[kind].fullmatch(value)


def test_alias_patterns_cover_every_identifier_kind_but_text() -> None:
    assert set(ALIAS_PATTERNS) == {"hgvs.c", "hgvs.g", "hgvs.p", "spdi", "clinvar", "dbsnp", "iscn"}


def test_iscn_pattern_does_not_backtrack_catastrophically() -> None:
    import time

    started = time.perf_counter()
    assert not ALIAS_PATTERNS["iscn"].fullmatch("X" * 250 + "!")
    assert not ALIAS_PATTERNS["iscn"].fullmatch("pter" * 70 + "e")
    assert time.perf_counter() - started < 0.5
