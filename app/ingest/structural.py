"""Structural variants (copy number, inner/outer ranges) and repeat expansions read from Variant components.

Both get region or motif keys from ``app.domain.variants`` rather than an allele key
(genomics-reporting.md §5.4).
"""

from __future__ import annotations

import re

from app.domain.reports import Variant
from app.domain.variants import (
    VariantError,
    assembly_and_chromosome_for_accession,
    normalise_chromosome,
    repeat_variant,
    structural_variant,
)
from app.ingest.aliases import Identifiers
from app.ingest.codings import LOINC, SEQUENCE_ONTOLOGY, codings, concept_text
from app.ingest.components import (
    CHANGE_TYPE,
    CHROMOSOME,
    COORDINATE_SYSTEM,
    COPY_NUMBER,
    EXACT_START_END,
    INNER_START_END,
    OUTER_START_END,
    REPEAT_MOTIF,
    REPEAT_NUMBER,
    Components,
)
from app.ingest.values import integer_of, quantity_value, range_bounds, text_of

CNV_TYPES = frozenset({"SO:0001019", "SO:0001742", "SO:0001743", "SO:0000159", "SO:1000035"})
_SHIFT = {"LA30100-4": (1, 0), "LA30101-2": (1, 1), "LA30102-0": (0, 0)}  # (start, end) added to get 1-based


def _copy_number(components: Components) -> int | None:
    item = components.first(COPY_NUMBER)
    if item is None:
        return None
    component = item[1]
    if "valueQuantity" in component:
        return integer_of(quantity_value(component.get("valueQuantity")))
    low, high = range_bounds(component.get("valueRange"))
    return low if low is not None and low == high else None


def read_structural(
    ids: Identifiers, components: Components, assembly: str | None, problems: list[tuple[str, str, str]]
) -> Variant | None:
    """A region-keyed structural variant, when copy number or imprecise ranges place one on a chromosome."""
    change = components.first(CHANGE_TYPE)
    is_cnv = change is not None and any(
        s == SEQUENCE_ONTOLOGY and c in CNV_TYPES
        for s, c, _ in codings(change[1].get("valueCodeableConcept"))
    )
    if not (
        is_cnv or COPY_NUMBER in components or INNER_START_END in components or OUTER_START_END in components
    ):
        return None
    region = (
        components.first(INNER_START_END)
        or components.first(OUTER_START_END)
        or components.first(EXACT_START_END)
    )
    if region is None:
        return None
    low, high = range_bounds(region[1].get("valueRange"))
    location = components.location(region[0])
    if low is None or high is None:
        problems.append(("warning", location, "A structural variant region needs both low and high."))
        return None
    chromosome = None
    accession = ids.genomic_accession
    try:
        if accession and accession.upper().startswith("NC_"):
            assembly, chromosome = assembly_and_chromosome_for_accession(accession, assembly)
        elif assembly:
            item = components.first(CHROMOSOME)
            concept = item[1].get("valueCodeableConcept") if item else None
            names = [d for _, _, d in codings(concept) if d] + [t for t in [concept_text(concept)] if t]
            chromosome = normalise_chromosome(names[0]) if names else None
        if assembly is None or chromosome is None:
            problems.append(
                (
                    "information",
                    location,
                    "The structural variant region is not on a chromosome "
                    "(48013-7 NC_ accession, or 62374-4 with 48000-4).",
                )
            )
            return None
        system = None
        coord = components.first(COORDINATE_SYSTEM)
        if coord is not None:
            system = next(
                (c for s, c, _ in codings(coord[1].get("valueCodeableConcept")) if s == LOINC), None
            )
        if system not in _SHIFT:
            problems.append(
                (
                    "warning",
                    location,
                    "No coordinate system (92822-6) for the structural variant: "
                    "the region is read as 1-based.",
                )
            )
        start_shift, end_shift = _SHIFT.get(system, (0, 0))
        return structural_variant(
            assembly,
            chromosome,
            low + start_shift,
            high + end_shift,
            _copy_number(components),
            ids.gene,
            ids.alias_tuple,
        )
    except VariantError as exc:
        problems.append(("warning", location, f"Structural variant region not used: {exc}."))
        return None


def read_repeat(
    ids: Identifiers, components: Components, problems: list[tuple[str, str, str]]
) -> Variant | None:
    """A repeat-expansion key from the repeat-motif/repeat-number components (first pair)."""
    if REPEAT_MOTIF not in components.codes:
        return None
    motif_item = components.codes[REPEAT_MOTIF][0]
    motif = text_of(motif_item[1].get("valueString"))
    count_item = components.first(REPEAT_NUMBER)
    count = integer_of(quantity_value(count_item[1].get("valueQuantity"))) if count_item else None
    location = components.location(motif_item[0])
    if motif is None or count is None:
        problems.append(
            ("warning", location, "A repeat expansion needs both repeat-motif and repeat-number.")
        )
        return None
    accession = ids.transcript or ids.genomic_accession
    if accession is None and ids.hgvs_c:
        accession = ids.hgvs_c[0].split(":")[0]
    for expression in ids.hgvs_c:
        stated = re.search(rf"{re.escape(motif.upper())}\[(\d+)\]", expression.upper())
        if stated and int(stated.group(1)) != count:
            problems.append(
                (
                    "warning",
                    location,
                    "The repeat number differs from the count in the c.HGVS "
                    "expression; the repeat-number component is used.",
                )
            )
    try:
        return repeat_variant(ids.gene, accession or "", motif, count, ids.alias_tuple)
    except VariantError as exc:
        problems.append(("warning", location, f"Repeat expansion not keyed: {exc}."))
        return None
