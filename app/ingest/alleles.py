"""The identity of a variant in a Variant Observation: which key it is stored under, and why.

Precedence (the first source that yields an identity wins; the rest stay aliases and are cross-checked):

1. repeat motif/number (TBD) -> repeat key;
2. exact start-end + ref/alt on a chromosome (NC_ accession, or assembly + chromosome) -> normalised allele;
3. an SPDI variation code -> allele;  4. a g.HGVS on an NC_ accession whose bases are written -> allele;
5. copy number or inner/outer ranges on a chromosome -> structural (region) key;
6. c.HGVS joined with its transcript -> transcript key;
7. transcript (51958-7) + one position + ref/alt substitution, no HGVS -> the equivalent c.HGVS key (warning);
8. a g.HGVS that needs the reference sequence (e.g. ``del`` without bases) -> its expression as key (warning);
9. a ClinVar VariationID, else a dbSNP rsID (+ ref>alt) -> identifier key (warning); 10. p.HGVS (warning).

Contradictions (coordinates vs g.HGVS/SPDI, assembly vs accession) reject the variant; coordinates that are
only ambiguous (no coordinate system, genomics-reporting.md §5.4) fall back to 3-10 with a warning, and are an
error when nothing else identifies the variant.
"""

from __future__ import annotations

from app.domain.hgvs import hgvs_genomic_start, parse_genomic_hgvs, transcript_variant
from app.domain.reports import Alias, Variant, VariantKind
from app.domain.variants import (
    InconsistentCoordinatesError,
    ReferenceCallError,
    VariantError,
    allele_variant,
    assemblies_for_accession,
    assembly_and_chromosome_for_accession,
    coordinates_to_position0,
    normalise_assembly,
    normalise_chromosome,
    variant_from_spdi,
)
from app.ingest.aliases import Identifiers
from app.ingest.codings import LOINC, SEQUENCE_ONTOLOGY, code_pairs, codings, concept_text
from app.ingest.components import (
    ALT_ALLELE,
    ASSEMBLY,
    CHANGE_TYPE,
    CHROMOSOME,
    COORDINATE_SYSTEM,
    EXACT_START_END,
    EXACT_START_END_STU1,
    REF_ALLELE,
    Components,
)
from app.ingest.structural import read_repeat, read_structural
from app.ingest.values import range_bounds, text_of

WILD_TYPE = "SO:0002073"


class Rejected(Exception):
    """The variant contradicts itself: an error issue, no identity."""


class Identity:
    """The outcome of identifying one Variant Observation."""

    __slots__ = ("problems", "reference_call", "variant")

    def __init__(self) -> None:
        self.variant: Variant | None = None
        self.reference_call = False
        self.problems: list[tuple[str, str, str]] = []  # (severity, location, message)


def _assembly_hint(components: Components) -> str | None:
    items = components.codes.get(ASSEMBLY)
    if not items:
        return None
    concept = items[0][1].get("valueCodeableConcept")
    for _, code in code_pairs(concept):  # the codes first: a LOINC answer or a build name answers at once
        try:
            return normalise_assembly(code)
        except VariantError:
            continue
    for candidate in [d for _, _, d in codings(concept) if d] + [t for t in [concept_text(concept)] if t]:
        try:
            return normalise_assembly(candidate)
        except VariantError:
            continue
    raise Rejected(
        f"{components.location(ASSEMBLY)}|The reference assembly (62374-4) is not GRCh37 or GRCh38."
    )


def _chromosome_hint(components: Components) -> str | None:
    item = components.first(CHROMOSOME)
    if item is None:
        return None
    concept = item[1].get("valueCodeableConcept")
    for candidate in [d for _, _, d in codings(concept) if d] + [t for t in [concept_text(concept)] if t]:
        try:
            return normalise_chromosome(candidate)
        except VariantError:
            continue
    return None


def _check_assembly(accession: str, assembly: str | None, location: str) -> None:
    if assembly is None or not accession.upper().startswith("NC_"):
        return
    try:
        belongs = assemblies_for_accession(accession)
    except VariantError:
        return
    if assembly not in belongs:
        raise Rejected(
            f"{location}|The accession belongs to {belongs[0]}, but the assembly component (62374-4) "
            f"says {assembly}: the variant is rejected."
        )


def _coordinate_system(components: Components) -> str | None:
    items = components.codes.get(COORDINATE_SYSTEM)
    if not items:
        return None
    for system, code in code_pairs(items[0][1].get("valueCodeableConcept")):
        if system == LOINC:
            return code
    return ""


def _positional(
    ids: Identifiers, components: Components, assembly: str | None, out: Identity
) -> Variant | None:
    codes = components.codes
    if REF_ALLELE not in codes or ALT_ALLELE not in codes:
        return None
    ref = text_of(codes[REF_ALLELE][0][1].get("valueString"))
    alt = text_of(codes[ALT_ALLELE][0][1].get("valueString"))
    rng = (codes.get(EXACT_START_END) or codes.get(EXACT_START_END_STU1) or [None])[0]
    if ref is None or alt is None or rng is None:
        return None
    low, high = range_bounds(rng[1].get("valueRange"))
    location = f"{components.base}.component[{rng[0]}]"
    if low is None:
        return None
    accession = ids.genomic_accession
    if accession and accession.upper().startswith("NC_"):
        if assembly is not None:
            _check_assembly(accession, assembly, location)
        try:
            assembly, chromosome = assembly_and_chromosome_for_accession(accession, assembly)
        except VariantError as exc:
            out.problems.append(("warning", location, f"Coordinates not used: {exc}."))
            return None
    elif accession is None and assembly and _chromosome_hint(components):
        chromosome = _chromosome_hint(components)
    else:
        where = (
            "a gene- or transcript-local reference sequence"
            if accession or ids.transcript
            else "no chromosomal reference sequence (48013-7 NC_ accession, or 62374-4 with 48000-4)"
        )
        out.problems.append(("information", location, f"Coordinates on {where} cannot give a genomic key."))
        return None
    system = _coordinate_system(components)
    hgvs_start = None
    for expression in ids.hgvs_g:
        start = hgvs_genomic_start(expression)
        if start and start[0] == accession:
            hgvs_start = start[1]
            break
    try:
        p0 = coordinates_to_position0(low, high, ref, system or None, hgvs_start, alt)
        return allele_variant(assembly, chromosome, p0, ref, alt, ids.gene, ids.alias_tuple)
    except ReferenceCallError:
        raise
    except InconsistentCoordinatesError as exc:
        raise Rejected(f"{location}|Contradictory coordinates: {exc}.") from exc
    except VariantError as exc:
        out.problems.append(("ambiguous", location, f"Coordinates not used: {exc}."))
        return None


def _from_expressions(ids: Identifiers, assembly: str | None, base: str) -> list[tuple[str, Variant]]:
    found = []
    for spdi in ids.spdi:
        _check_assembly(spdi.split(":")[0], assembly, base)
        try:
            found.append(("SPDI", variant_from_spdi(spdi, ids.gene, ids.alias_tuple, assembly)))
        except ReferenceCallError:
            raise
        except VariantError:
            continue
    for expression in ids.hgvs_g:
        _check_assembly(expression.split(":")[0], assembly, base)
        if not expression.upper().startswith("NC_"):
            continue
        try:
            found.append(("g.HGVS", parse_genomic_hgvs(expression, ids.gene, ids.alias_tuple, assembly)))
        except ReferenceCallError:
            raise
        except VariantError:
            continue
    return found


def _expression_key(prefix: str, value: str, ids: Identifiers) -> Variant:
    """An unnormalised key for a variant known only by an identifier or an unparsable expression."""
    return Variant(
        key=f"{prefix}:{value}",
        kind=VariantKind.IDENTIFIER,
        normalised=False,
        gene=ids.gene,
        aliases=ids.alias_tuple,
    )


def _fallback(ids: Identifiers, components: Components, out: Identity) -> tuple[Variant | None, str]:
    for expression in ids.hgvs_c:
        try:
            return transcript_variant(expression, ids.gene, ids.alias_tuple), ""
        except VariantError:
            continue
    ref = text_of(components.value(REF_ALLELE, "valueString"))
    alt = text_of(components.value(ALT_ALLELE, "valueString"))
    low, high = range_bounds(components.value(EXACT_START_END, "valueRange"))
    if (
        ids.transcript
        and ids.transcript.upper().startswith("NM_")
        and not ids.genomic_accession
        and low
        and high in (None, low)
        and ref
        and alt
        and len(ref) == len(alt) == 1
        and ref.upper() != alt.upper()
    ):
        expression = f"{ids.transcript}:c.{low}{ref.upper()}>{alt.upper()}"
        try:
            return transcript_variant(
                expression, ids.gene, (*ids.alias_tuple, Alias("hgvs.c", expression))
            ), (
                "No HGVS was given: the position on the transcript (51958-7) was read as a c. position and "
                "the "
                "variant keyed by the equivalent c.HGVS expression."
            )
        except VariantError:
            pass
    for expression in ids.hgvs_g:
        return _expression_key("hgvs", expression, ids), (
            "The g.HGVS expression cannot be normalised without the reference sequence; the variant is keyed "
            "by the expression itself. Send ref/alt components or an SPDI for a normalised key."
        )
    if ids.clinvar:
        return _expression_key(
            "clinvar", ids.clinvar[0], ids
        ), "The variant is identified only by its ClinVar ID."
    if ids.dbsnp:
        suffix = f":{ref.upper()}>{alt.upper()}" if ref and alt and ref.isalpha() and alt.isalpha() else ""
        return _expression_key(
            "dbsnp", ids.dbsnp[0] + suffix, ids
        ), "The variant is identified only by its rsID."
    for alias in ids.aliases:
        if alias.kind == "hgvs.p" and ":" in alias.value:
            try:
                return transcript_variant(alias.value, ids.gene, ids.alias_tuple), (
                    "The variant is identified only by its protein change (p.HGVS)."
                )
            except VariantError:
                continue
    return None, ""


def _is_wild_type(components: Components) -> bool:
    if CHANGE_TYPE not in components.codes:
        return False
    item = components.codes[CHANGE_TYPE][0]
    return (SEQUENCE_ONTOLOGY, WILD_TYPE) in code_pairs(item[1].get("valueCodeableConcept"))


def identify_variant(ids: Identifiers, components: Components) -> Identity:
    """Choose the key for one Variant Observation (see the module docstring for the precedence)."""
    out = Identity()
    base = components.base
    try:
        if _is_wild_type(components):
            out.reference_call = True
            return out
        assembly = _assembly_hint(components)
        repeat = read_repeat(ids, components, out.problems)
        if repeat is not None:
            out.variant = repeat
            return out
        candidates = []
        positional = _positional(ids, components, assembly, out)
        if positional is not None:
            candidates.append(("coordinates", positional))
        if ids.spdi or ids.hgvs_g:
            candidates += _from_expressions(ids, assembly, base)
        if candidates:
            source, chosen = candidates[0]
            for other_source, other in candidates[1:]:
                if other.assembly == chosen.assembly and other.key != chosen.key:
                    raise Rejected(
                        f"{base}|The {other_source} contradicts the {source}: the variant is rejected."
                    )
            out.variant = chosen
        else:
            out.variant = read_structural(ids, components, assembly, out.problems)
        note = ""
        if out.variant is None:
            out.variant, note = _fallback(ids, components, out)
        ambiguous = [p for p in out.problems if p[0] == "ambiguous"] if out.problems else []
        if ambiguous:
            out.problems = [p for p in out.problems if p[0] != "ambiguous"]
        for _, location, message in ambiguous:
            severity = "warning" if out.variant is not None else "error"
            out.problems.append(
                (
                    severity,
                    location,
                    message
                    + (
                        " The variant is identified by its other identifiers."
                        if out.variant is not None
                        else " Nothing else identifies the variant: it is rejected."
                    ),
                )
            )
        if note:
            out.problems.append(("warning", base, note))
        if out.variant is None and not ambiguous:
            out.problems.append(
                (
                    "error",
                    base,
                    "The variant cannot be identified: send genomic coordinates with "
                    "ref/alt, an SPDI, a g.HGVS or a c.HGVS expression.",
                )
            )
    except ReferenceCallError:
        out.variant = None
        out.reference_call = True
    except Rejected as exc:
        location, _, message = str(exc).partition("|")
        out.variant = None
        out.problems.append(("error", location, message))
    return out
