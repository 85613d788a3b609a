"""Reference assemblies, chromosome accessions and identifier spellings for variant identity.

The lower layer of :mod:`app.domain.variants`: which GRCh37/GRCh38 RefSeq accession names each chromosome
(genomics-reporting.md §5.2), how assemblies and chromosomes are spelled in the wild, and how dbSNP and
ClinVar identifiers are normalised and recognised as aliases. Error messages never echo free input: only
values that already matched an identifier pattern are quoted, so nothing a patient wrote can leak.

The normalising functions are pure functions of short strings and run for every variant a report carries, so
their results are memoised (:func:`memoised`); failures raise every time, as they are not cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

_MEMO = 4096  # distinct spellings remembered per function (then it starts over)
_MEMO_TEXT = 100  # longer strings are never a real spelling: computed, not remembered

_F = TypeVar("_F", bound=Callable[..., Any])


def memoised(function: _F) -> _F:
    """Memoise a pure function of strings (positional arguments). Only results are remembered (a failure raises
    every time), only for arguments short enough to be real spellings, and at most ``_MEMO`` of them (when full
    it starts over), so input cannot fill memory."""
    remembered: dict[tuple[Any, ...], Any] = {}
    unseen = object()

    @wraps(function)
    def call(*args: Any) -> Any:
        try:
            result = remembered.get(args, unseen)
        except TypeError:  # an argument that cannot be a key (not a string): not remembered
            return function(*args)
        if result is not unseen:
            return result
        result = function(*args)
        if all(not isinstance(arg, str) or len(arg) <= _MEMO_TEXT for arg in args):
            if len(remembered) >= _MEMO:
                remembered.clear()
            remembered[args] = result
        return result

    call.cache_clear = remembered.clear  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]


ASSEMBLIES = ("GRCh37", "GRCh38")
CHROMOSOMES = (*(str(n) for n in range(1, 23)), "X", "Y", "MT")

# The rCRS is shared by both builds; UCSC hg19 chrM is a different sequence (NC_001807.4) and is refused.
MT_ACCESSION = "NC_012920.1"
_HG19_CHRM = "NC_001807.4"

# (GRCh37 version, GRCh38 version) of NC_0000nn per chromosome; versions differ per chromosome.
_VERSIONS = {
    "1": (10, 11), "2": (11, 12), "3": (11, 12), "4": (11, 12), "5": (9, 10), "6": (11, 12),
    "7": (13, 14), "8": (10, 11), "9": (11, 12), "10": (10, 11), "11": (9, 10), "12": (11, 12),
    "13": (10, 11), "14": (8, 9), "15": (9, 10), "16": (9, 10), "17": (10, 11), "18": (9, 10),
    "19": (9, 10), "20": (10, 11), "21": (8, 9), "22": (10, 11), "X": (10, 11), "Y": (9, 10),
}  # fmt: skip


def _nc_number(chromosome: str) -> int:
    return {"X": 23, "Y": 24}.get(chromosome) or int(chromosome)


CHROMOSOME_ACCESSIONS: dict[tuple[str, str], str] = {
    (assembly, chromosome): f"NC_{_nc_number(chromosome):06d}.{versions[i]}"
    for chromosome, versions in _VERSIONS.items()
    for i, assembly in enumerate(ASSEMBLIES)
}
CHROMOSOME_ACCESSIONS.update({(assembly, "MT"): MT_ACCESSION for assembly in ASSEMBLIES})

_BY_ACCESSION: dict[str, list[tuple[str, str]]] = {}
for _pair, _accession in CHROMOSOME_ACCESSIONS.items():
    _BY_ACCESSION.setdefault(_accession, []).append(_pair)


class VariantError(ValueError):
    """A variant cannot be identified; the message says what to send instead and never echoes patient data."""


_ASSEMBLY_ALIASES = {
    "grch37": "GRCh37", "hg19": "GRCh37", "la14029-5": "GRCh37",
    "grch38": "GRCh38", "hg38": "GRCh38", "la26806-2": "GRCh38",
}  # fmt: skip
_PATCH = re.compile(r"^(grch3[78])(?:\.p\d+)?$")
# NCBI36/hg18 and earlier, including their LOINC answers LA14030-3, LA14031-1 and LA14032-9.
_OLD_BUILD = re.compile(r"^(?:(?:ncbi\s*)?(?:build\s*)?3[4-6](?:\.\d+)?|hg1[5-8]|la1403[0-2]-\d)$")


@memoised
def normalise_assembly(text: str | None) -> str:
    """Return "GRCh37" or "GRCh38" for a build name, UCSC alias, patch release or LOINC LL1040-6 answer."""
    if not text or not text.strip():
        raise VariantError("the reference assembly is missing; send GRCh37 or GRCh38 (LOINC 62374-4)")
    folded = " ".join(text.strip().lower().split())
    patch = _PATCH.match(folded)
    found = _ASSEMBLY_ALIASES.get(patch.group(1) if patch else folded)
    if found:
        return found
    if _OLD_BUILD.match(folded):
        raise VariantError(
            "assemblies older than GRCh37 (NCBI36/hg18 and earlier) are not supported; lift over to GRCh38"
        )
    raise VariantError("unrecognised reference assembly; send GRCh37 or GRCh38 (LA14029-5 or LA26806-2)")


_CHROMOSOME_TEXT = re.compile(r"^(?:chromosome\s*|chr)?0*([1-9]\d?|x|y|mt?)$")


@memoised
def normalise_chromosome(text: str | None) -> str:
    """Return "1".."22", "X", "Y" or "MT" for spellings like "chr17", "17", "x", "chrM", "Chromosome 7"."""
    folded = (text or "").strip().lower()
    match = _CHROMOSOME_TEXT.match(folded)
    name = match.group(1).upper() if match else ""
    if name == "M":
        name = "MT"
    if name not in CHROMOSOMES:
        raise VariantError("unrecognised chromosome; send 1-22, X, Y or MT (a 'chr' prefix is accepted)")
    return name


def accession_for(assembly: str, chromosome: str) -> str:
    """Return the RefSeq NC_ accession of a chromosome in an assembly (both spellings are normalised)."""
    return CHROMOSOME_ACCESSIONS[(normalise_assembly(assembly), normalise_chromosome(chromosome))]


_ACCESSION = re.compile(r"^([A-Za-z]+)(_?)([0-9A-Za-z]+(?:\.\d+)?)$")


@memoised
def normalise_accession(text: str) -> str:
    """Upper-case only an accession's letter prefix ("nc_000017.11", "enst0001.2"); LRG_199t1 keeps its t."""
    compact = "".join((text or "").split())
    match = _ACCESSION.match(compact)
    if not match:
        return compact
    prefix, underscore, rest = match.groups()
    return prefix.upper() + underscore + rest


_NC = re.compile(r"^NC_(\d{6})\.(\d+)$")


@memoised
def assembly_and_chromosome_for_accession(accession: str, assembly: str | None = None) -> tuple[str, str]:
    """Return (assembly, chromosome) for a GRCh37/GRCh38 NC_ accession, e.g. NC_000017.11 -> (GRCh38, 17).

    ``assembly`` is an optional hint: it must agree with the accession, and it decides the build of
    NC_012920.1 (mitochondrion), which is the same in both; without a hint that one reports GRCh38.
    """
    normalised = normalise_accession(accession)
    hint = normalise_assembly(assembly) if assembly is not None else None
    if normalised == _HG19_CHRM:
        raise VariantError(
            "NC_001807.4 is the UCSC hg19 chrM, not the rCRS; send mitochondrial positions on NC_012920.1"
        )
    match = _NC.match(normalised)
    if not match:
        raise VariantError(
            "a chromosomal position needs a RefSeq NC_ chromosome accession (e.g. NC_000017.11); "
            "NG_, NM_ and LRG_ positions are gene- or transcript-local"
        )
    pairs = _BY_ACCESSION.get(normalised)
    if not pairs:
        known = [acc for acc in _BY_ACCESSION if acc.startswith(f"NC_{match.group(1)}.")]
        if known:
            raise VariantError(
                f"{normalised} is not a GRCh37 or GRCh38 version of this chromosome (expected one of "
                f"{', '.join(sorted(known))}); older builds are not supported"
            )
        raise VariantError(f"{normalised} is not a human GRCh37/GRCh38 chromosome accession")
    if hint is None:
        return pairs[-1]  # the GRCh38 entry when the accession is shared (MT)
    for pair in pairs:
        if pair[0] == hint:
            return pair
    raise VariantError(f"{normalised} belongs to {pairs[0][0]}, which contradicts the stated assembly {hint}")


@memoised
def assemblies_for_accession(accession: str) -> tuple[str, ...]:
    """Return every assembly an NC_ accession belongs to (two for NC_012920.1); VariantError if none."""
    assembly_and_chromosome_for_accession(accession)
    return tuple(pair[0] for pair in _BY_ACCESSION[normalise_accession(accession)])


_RSID = re.compile(r"^(?:https?://\S*[/=?&]|dbsnp\s*:?\s*)?rs\s*=?\s*0*([1-9]\d{0,11})$")
_BARE_NUMBER = re.compile(r"^0*([1-9]\d{0,11})$")


@memoised
def normalise_rsid(text: str | None) -> str:
    """Return "rs<digits>" from "rs80357906", "RS 123", "dbSNP:rs123", a dbSNP URL or bare digits."""
    folded = (text or "").strip().lower().rstrip("/")
    match = _RSID.match(folded) or _BARE_NUMBER.match(folded)
    if not match:
        raise VariantError("unrecognised dbSNP identifier; send an rsID such as rs80357906")
    return f"rs{match.group(1)}"


_CLINVAR = re.compile(r"^(?:https?://\S*/|clinvar\s*:?\s*)?(?:vcv)?0*([1-9]\d{0,9})(?:\.\d+)?$")


@memoised
def normalise_clinvar_id(text: str | None) -> str:
    """Return the ClinVar VariationID digits from "12345", "VCV000012345.3" or a ClinVar variation URL."""
    folded = (text or "").strip().lower().rstrip("/")
    if re.search(r"(?:^|[^a-z])(?:rcv|scv)\d", folded):
        raise VariantError("RCV and SCV accessions are not variant identifiers; send the VariationID (VCV)")
    match = _CLINVAR.match(folded)
    if not match:
        raise VariantError("unrecognised ClinVar identifier; send a VariationID, e.g. 12345 or VCV000012345")
    return match.group(1)


# Patterns that decide whether an alias value may be stored: identifier-shaped text only, so free text (which
# could carry patient data) is never mistaken for an identifier. The "text" kind has no pattern.
_ACC = r"(?:[A-Z]{2}_\d+\.\d+|ENS[TPG]\d+(?:\.\d+)?|LRG_\d+(?:[tp]\d+)?)(?:\([A-Za-z0-9._-]+\))?"
_HGVS_BODY = r"[A-Za-z0-9_.*+\-()\[\];>=?,/{}^]+"
# ISCN abbreviations; each must be a whole letter run, so a name cannot be spelled out of them and there is
# only one way to match a run (no catastrophic backtracking).
_ISCN_WORDS = (
    "GRCh|hg|arr|seq|ish|nuc|rsa|cgh|mos|chi|del|dup|ins|inv|der|dic|idic|trp|qdp|amp|add|idem|mar|upd|hmz"
    "|hsr|dmin|fra|inh|mat|pat|dn|pter|qter|cen|sce|cth|sl|sdl|var|[XY]+|t|i|r|c|h|s|p|q|x|or|NC|g"
)
_ISCN_WORD = rf"(?<![A-Za-z])(?:{_ISCN_WORDS})(?![A-Za-z])"
ALIAS_KINDS = ("hgvs.c", "hgvs.g", "hgvs.p", "spdi", "clinvar", "dbsnp", "iscn", "text")
ALIAS_PATTERNS: dict[str, re.Pattern[str]] = {
    "hgvs.c": re.compile(rf"^(?:{_ACC}:)?[cn]\.[-*0-9(\[?]{_HGVS_BODY}$"),
    "hgvs.g": re.compile(rf"^(?:{_ACC}:)?[gm]\.[0-9(\[?]{_HGVS_BODY}$"),
    "hgvs.p": re.compile(rf"^(?:{_ACC}:)?p\.[A-Z0-9(\[=?]{_HGVS_BODY}$"),
    "spdi": re.compile(r"^[A-Z]{2}_\d+\.\d+:\d+:(?:[ACGTN]*|\d+):[ACGTN]*$"),
    "clinvar": re.compile(r"^[1-9]\d{0,9}$"),
    "dbsnp": re.compile(r"^rs[1-9]\d{0,11}$"),
    "iscn": re.compile(rf"^(?:[0-9 ,.;:()\[\]_+~/<>?=-]|{_ISCN_WORD}){{1,300}}$"),
}
