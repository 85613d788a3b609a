"""HGVS expressions: genomic (g./m.) expressions on NC_ accessions to normalised alleles, and transcript (c./n./p.)
expressions to unnormalised transcript keys. Pure: standard library and ``app.domain`` only.
"""

from __future__ import annotations

import re

from app.domain.accessions import ALIAS_PATTERNS, assembly_and_chromosome_for_accession, normalise_accession
from app.domain.reports import Variant, VariantKind
from app.domain.variants import (
    InconsistentCoordinatesError,
    ReferenceCallError,
    VariantError,
    _aliases,
    _position,
    _text,
    allele_variant,
)

_HGVS_ACCESSION = r"(?P<acc>[A-Za-z]+_?[0-9A-Za-z]+(?:\.\d+)?)(?:\([A-Za-z0-9._-]*\))?"
_GENOMIC = re.compile(rf"^{_HGVS_ACCESSION}:(?P<type>[gm])\.(?P<body>.+)$")
_GENOMIC_START = re.compile(rf"^{_HGVS_ACCESSION}:[gm]\.(?P<start>\d+)")
_SUBSTITUTION = re.compile(r"^(?P<start>\d+)(?P<ref>[ACGTN])>(?P<alt>[ACGTN])$", re.IGNORECASE)
_EDIT = re.compile(
    r"^(?P<start>\d+)(?:_(?P<end>\d+))?(?:(?P<op>delins|del|ins|dup)(?P<seq>[ACGTN]*)"
    r"(?:ins(?P<ins>[ACGTN]*))?|(?P<same>=))$",
    re.IGNORECASE,
)
_NEEDS_REFERENCE = "needs the reference sequence; send the ref/alt allele components instead"


def hgvs_genomic_start(expr: str) -> tuple[str, int] | None:
    """Return (accession, 1-based start) of a g./m. HGVS expression, or None when it has no plain start."""
    match = _GENOMIC_START.match("".join((expr or "").split()))
    return (normalise_accession(match["acc"]), int(match["start"])) if match else None


def parse_genomic_hgvs(
    expr: str, gene: str | None = None, aliases=(), assembly: str | None = None
) -> Variant:
    """Build the ALLELE variant from an NC_ g./m. HGVS expression whose bases are all written out.

    Substitutions, and del/dup/ins/delins with their bases written, convert; anything else needs the reference
    sequence and raises. ``assembly`` is an optional hint checked against the accession.
    """
    match = _GENOMIC.match("".join((expr or "").split()))
    if not match:
        raise VariantError("not a genomic HGVS expression; expected e.g. NC_000017.11:g.43045712G>A")
    assembly, chromosome = assembly_and_chromosome_for_accession(match["acc"], assembly)
    if match["type"] == "m" and chromosome != "MT":
        raise VariantError("m. HGVS is for the mitochondrial genome (NC_012920.1); use g. for chromosomes")
    body = match["body"]
    sub = _SUBSTITUTION.match(body)
    if sub:
        p0 = _position(int(sub["start"]), "the HGVS position", 1) - 1
        return allele_variant(assembly, chromosome, p0, sub["ref"], sub["alt"], gene, aliases)
    edit = _EDIT.match(body)
    if not edit:
        raise VariantError(f"unsupported g.HGVS form (uncertain range, inv, repeat): {_NEEDS_REFERENCE}")
    start = _position(int(edit["start"]), "the HGVS start", 1)
    end = int(edit["end"]) if edit["end"] else start
    if end < start:
        raise VariantError("the HGVS end position is before its start")
    if edit["same"]:
        raise ReferenceCallError("'=' means no change: this is a reference call, not a variant")
    op, seq, inserted = edit["op"].lower(), edit["seq"].upper(), edit["ins"]
    if op == "delins" or inserted is not None:
        if op == "del" and inserted is not None:  # older form: del<seq>ins<seq>
            deleted, seq = seq, inserted.upper()
        elif op == "delins" and inserted is None:
            deleted = ""
        else:
            raise VariantError("malformed HGVS delins")
        if not deleted:
            raise VariantError(f"a delins without the deleted bases {_NEEDS_REFERENCE}")
        if not seq:
            raise VariantError("an HGVS delins needs inserted bases")
        ref, alt, p0 = deleted, seq, start - 1
    elif op == "ins":
        if edit["end"] is None or end != start + 1:
            raise VariantError("an HGVS insertion names its two flanking bases, e.g. g.100_101insAT")
        if not seq:
            raise VariantError("an HGVS insertion needs the inserted bases written out")
        ref, alt, p0 = "", seq, start
    elif not seq:
        raise VariantError(f"a {op} without its bases written out {_NEEDS_REFERENCE}")
    elif op == "del":
        ref, alt, p0 = seq, "", start - 1
    else:  # dup: written as ref=seq, alt=seq+seq so trimming lands where an anchored VCF record would
        ref, alt, p0 = seq, seq + seq, start - 1
    if op != "ins" and len(ref) != end - start + 1:
        span = end - start + 1
        raise InconsistentCoordinatesError(f"the HGVS range spans {span} bases but {len(ref)} are written")
    return allele_variant(assembly, chromosome, p0, ref, alt, gene, aliases)


_TRANSCRIPT = re.compile(
    r"^(?P<acc>(?:[NX][MR]_\d+(?:\.\d+)?)|ENST\d+(?:\.\d+)?|LRG_\d+t\d+)(?:\((?P<gene>[A-Za-z0-9._-]+)\))?"
    r":(?P<type>[cn])\.(?P<body>.+)$"
)
_PROTEIN = re.compile(
    r"^(?P<acc>(?:[NX]P_\d+(?:\.\d+)?)|ENSP\d+(?:\.\d+)?|LRG_\d+p\d+)(?:\((?P<gene>[A-Za-z0-9._-]+)\))?"
    r":(?P<type>p)\.(?P<body>.+)$"
)


def transcript_variant(hgvs_c: str, gene: str | None = None, aliases=()) -> Variant:
    """Key a variant known only by c./n./p. HGVS as "hgvs:<accession>:<edit>" (kind TRANSCRIPT, unnormalised).

    HGVS is case sensitive, so only the accession's letter prefix is upper-cased; a "(GENE)" after the
    accession is dropped from the key (and used as the gene when none is given) so both spellings dedupe.
    """
    compact = "".join((hgvs_c or "").split())
    head, sep, rest = compact.partition(":")
    if not sep:
        raise VariantError(
            "a c./n./p. HGVS expression needs its transcript accession (NM_, NR_, XM_, ENST, LRG_..t..); "
            "join it with the transcript reference sequence first"
        )
    gene_part = re.search(r"\(.*\)$", head)
    accession = normalise_accession(head[: gene_part.start()] if gene_part else head)
    candidate = accession + (gene_part.group(0) if gene_part else "") + ":" + rest
    match = _TRANSCRIPT.match(candidate) or _PROTEIN.match(candidate)
    if match and match["acc"][2] == "_" and "." not in match["acc"]:  # RefSeq: the version is part of the key
        raise VariantError("a RefSeq accession in a variant key needs its version, e.g. NM_022787.3")
    expression = f"{match['acc']}:{match['type']}.{match['body']}" if match else ""
    if not match or not ALIAS_PATTERNS["hgvs.p" if match["type"] == "p" else "hgvs.c"].match(expression):
        raise VariantError(
            "unrecognised transcript HGVS; expected e.g. NM_022787.3:c.769G>A "
            "(c./n. on NM_/NR_/XM_/XR_/ENST/LRG_..t, p. on NP_/XP_/ENSP/LRG_..p)"
        )
    return Variant(
        key=f"hgvs:{expression}",
        kind=VariantKind.TRANSCRIPT,
        normalised=False,
        gene=_text(gene) or match["gene"],
        aliases=_aliases(aliases),
    )


def join_transcript(transcript: str | None, hgvs: str) -> str:
    """Prefix a bare "c.1249C>T" with its transcript (-> "NM_022787.3:c.1249C>T"); a prefixed one is kept."""
    expression = "".join((hgvs or "").split())
    reference = "".join((transcript or "").split())
    if ":" in expression or not reference:
        return expression
    return f"{normalise_accession(reference)}:{expression}"
