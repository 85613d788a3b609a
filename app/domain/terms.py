"""Germline classification vocabulary: ClinVar terms, their sides and order, and how submitted values map.

The ten ACMG/AMP and ClinGen terms carry a side (P, V or B) that decides conflicts; the "other" terms never
conflict; "not provided" means no classification; the 2026 VUS subtiers keep their spelling on the
submission and aggregate as "Uncertain significance" (classification-aggregation.md §2). A submitted value is
matched by LOINC LL4034-6 answer, by the project code system whose codes are the exact ClinVar strings, or by
text after ClinVar-style spelling normalisation. Nothing is guessed: an unknown term stays verbatim and
unrecognised. Sides and orders here are the defaults; aggregation settings may override them (§15).
Matching runs for every classification read, so recognised spellings and codes are remembered (bounded); text
that matches no term (which might be free text) is never kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_MEMO = 4096  # distinct spellings (or codes) remembered
_MEMO_TEXT = 100  # longer values are matched each time, never remembered

PROJECT_TERM_SYSTEM = "https://varshare.org/fhir/CodeSystem/clinvar-germline-classification"
LOINC_SYSTEM = "http://loinc.org"

ACMG_GROUP = "ACMG/AMP 5-tier"
LOW_PENETRANCE_GROUP = "ClinGen low penetrance"
RISK_ALLELE_GROUP = "ClinGen risk allele"
VUS_SUBTIER_GROUP = "VUS subtier"
OTHER_GROUP = "other"
NO_CLASSIFICATION_GROUP = "no classification"
UNRECOGNISED_GROUP = "unrecognised"

# (term, group, side) in canonical order 1-10: the order of "/" joins and of conflict explanations.
_TIERS = (
    ("Pathogenic", ACMG_GROUP, "P"),
    ("Likely pathogenic", ACMG_GROUP, "P"),
    ("Pathogenic, low penetrance", LOW_PENETRANCE_GROUP, "P"),
    ("Likely pathogenic, low penetrance", LOW_PENETRANCE_GROUP, "P"),
    ("Established risk allele", RISK_ALLELE_GROUP, "P"),
    ("Likely risk allele", RISK_ALLELE_GROUP, "P"),
    ("Uncertain significance", ACMG_GROUP, "V"),
    ("Uncertain risk allele", RISK_ALLELE_GROUP, "V"),
    ("Benign", ACMG_GROUP, "B"),
    ("Likely benign", ACMG_GROUP, "B"),
)
TIER_TERMS: tuple[str, ...] = tuple(term for term, _, _ in _TIERS)
OTHER_TERMS: tuple[str, ...] = (
    "drug response",
    "risk factor",
    "association",
    "association not found",
    "protective",
    "Affects",
    "confers sensitivity",
    "other",
    "conflicting data from submitters",
)
NOT_PROVIDED = "not provided"
UNCERTAIN_SIGNIFICANCE = "Uncertain significance"
VUS_SUBTIERS: tuple[str, ...] = ("VUS-high", "VUS-mid", "VUS-low")


@dataclass(frozen=True)
class TermMatch:
    """A submitted classification value, resolved to a canonical ClinVar term (or kept verbatim)."""

    term: str  # canonical ClinVar spelling, or the verbatim (stripped) unknown text
    side: str | None  # "P", "V", "B"; None for other terms, "not provided" and unknown terms
    recognised: bool
    legacy: bool  # mapped from a retired LOINC answer or its display text ("Presumed pathogenic")
    group: str
    converted: bool = False  # not the canonical spelling (ClinVar: "Converted during submission to ...")
    source: str = "text"  # "loinc" | "project" | "text": what decided the match


_BY_TERM: dict[str, tuple[str, str | None]] = {term: (group, side) for term, group, side in _TIERS}
_BY_TERM.update({term: (OTHER_GROUP, None) for term in OTHER_TERMS})
_BY_TERM.update({term: (VUS_SUBTIER_GROUP, "V") for term in VUS_SUBTIERS})
_BY_TERM[NOT_PROVIDED] = (NO_CLASSIFICATION_GROUP, None)

_ORDER = {term: index for index, term in enumerate((*TIER_TERMS, *OTHER_TERMS, NOT_PROVIDED), start=1)}
_ORDER.update({term: _ORDER[UNCERTAIN_SIGNIFICANCE] for term in VUS_SUBTIERS})

_LOINC_ANSWERS = {
    "LA6668-3": ("Pathogenic", False),
    "LA26332-9": ("Likely pathogenic", False),
    "LA26333-7": ("Uncertain significance", False),
    "LA26334-5": ("Likely benign", False),
    "LA6675-8": ("Benign", False),
    # Retired answers from the older list bound to 53037-8 in FHIR STU3 core; mapped and flagged legacy.
    "LA6669-1": ("Likely pathogenic", True),
    "LA6682-4": ("Uncertain significance", True),
    "LA6674-1": ("Likely benign", True),
}


def _fold(text: str) -> str:
    """Case-, whitespace-, underscore-, hyphen- and comma-insensitive form used for text matching."""
    return " ".join(re.sub(r"[\s_,\-]+", " ", text.lower()).split())


_CANONICAL_FOLDS = {_fold(term): term for term in _BY_TERM}
# Spellings ClinVar and labs use for the same terms (cf. ClinVar's nonstandard-term conversions); value is
# (canonical term, legacy). Single letters and other guesses ("P", "LP") are deliberately absent.
_SYNONYMS: dict[str, tuple[str, bool]] = {
    "probable pathogenic": ("Likely pathogenic", False),
    "probably pathogenic": ("Likely pathogenic", False),
    "presumed pathogenic": ("Likely pathogenic", True),
    "vus": ("Uncertain significance", False),
    "uncertain": ("Uncertain significance", False),
    "variant of uncertain significance": ("Uncertain significance", False),
    "variant of unknown significance": ("Uncertain significance", False),
    "unknown significance": ("Uncertain significance", True),
    "uncertain clinical significance": ("Uncertain significance", False),
    "unknown": ("Uncertain significance", True),
    "probable non pathogenic": ("Likely benign", False),
    "probably not pathogenic": ("Likely benign", False),
    "presumed benign": ("Likely benign", True),
    "probably benign": ("Likely benign", False),
    "non pathogenic": ("Benign", False),
    "nonpathogenic": ("Benign", False),
    "no classification provided": (NOT_PROVIDED, False),
}


def _match(term: str, *, legacy: bool = False, converted: bool = False, source: str = "text") -> TermMatch:
    group, side = _BY_TERM[term]
    return TermMatch(term, side, True, legacy, group, converted=converted, source=source)


def match_loinc_answer(code: str | None) -> TermMatch | None:
    """Match a LOINC LL4034-6 answer code (current or legacy); None when the code is not one of them."""
    found = _LOINC_ANSWERS.get((code or "").strip().upper())
    if found is None:
        return None
    term, legacy = found
    return _match(term, legacy=legacy, source="loinc")


_recognised_texts: dict[str | None, TermMatch] = {}  # text -> its recognised match (unrecognised text is not kept)


def match_term_text(text: str | None) -> TermMatch:
    """Match a classification written as text; unknown text is kept verbatim, unrecognised and side-less."""
    found = _recognised_texts.get(text)
    if found is not None:
        return found
    found = _match_term_text(text)
    if found.recognised and len(text or "") <= _MEMO_TEXT:
        if len(_recognised_texts) >= _MEMO:
            _recognised_texts.clear()  # a full memo starts over
        _recognised_texts[text] = found
    return found


def _match_term_text(text: str | None) -> TermMatch:
    stripped = (text or "").strip()
    folded = _fold(stripped)
    if folded in _CANONICAL_FOLDS:
        term = _CANONICAL_FOLDS[folded]
        return _match(term, converted=stripped != term)
    if folded in _SYNONYMS:
        term, legacy = _SYNONYMS[folded]
        return _match(term, legacy=legacy, converted=True)
    return TermMatch(stripped, None, False, False, UNRECOGNISED_GROUP)


def _same_system(system: str | None, canonical: str) -> bool:
    """Compare code system URIs ignoring case, a trailing slash and http vs https (seen in real bundles)."""

    def key(uri: str) -> str:
        return uri.strip().rstrip("/").lower().replace("https://", "http://", 1)

    return bool(system) and key(system) == key(canonical)


def match_coding(system: str | None, code: str | None, display: str | None) -> TermMatch | None:
    """Match one coding: a LOINC answer first, then a project-system code, then the display text.

    Returns None when nothing is recognised, so the caller decides between rejecting (lab submissions) and
    keeping the raw value as "unmapped" (hook-time reading). ``source`` on the result says which part matched.
    """
    key = (system, code)
    if key in _code_matches:
        found = _code_matches[key]
    else:
        found = _match_code(system, code)
        if len(system or "") + len(code or "") <= 2 * _MEMO_TEXT:
            if len(_code_matches) >= _MEMO:
                _code_matches.clear()  # a full memo starts over
            _code_matches[key] = found
    if found is not None:
        return found
    if display:
        found = match_term_text(display)
        if found.recognised:
            return found
    return None


_code_matches: dict[tuple[str | None, str | None], TermMatch | None] = {}  # (system, code) -> _match_code


def _match_code(system: str | None, code: str | None) -> TermMatch | None:
    """The part of :func:`match_coding` decided by the system and code alone."""
    if code and _same_system(system, LOINC_SYSTEM):
        found = match_loinc_answer(code)
        if found:
            return found
    if code and _same_system(system, PROJECT_TERM_SYSTEM):
        found = match_term_text(code)
        if found.recognised:
            return replace(found, source="project")
    if code and not system:  # a code without a system: accept only an exact LOINC answer or a ClinVar term
        found = match_loinc_answer(code) or match_term_text(code)
        if found.recognised:
            return found
    return None


def side_of(term: str | None) -> str | None:
    """Return the conflict side ("P", "V", "B") of a canonical term; None for other/no/unknown terms."""
    entry = _BY_TERM.get(term or "")
    return entry[1] if entry else None


def canonical_order(term: str | None) -> int:
    """Sort key: 1-10 for the ACMG/ClinGen terms (VUS subtiers as 7), then the other terms; unknown last."""
    return _ORDER.get(term or "", len(_ORDER) + 1)


def aggregation_term(term: str) -> str:
    """The term a submission counts as when aggregating: VUS subtiers collapse to "Uncertain significance"."""
    return UNCERTAIN_SIGNIFICANCE if term in VUS_SUBTIERS else term


def is_tier_term(term: str | None) -> bool:
    """Whether a term is one of the ten ACMG/ClinGen terms that carry a conflict side (subtiers excluded)."""
    return term in TIER_TERMS
