"""Conditions (the disease a classification is for) and coded patient phenotypes.

Condition key scheme: ``"{LABEL}:{code}"`` for a recognised terminology, where LABEL is MONDO, OMIM, MedGen,
Orphanet, HPO or SNOMED and a code that already carries the label's own prefix is not prefixed twice
(``MONDO:0012624``, ``OMIM:114480``, ``Orphanet:558``, ``MedGen:C0010674``, ``SNOMED:699346009``,
``HPO:HP:0000118``); any other coding is ``"{system}|{code}"``; text alone is ``"text:"`` + the lower-cased,
whitespace-collapsed text; nothing is :data:`NOT_SPECIFIED`. The first recognised coding wins, else the first
coding, else the text.
"""

from __future__ import annotations

from app.domain.reports import NOT_SPECIFIED, Condition
from app.ingest.codings import HPO, MEDGEN, MONDO, OMIM, ORPHANET, SNOMED, codings, concept_text

# system -> (key label, Condition.label, code prefixes that are the label itself)
_RECOGNISED = {
    MONDO: ("MONDO", "MONDO", ("MONDO:", "MONDO_")),
    OMIM: ("OMIM", "OMIM", ("OMIM:", "MIM:")),
    MEDGEN: ("MedGen", "MedGen", ("MEDGEN:",)),
    ORPHANET: ("Orphanet", "Orphanet", ("ORPHA:", "ORPHANET:", "ORPHANET_")),
    HPO: ("HPO", "HPO", ()),
    SNOMED: ("SNOMED", "SNOMED CT", ("SNOMED:", "SCTID:")),
}
PHENOTYPE_SYSTEMS = frozenset({HPO, SNOMED})


def _key_code(code: str, prefixes: tuple[str, ...]) -> str:
    upper = code.upper()
    for prefix in prefixes:
        if upper.startswith(prefix):
            return code[len(prefix) :].strip()
    return code


def condition_from_coding(system: str, code: str) -> Condition:
    """The Condition for one (normalised system, code)."""
    recognised = _RECOGNISED.get(system)
    if recognised is None:
        return Condition(key=f"{system}|{code}" if system else f"|{code}", system=system or None, code=code)
    key_label, label, prefixes = recognised
    if system == HPO and not code.upper().startswith("HP:") and code.isdigit():
        code = f"HP:{code}"
    return Condition(key=f"{key_label}:{_key_code(code, prefixes)}", system=system, code=code, label=label)


def condition_from_concept(concept: object) -> Condition:
    """The Condition a CodeableConcept names (see the module docstring for the key scheme)."""
    found = codings(concept)
    for system, code, _ in found:
        if system in _RECOGNISED:
            return condition_from_coding(system, code)
    if found:
        return condition_from_coding(found[0][0], found[0][1])
    text = concept_text(concept)
    if text:
        return Condition(key="text:" + " ".join(text.lower().split()))
    return NOT_SPECIFIED


def phenotypes_from_concept(concept: object, systems: frozenset[str] = PHENOTYPE_SYSTEMS) -> list[Condition]:
    """The coded phenotypes (HPO or SNOMED CT by default) a concept carries; text is skipped."""
    return [condition_from_coding(s, c) for s, c, _ in codings(concept) if s in systems]
