"""Code systems and codings: the URI alias table, the codes the ingest routes on, and coding lookups.

Codings are matched by normalised ``(system, code)``, never by display (genomics-reporting.md §3, §9).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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


Coding = tuple[str, str, "str | None"]  # (normalised system, code, display)

# A report repeats a few dozen (system, code) pairs many times: each is read once by _read_code (the only
# statement of the rules) and remembered, bounded like _cache. Displays are free text and are never remembered.
_codes: dict[tuple[Any, Any], tuple[str, str] | None] = {}
ROUTING_MEMO: dict[tuple[Any, Any], str | None] = {}  # raw (system, code) -> routing_code(...)
_ROUTING_SYSTEMS = frozenset({LOINC, TBD})
_MEMO_TEXT = 200  # a longer system or code is read each time, never remembered
_T = TypeVar("_T")
_UNSEEN = object()


def _read_code(system: Any, code: Any) -> tuple[str, str] | None:
    """A coding's normalised system and stripped code; None when the code is missing or blank."""
    if not isinstance(code, str):
        return None
    code = code.strip()
    if not code:
        return None
    return normalise_system(system), code


def code_pair(system: Any, code: Any) -> tuple[str, str] | None:
    """One coding's (raw ``system`` and ``code``) normalised system and stripped code, or None: :func:`_read_code`,
    memoised on the raw values."""
    try:
        found = _codes.get((system, code), _UNSEEN)
    except TypeError:  # a JSON array or object where a string belongs: not a dict key
        return _read_code(system, code)
    if found is _UNSEEN:
        found = _remember(_codes, system, code, _read_code(system, code))
    return found


def _remember(memo: dict[tuple[Any, Any], _T], system: Any, code: Any, found: _T) -> _T:
    """Keep ``found`` under the raw (hashable) values unless they are long; a full memo starts over."""
    if _short(system) and _short(code):
        if len(memo) >= _CACHE_LIMIT:
            memo.clear()
        memo[system, code] = found
    return found


def _short(value: Any) -> bool:
    return not isinstance(value, str) or len(value) <= _MEMO_TEXT


def _coding_list(concept: Any) -> list:
    """The raw ``coding`` array of a CodeableConcept; empty when the concept or the array is malformed."""
    raw = concept.get("coding") if isinstance(concept, dict) else None
    return raw if isinstance(raw, list) else []


def codings(concept: Any) -> list[Coding]:
    """``(normalised system, code, display)`` per coding of a CodeableConcept; malformed ones are skipped."""
    out = []
    for coding in _coding_list(concept):
        if isinstance(coding, dict):
            found = code_pair(coding.get("system"), coding.get("code"))
            if found is not None:
                display = coding.get("display")
                out.append((found[0], found[1], display if isinstance(display, str) else None))
    return out


def code_pairs(concept: Any) -> list[tuple[str, str]]:
    """``(normalised system, code)`` per coding: :func:`codings` without the displays (its pairs are shared)."""
    out = []
    for coding in _coding_list(concept):
        if isinstance(coding, dict):
            found = code_pair(coding.get("system"), coding.get("code"))
            if found is not None:
                out.append(found)
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
    return (system, code) in code_pairs(concept)


def code_in(concept: Any, system: str) -> str | None:
    """The first code of the concept in ``system``."""
    for s, c in code_pairs(concept):
        if s == system:
            return c
    return None


def remember_coding(memo: dict[tuple[Any, Any], _T], system: Any, code: Any, read: Callable[[Any], _T]) -> _T:
    """``read(code_pair(system, code))``, remembered in ``memo`` under the raw values when they can be (bounded like
    the other memos); fast paths look the raw values up in ``memo`` first and call this on a miss."""
    found = read(code_pair(system, code))
    try:
        return _remember(memo, system, code, found)
    except TypeError:  # a JSON array or object where a string belongs: not a dict key
        return found


def _routing_of(pair: tuple[str, str] | None) -> str | None:
    return pair[1] if pair is not None and pair[0] in _ROUTING_SYSTEMS else None


def routing_code(system: Any, code: Any) -> str | None:
    """The code of one coding (its raw ``system`` and ``code``) when the system is LOINC or TBD, else None.

    Memoised in :data:`ROUTING_MEMO`; :func:`routing_codes` applies it to every coding of a concept.
    """
    try:
        return ROUTING_MEMO[system, code]
    except (KeyError, TypeError):
        return remember_coding(ROUTING_MEMO, system, code, _routing_of)


def routing_codes(concept: Any) -> list[str]:
    """The LOINC and TBD codes of a concept: the keys this package routes components and Observations on.

    Equal to ``[c for s, c, _ in codings(concept) if s in (LOINC, TBD)]``; it runs for every component of every
    Observation, so the tuples are not built.
    """
    out = []
    for coding in _coding_list(concept):
        if isinstance(coding, dict):
            code = routing_code(coding.get("system"), coding.get("code"))
            if code is not None:
                out.append(code)
    return out
