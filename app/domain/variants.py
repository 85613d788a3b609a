"""Variant identity: normalised keys, SPDI, coordinate systems and HGVS forms (genomics-reporting.md §5).

A genomic allele is keyed as ``{assembly}:{chromosome}:{pos}:{ref}:{alt}`` in VCF style (1-based POS) after
trimming the shared suffix and then the shared prefix; an empty allele is written ``-``. Trimming is *not*
left-alignment: an indel inside a repeat has several equivalent positions and choosing the canonical one
needs the reference sequence, which this service does not hold. Two labs writing the same repeat indel at
different positions therefore get different keys; the ``normalised`` flag says "trimmed", nothing more.
Structural variants and repeat expansions get weaker keys of their own kinds so they can still be shared; HGVS
expressions (genomic and transcript) are read in :mod:`app.domain.hgvs`. Pure: standard library and ``app.domain`` only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from app.domain.accessions import (
    ALIAS_KINDS,
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
from app.domain.reports import Alias, Variant, VariantKind

__all__ = [
    "ALIAS_KINDS", "ALIAS_PATTERNS", "ASSEMBLIES", "CHROMOSOME_ACCESSIONS", "COORDINATE_SYSTEMS",
    "AmbiguousCoordinatesError", "InconsistentCoordinatesError", "ReferenceCallError", "VariantError",
    "accession_for", "allele_variant", "assemblies_for_accession", "assembly_and_chromosome_for_accession",
    "coordinates_to_position0", "normalise_accession",
    "normalise_assembly", "normalise_chromosome", "normalise_clinvar_id", "normalise_rsid",
    "repeat_variant", "structural_variant", "trim_alleles",
    "variant_from_spdi", "variant_id_for_key", "vcf_variant",
]  # fmt: skip


class ReferenceCallError(VariantError):
    """ref equals alt: a homozygous-reference (wild type) call, which is not a variant."""


class AmbiguousCoordinatesError(VariantError):
    """The coordinate system is not stated and the data cannot tell 0-based from 1-based counting."""


class InconsistentCoordinatesError(VariantError):
    """Coordinates contradict themselves (high vs ref length) or the g.HGVS expression."""


INTERVAL_0 = "LA30100-4"  # 0-based interval counting: low/high are boundaries, high exclusive
CHARACTER_0 = "LA30101-2"  # 0-based character counting: low/high are bases numbered from 0, inclusive
CHARACTER_1 = "LA30102-0"  # 1-based character counting (VCF, HGVS): bases numbered from 1, inclusive
COORDINATE_SYSTEMS = {
    INTERVAL_0: "0-based interval counting",
    CHARACTER_0: "0-based character counting",
    CHARACTER_1: "1-based character counting",
}


def variant_id_for_key(key: str) -> str:
    """Stable public id of a variant key: "vs" + the first 20 hex digits of its SHA-256."""
    return "vs" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def _allele(text: str | None, label: str) -> str:
    if text is None:
        raise VariantError(f"the {label} allele is missing")
    allele = text.strip().upper()
    if allele == "-":  # ANNOVAR/HGVS-table habit for "no bases"
        allele = ""
    if allele.strip("ACGTN"):  # something besides A, C, G, T and N (the alleles are stripped of whitespace)
        raise VariantError(f"the {label} allele must be DNA bases A, C, G, T or N (no symbolic alleles)")
    return allele


def _position(value: object, label: str, minimum: int) -> int:
    if value.__class__ is int and value >= minimum:  # the usual case (a bool's class is bool, not int)
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise VariantError(f"{label} must be a whole number")
    if value < minimum:
        raise VariantError(f"{label} must be at least {minimum}")
    return value


def _text(value: str | None) -> str | None:
    stripped = value.strip() if value else ""
    return stripped or None


def _aliases(aliases: Iterable[Alias | tuple[str, str]]) -> tuple[Alias, ...]:
    if aliases == ():
        return ()
    out: dict[Alias, None] = {}  # ordered set: the first spelling wins
    for item in aliases:
        alias = item if isinstance(item, Alias) else Alias(*item)
        if alias.kind not in ALIAS_KINDS:
            raise ValueError(f"unknown alias kind {alias.kind!r}; expected one of {', '.join(ALIAS_KINDS)}")
        value = alias.value.strip() if alias.value else ""
        if value:
            out.setdefault(Alias(alias.kind, value), None)
    return tuple(out)


def trim_alleles(position0: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Trim the shared suffix, then the shared prefix (moving the 0-based start); the SPDI/VOCA first step."""
    if ref[-1:] != alt[-1:] and ref[:1] != alt[:1]:
        return position0, ref, alt  # nothing shared at either end (every SNV)
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    prefix = 0
    while prefix < len(ref) and prefix < len(alt) and ref[prefix] == alt[prefix]:
        prefix += 1
    return position0 + prefix, ref[prefix:], alt[prefix:]


_ALLELE = VariantKind.ALLELE
_ASSEMBLY_NAMES = frozenset(ASSEMBLIES)  # what normalise_assembly returns
_CHROMOSOME_NAMES = frozenset(CHROMOSOMES)  # what normalise_chromosome returns


def allele_variant(
    assembly: str,
    chromosome: str,
    position0: int,
    ref: str,
    alt: str,
    gene: str | None = None,
    aliases: Iterable[Alias | tuple[str, str]] = (),
) -> Variant:
    """Build the normalised ALLELE variant for a 0-based (SPDI-style) start and its ref/alt alleles."""
    if assembly not in _ASSEMBLY_NAMES:  # canonical names normalise to themselves
        assembly = normalise_assembly(assembly)
    if chromosome not in _CHROMOSOME_NAMES:
        chromosome = normalise_chromosome(chromosome)
    position0 = _position(position0, "the 0-based position", 0)
    ref, alt = _allele(ref, "ref"), _allele(alt, "alt")
    if ref == alt:
        raise ReferenceCallError("ref equals alt: this is a reference (wild type) call, not a variant")
    p0, ref, alt = trim_alleles(position0, ref, alt)
    accession = CHROMOSOME_ACCESSIONS[(assembly, chromosome)]
    pos1 = p0 + 1
    return Variant(
        key=f"{assembly}:{chromosome}:{pos1}:{ref or '-'}:{alt or '-'}",
        kind=_ALLELE,
        normalised=True,
        assembly=assembly,
        chromosome=chromosome,
        position=pos1,
        ref=ref,
        alt=alt,
        spdi=f"{accession}:{p0}:{ref}:{alt}",
        gene=_text(gene),
        aliases=_aliases(aliases),
    )


def vcf_variant(
    assembly: str,
    chromosome: str,
    pos1: int,
    ref: str,
    alt: str,
    gene: str | None = None,
    aliases: Iterable[Alias | tuple[str, str]] = (),
) -> Variant:
    """Build the ALLELE variant from VCF-style input: 1-based POS and (usually anchored) ref/alt."""
    position0 = _position(pos1, "the 1-based position", 1) - 1
    return allele_variant(assembly, chromosome, position0, ref, alt, gene, aliases)


def _position0_in(system: str, low: int, high: int | None, ref: str) -> int:
    """Convert under one coordinate system (§5.1), checking ``high`` against ``len(ref)``."""
    if system == INTERVAL_0:
        if high is not None and high - low != len(ref):
            raise InconsistentCoordinatesError(
                f"interval coordinates span {high - low} bases but the ref allele has {len(ref)}"
            )
        return low
    first = 1 if system == CHARACTER_1 else 0
    _position(low, "low", first)
    if not ref:
        # Character counting cannot name a boundary; an insertion is written between its flanking bases.
        if high is None or high != low + 1:
            raise InconsistentCoordinatesError(
                "an insertion (empty ref) in character counting needs high = low + 1 (the flanking bases), "
                "or use interval counting (LA30100-4) with low = high"
            )
        return low + 1 - first
    if high is not None and high - low + 1 != len(ref):
        raise InconsistentCoordinatesError(
            f"character coordinates span {high - low + 1} bases but the ref allele has {len(ref)}"
        )
    return low - first


def _hgvs_start_fits(position0: int, ref: str, alt: str, hgvs_start: int) -> bool:
    """Whether a g.HGVS start can describe this allele: exact, or 3'-shifted for a pure insertion/deletion."""
    if ref == alt:
        return hgvs_start == position0 + 1
    p0, ref, alt = trim_alleles(position0, ref, alt)
    if ref and alt:  # substitution or delins: only one representation exists
        return hgvs_start == p0 + 1
    # HGVS shifts indels 3' within a repeat, so without the sequence only a lower bound holds. An insertion
    # starts at its left flank (ins) or at the first duplicated base (dup); a deletion at its first base.
    return hgvs_start >= (p0 if not ref else p0 + 1)


def coordinates_to_position0(
    low: int,
    high: int | None,
    ref: str,
    system: str | None,
    hgvs_position: int | None = None,
    alt: str | None = None,
) -> int:
    """Return the 0-based start for exact-start-end coordinates under a LOINC LL5323-2 coordinate system.

    ``system`` None means not stated (§5.4): accepted only when ``high`` fits interval counting alone, or when
    ``hgvs_position`` (the 1-based start of a g.HGVS for the same allele; needs ``alt``) rules out all but one
    reading. With a stated system, ``hgvs_position`` is a cross-check. Indels are compared leniently (HGVS
    shifts them 3'), so they can only ever rule a reading out, never in by coincidence.
    """
    low = _position(low, "low", 0)
    if high is not None:
        high = _position(high, "high", 0)
    ref = _allele(ref, "ref")
    if hgvs_position is not None:
        hgvs_position = _position(hgvs_position, "the g.HGVS start", 1)
        alt = _allele(alt, "alt")
    if system is not None:
        code = system.strip().upper()
        if code not in COORDINATE_SYSTEMS:
            raise VariantError("unknown coordinate system; send LA30100-4, LA30101-2 or LA30102-0 (92822-6)")
        position0 = _position0_in(code, low, high, ref)
        if hgvs_position is not None and not _hgvs_start_fits(position0, ref, alt, hgvs_position):
            raise InconsistentCoordinatesError(
                f"the coordinates ({COORDINATE_SYSTEMS[code]}) contradict the g.HGVS start position"
            )
        return position0
    readings = set()
    if not ref and high is None:
        # An insertion given by one flank: interval or 1-based (low) vs 0-based character counting (low + 1).
        readings = {low, low + 1}
    for code in COORDINATE_SYSTEMS:
        try:
            readings.add(_position0_in(code, low, high, ref))
        except VariantError:
            continue
    if not readings:
        raise InconsistentCoordinatesError("low/high do not fit len(ref) in any coordinate system")
    if hgvs_position is not None:
        fitting = {p0 for p0 in readings if _hgvs_start_fits(p0, ref, alt, hgvs_position)}
        if not fitting:
            raise InconsistentCoordinatesError("the coordinates contradict the g.HGVS start position")
        readings = fitting
    if len(readings) > 1:
        raise AmbiguousCoordinatesError(
            "the coordinate system is not stated and 0-based and 1-based readings both fit; send the "
            "coordinate-system component (LOINC 92822-6) or a matching g.HGVS expression"
        )
    return readings.pop()


def variant_from_spdi(spdi: str, gene: str | None = None, aliases=(), assembly: str | None = None) -> Variant:
    """Build the ALLELE variant from an SPDI string such as "NC_000017.11:43045711:G:A".

    ``assembly`` (e.g. from LOINC 62374-4) must agree with the accession and settles the build of NC_012920.1.
    """
    parts = "".join((spdi or "").split()).split(":")
    if len(parts) != 4:
        raise VariantError("an SPDI has four parts, e.g. NC_000017.11:43045711:G:A")
    accession, position, deleted, inserted = parts
    assembly, chromosome = assembly_and_chromosome_for_accession(accession, assembly)
    if not position.isdecimal():
        raise VariantError("the SPDI position must be a 0-based whole number")
    if deleted.isdecimal():
        if int(deleted):
            raise VariantError("an SPDI deletion given as a length needs the reference; send its bases")
        deleted = ""
    return allele_variant(assembly, chromosome, int(position), deleted, inserted, gene, aliases)


def structural_variant(
    assembly: str,
    chromosome: str,
    start1: int,
    end1: int,
    copy_number: int | None = None,
    gene: str | None = None,
    aliases: Iterable[Alias | tuple[str, str]] = (),
) -> Variant:
    """Key a CNV or imprecise SV by region: "{assembly}:{chromosome}:{start}-{end}:CN{n}" (or ":SV")."""
    assembly, chromosome = normalise_assembly(assembly), normalise_chromosome(chromosome)
    start1 = _position(start1, "the region start", 1)
    end1 = _position(end1, "the region end", start1)
    if copy_number is not None:
        if isinstance(copy_number, float) and copy_number.is_integer():
            copy_number = int(copy_number)
        copy_number = _position(copy_number, "the copy number", 0)
    suffix = f"CN{copy_number}" if copy_number is not None else "SV"
    return Variant(
        key=f"{assembly}:{chromosome}:{start1}-{end1}:{suffix}",
        kind=VariantKind.STRUCTURAL,
        normalised=True,
        assembly=assembly,
        chromosome=chromosome,
        position=start1,
        gene=_text(gene),
        aliases=_aliases(aliases),
    )


_SEQUENCE_ACCESSION = re.compile(r"^(?:[A-Z]{2}_\d+\.\d+|ENS[TG]\d+(?:\.\d+)?|LRG_\d+(?:t\d+)?)$")


def repeat_variant(
    gene: str | None, transcript_or_accession: str, motif: str, count: int, aliases=()
) -> Variant:
    """Key a repeat expansion: "repeat:{accession}:{MOTIF}[{count}]" (kind REPEAT, no allele)."""
    accession = normalise_accession((transcript_or_accession or "").strip())
    if not _SEQUENCE_ACCESSION.match(accession):
        raise VariantError("a repeat expansion needs its reference sequence accession, e.g. NM_004643.4")
    unit = _allele(motif, "repeat motif")
    if not unit:
        raise VariantError("the repeat motif is missing")
    count = _position(count, "the repeat count", 0)
    return Variant(
        key=f"repeat:{accession}:{unit}[{count}]",
        kind=VariantKind.REPEAT,
        normalised=False,
        gene=_text(gene),
        aliases=_aliases(aliases),
    )
