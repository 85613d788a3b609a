"""Code systems and codings: the URI alias table, the codes the ingest routes on, and coding lookups.

Codings are matched by normalised ``(system, code)``, never by display (genomics-reporting.md §3, §9).
"""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
HGNC = "http://www.genenames.org"
REFSEQ = "http://www.ncbi.nlm.nih.gov/refseq"
HGVS = "http://varnomen.hgvs.org"
SEQUENCE_ONTOLOGY = "http://www.sequenceontology.org"
DBSNP = "http://www.ncbi.nlm.nih.gov/projects/SNP"
CLINVAR = "http://www.ncbi.nlm.nih.gov/clinvar"
SPDI = "https://api.ncbi.nlm.nih.gov/variation/v0/"
ISCN = "https://iscn.karger.com"
MONDO = "http://purl.obolibrary.org/obo/mondo.owl"
HPO = "http://human-phenotype-ontology.org"
SNOMED = "http://snomed.info/sct"
MEDGEN = "http://www.ncbi.nlm.nih.gov/medgen"
ORPHANET = "http://www.orpha.net"
OMIM = "http://www.omim.org"
NCI_THESAURUS = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"

# Lookup keys are lower-case, without scheme and trailing slash (see _alias_key).
_ALIASES: dict[str, str] = {
    "loinc.org": LOINC,
    "hl7.org/fhir/uv/genomics-reporting/codesystem/tbd-codes-cs": TBD,
    "hl7.org/fhir/uv/genomics-reporting/codesystem/tbd-codes": TBD,
    "hl7.org/fhir/uv/genomics-reporting/codesystem/tbdcodes": TBD,
    "www.genenames.org": HGNC,
    "www.genenames.org/geneid": HGNC,
    "genenames.org": HGNC,
    "www.ncbi.nlm.nih.gov/refseq": REFSEQ,
    "www.ncbi.nlm.nih.gov/nuccore": REFSEQ,
    "varnomen.hgvs.org": HGVS,
    "www.sequenceontology.org": SEQUENCE_ONTOLOGY,
    "sequenceontology.org": SEQUENCE_ONTOLOGY,
    "www.ncbi.nlm.nih.gov/projects/snp": DBSNP,
    "www.ncbi.nlm.nih.gov/snp": DBSNP,
    "example.org/dbsnp": DBSNP,
    "www.ncbi.nlm.nih.gov/clinvar": CLINVAR,
    "api.ncbi.nlm.nih.gov/variation/v0": SPDI,
    "iscn.karger.com": ISCN,
    "purl.obolibrary.org/obo/mondo.owl": MONDO,
    "purl.obolibrary.org/obo/mondo": MONDO,
    "human-phenotype-ontology.org": HPO,
    "purl.obolibrary.org/obo/hp.owl": HPO,
    "purl.obolibrary.org/obo/hp": HPO,
    "hpo.jax.org": HPO,
    "snomed.info/sct": SNOMED,
    "www.ncbi.nlm.nih.gov/medgen": MEDGEN,
    "www.orpha.net": ORPHANET,
    "orpha.net": ORPHANET,
    "www.omim.org": OMIM,
    "omim.org": OMIM,
    "ncicb.nci.nih.gov/xml/owl/evs/thesaurus.owl": NCI_THESAURUS,
}

_cache: dict[str, str] = {}
_CACHE_LIMIT = 4096


def _alias_key(system: str) -> str:
    key = system.strip().lower()
    for scheme in ("https://", "http://"):
        if key.startswith(scheme):
            key = key[len(scheme) :]
            break
    return key.rstrip("/")


def normalise_system(system: Any) -> str:
    """Return the canonical URI for a code system, or the stripped input when it has no known alias."""
    if not isinstance(system, str):
        return ""
    hit = _cache.get(system)
    if hit is not None:
        return hit
    canonical = _ALIASES.get(_alias_key(system), system.strip())
    if len(_cache) < _CACHE_LIMIT:
        _cache[system] = canonical
    return canonical


def codings(concept: Any) -> list[tuple[str, str, str | None]]:
    """``(normalised system, code, display)`` per coding of a CodeableConcept; malformed ones are skipped."""
    if not isinstance(concept, dict):
        return []
    raw = concept.get("coding")
    if not isinstance(raw, list):
        return []
    out = []
    for coding in raw:
        if not isinstance(coding, dict):
            continue
        code = coding.get("code")
        if not isinstance(code, str) or not code.strip():
            continue
        display = coding.get("display")
        out.append(
            (
                normalise_system(coding.get("system")),
                code.strip(),
                display if isinstance(display, str) else None,
            )
        )
    return out


def concept_text(concept: Any) -> str | None:
    """The CodeableConcept's ``text``, if it is a non-blank string."""
    if isinstance(concept, dict):
        text = concept.get("text")
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def has_code(concept: Any, system: str, code: str) -> bool:
    """Whether any coding of the concept is ``(system, code)`` after system normalisation."""
    return any(s == system and c == code for s, c, _ in codings(concept))


def code_in(concept: Any, system: str) -> str | None:
    """The first code of the concept in ``system``."""
    for s, c, _ in codings(concept):
        if s == system:
            return c
    return None


def routing_codes(concept: Any) -> list[str]:
    """The LOINC and TBD codes of a concept: the keys this package routes components and Observations on."""
    return [c for s, c, _ in codings(concept) if s in (LOINC, TBD)]
