"""Every way a Variant Observation writes its variant: gene, HGVS, SPDI, ClinVar, dbSNP, ISCN, text aliases.

Values must match the identifier pattern of their alias kind (``app.domain.variants.ALIAS_PATTERNS``) to be
kept, so free text is never stored as an identifier; a variation code given only as text is kept as a ``text``
alias (genomics-reporting.md §4.2, §5.3 step 6) only when it has the conservative "GENE protein-change" shape
of the privacy policy (``app.deid.policy.TEXT_ALIAS``, e.g. "EGFR L858R"); other text might be prose carrying
patient data and is dropped with an information issue. Gene symbols must look like HGNC symbols.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.deid.policy import GENE_SYMBOL, TEXT_ALIAS
from app.domain.hgvs import join_transcript
from app.domain.reports import Alias
from app.domain.variants import ALIAS_PATTERNS, VariantError, normalise_clinvar_id, normalise_rsid
from app.ingest.codings import CLINVAR, DBSNP, HGNC, SPDI, codings, concept_text
from app.ingest.components import (
    GENE,
    GENOMIC_REF_SEQ,
    HGVS_C,
    HGVS_G,
    HGVS_P,
    ISCN,
    TRANSCRIPT_REF_SEQ,
    VARIATION_CODES,
    Components,
)

_TEXT_LIMIT = 200


@dataclass(slots=True)
class Identifiers:
    """What a Variant Observation says about its identity, before a key is chosen."""

    gene: str | None = None
    transcript: str | None = None
    genomic_accession: str | None = None
    hgvs_c: list[str] = field(default_factory=list)
    hgvs_g: list[str] = field(default_factory=list)
    spdi: list[str] = field(default_factory=list)
    clinvar: list[str] = field(default_factory=list)
    dbsnp: list[str] = field(default_factory=list)
    aliases: dict[Alias, None] = field(default_factory=dict)  # ordered set
    notes: list[tuple[str, str]] = field(default_factory=list)  # (location, message) for information issues

    def add(self, kind: str, value: str, location: str) -> bool:
        value = "".join(value.split()) if kind != "text" else " ".join(value.split())
        pattern = ALIAS_PATTERNS.get(kind)
        if not value or (pattern is not None and not pattern.match(value)):
            self.notes.append(
                (location, f"A {kind} value does not look like a {kind} identifier and was not kept.")
            )
            return False
        if kind == "text" and len(value) > _TEXT_LIMIT:
            self.notes.append((location, "A variation text longer than 200 characters was not kept."))
            return False
        if kind == "text" and not TEXT_ALIAS.match(value):
            self.notes.append((location, "A variation given only as free text was not kept: text is kept only "
                                         "in the form 'GENE protein-change' (e.g. EGFR L858R)."))
            return False
        self.aliases.setdefault(Alias(kind, value), None)
        bucket = {
            "hgvs.c": self.hgvs_c,
            "hgvs.g": self.hgvs_g,
            "spdi": self.spdi,
            "clinvar": self.clinvar,
            "dbsnp": self.dbsnp,
        }.get(kind)
        if bucket is not None and value not in bucket:
            bucket.append(value)
        return True

    @property
    def alias_tuple(self) -> tuple[Alias, ...]:
        return tuple(self.aliases)


def _gene_symbol(concept: object) -> str | None:
    for system, code, display in codings(concept):
        if system == HGNC:
            if code.upper().startswith("HGNC:"):
                if display and display.strip():
                    return display.strip()
                continue
            return code
    for _, _, display in codings(concept):
        if display and display.strip() and " " not in display.strip():
            return display.strip()
    return concept_text(concept)


def _first_code(component: dict) -> str | None:
    """The first code of the component's value, whatever its system; else the value's text."""
    concept = component.get("valueCodeableConcept")
    for _, code, _ in codings(concept):
        return code
    return concept_text(concept)


def _kind_of(text: str) -> str | None:
    for kind in ("spdi", "hgvs.g", "hgvs.c", "hgvs.p", "dbsnp"):
        if ALIAS_PATTERNS[kind].match(text):
            return kind
    return None


def _add_variation_code(ids: Identifiers, concept: object, location: str) -> None:
    found = False
    for system, code, _ in codings(concept):
        found = True
        try:
            if system == CLINVAR:
                ids.add("clinvar", normalise_clinvar_id(code), location)
            elif system == DBSNP:
                ids.add("dbsnp", normalise_rsid(code), location)
            elif system == SPDI:
                ids.add("spdi", code, location)
            else:
                kind = _kind_of("".join(code.split()))
                if kind is not None:
                    ids.add(kind, code, location)
                else:
                    ids.notes.append((location, "A variation code from an unrecognised system was not kept."))
        except VariantError as exc:
            ids.notes.append((location, f"Variation code not kept: {exc}."))
    text = concept_text(concept)
    if text and not found:
        compact = "".join(text.split())
        ids.add(_kind_of(compact) or "text", text, location)


def _note_version_mismatch(ids: Identifiers, expression: str, location: str) -> None:
    accession = expression.split(":", 1)[0].split("(")[0]
    if (
        ids.transcript
        and accession != ids.transcript
        and accession.split(".")[0] == ids.transcript.split(".")[0]
    ):
        ids.notes.append(
            (
                location,
                "The c.HGVS transcript version differs from the transcript reference sequence "
                "(51958-7); the c.HGVS expression is used.",
            )
        )


_EXPRESSIONS = ((HGVS_C, "hgvs.c"), (HGVS_G, "hgvs.g"), (HGVS_P, "hgvs.p"), (ISCN, "iscn"))


def read_identifiers(components: Components) -> Identifiers:
    """Collect the gene, reference sequences and every alias of a Variant Observation."""
    ids = Identifiers()
    codes = components.codes
    if GENE in codes:
        index, component = codes[GENE][0]
        symbol = _gene_symbol(component.get("valueCodeableConcept"))
        if symbol is not None and not GENE_SYMBOL.match(symbol):
            ids.notes.append((components.location(index),
                              "The gene is not an HGNC symbol (letters and digits, e.g. BRCA1) and was not kept."))
            symbol = None
        ids.gene = symbol
    if TRANSCRIPT_REF_SEQ in codes:
        ids.transcript = _first_code(codes[TRANSCRIPT_REF_SEQ][0][1])
    if GENOMIC_REF_SEQ in codes:
        ids.genomic_accession = _first_code(codes[GENOMIC_REF_SEQ][0][1])
    for code, kind in _EXPRESSIONS:
        if code not in codes:
            continue
        for index, component in codes[code]:
            location = components.location(index)
            concept = component.get("valueCodeableConcept")
            values = [c for _, c, _ in codings(concept)] or [v for v in [concept_text(concept)] if v]
            if not values and isinstance(component.get("valueString"), str):
                values = [component["valueString"]]  # not the IG's shape, but sent: read, validate, guard
            for value in values:
                if kind == "hgvs.c":
                    value = join_transcript(ids.transcript, value)
                    _note_version_mismatch(ids, value, location)
                detected = _kind_of("".join(value.split())) if kind != "iscn" else None
                ids.add(detected or kind, value, location)
    if VARIATION_CODES[0] in codes or VARIATION_CODES[1] in codes:
        for index, component in components.all(*VARIATION_CODES):
            _add_variation_code(ids, component.get("valueCodeableConcept"), components.location(index))
    return ids
