"""ClinVar-compatible aggregation: many submitters' classifications of a variant -> one aggregate.

Pure rules from classification-aggregation.md: superseded and flagged submissions are ignored (§9, §10); only
the highest review tier present counts, terms, "other" terms and dates of lower tiers included (§4); the
ACMG/ClinGen terms of that tier conflict when they cover more than one side (§5); the classification string,
explanation, review status, stars, submitter count and date follow §6-§8 and §11. The same rule runs per
variant over all conditions (ClinVar's VCV) and per variant and condition (RCV). Germline and oncogenicity
share the algorithm with their own vocabularies; somatic clinical impact takes the highest tier (§13).
Points ClinVar does not document are fields of :class:`AggregationRules` (§15).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from app.domain.review import Status, Tier, aggregate_status, conflicting_text, stars_of, status_text, submission_tier
from app.domain.terms import NOT_PROVIDED, OTHER_TERMS, TIER_TERMS, UNCERTAIN_SIGNIFICANCE, VUS_SUBTIERS, side_of

GERMLINE, SOMATIC_IMPACT, ONCOGENICITY = "germline", "somatic-clinical-impact", "oncogenicity"
CLASSIFICATION_TYPES = (GERMLINE, SOMATIC_IMPACT, ONCOGENICITY)
# Oncogenicity: ClinGen/CGC/VICC terms, joined like germline ("Oncogenic/Likely oncogenic", "Benign/Likely benign").
ONCOGENICITY_SIDES = {"Oncogenic": "P", "Likely oncogenic": "P", "Uncertain significance": "V", "Benign": "B",
                      "Likely benign": "B"}
SOMATIC_TIERS = ("Tier I - Strong", "Tier II - Potential", "Tier III - Unknown", "Tier IV - Benign/Likely benign")
DEFAULT_TERM_SIDES: tuple[tuple[str, str | None], ...] = tuple((term, side_of(term)) for term in TIER_TERMS)

VARIANT_LEVEL = ""  # condition key of the all-conditions (VCV) aggregate in the store
NO_UNFLAGGED_CLASSIFICATION = "no classifications from unflagged records"
TAIL_SEPARATOR = "; "  # ClinVar XML and web since 2024 (§6); VCF and older forms are renderings, not stored
EXPLANATION_SEPARATOR = "; "

_CHOICES = {
    "other_term_order": ("alphabetical", "listed"),
    "vus_subtiers": ("collapse", "keep"),
    "top_tier_conflict": ("conflict", "most-recent"),
    "date_rule": ("max_contributing", "max_unflagged"),
    "explanation_order": ("canonical", "count"),
    "supersede_by": ("date_last_evaluated", "receipt"),
    "wording": ("2024", "legacy"),
}


@dataclass(frozen=True)
class AggregationRules:
    """The points ClinVar does not document (§15), each a setting (``aggregation.<field>``) with its default."""

    other_term_order: str = "alphabetical"  # tail order: case-insensitive, or "listed" (clinsig-page order)
    # Side of each ACMG/ClinGen term (a mapping of overrides is accepted); None: in the head, never a conflict.
    term_sides: tuple[tuple[str, str | None], ...] = DEFAULT_TERM_SIDES
    vus_subtiers: str = "collapse"  # to "Uncertain significance"; "keep": V-side head terms of their own
    same_submitter_conflict: bool = True  # one organisation alone on two sides is a conflict
    top_tier_conflict: str = "conflict"  # disagreeing EP/PG: "Conflicting ...", or "most-recent" evaluation decides
    date_rule: str = "max_contributing"  # latest date of the deciding tier, or "max_unflagged" (any tier)
    explanation_order: str = "canonical"  # P -> V -> B, or "count" (most submissions first)
    supersede_by: str = "date_last_evaluated"  # which version is current, or "receipt" (see current_version)
    somatic_tier_order: tuple[str, ...] = SOMATIC_TIERS  # highest first: "the highest tier" of somatic impact
    wording: str = "2024"  # or "legacy" (§12)

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"aggregation.{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not isinstance(self.same_submitter_conflict, bool):
            raise ValueError("aggregation.same_submitter_conflict must be true or false")
        overrides = dict(self.term_sides)
        if set(overrides) - set(TIER_TERMS) or set(overrides.values()) - {"P", "V", "B", None}:
            raise ValueError("aggregation.term_sides maps the ten ACMG/ClinGen terms to 'P', 'V', 'B' or None")
        merged = {**dict(DEFAULT_TERM_SIDES), **overrides}
        object.__setattr__(self, "term_sides", tuple((term, merged[term]) for term in TIER_TERMS))
        if sorted(self.somatic_tier_order) != sorted(SOMATIC_TIERS):
            raise ValueError(f"aggregation.somatic_tier_order must order exactly {SOMATIC_TIERS}")
        object.__setattr__(self, "somatic_tier_order", tuple(self.somatic_tier_order))

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> AggregationRules:
        """Rules from settings keyed by field name, with or without the ``aggregation.`` prefix."""
        names = {f.name for f in fields(cls)}
        given = {key.removeprefix("aggregation."): value for key, value in values.items()}
        if unknown := set(given) - names:
            raise ValueError(f"unknown aggregation settings: {sorted(unknown)}")
        if isinstance(given.get("term_sides"), Mapping):
            given["term_sides"] = tuple(given["term_sides"].items())
        return cls(**given)

    def head_order(self, kind: str) -> tuple[str, ...]:
        """Terms that form the head of this type, in canonical ("/" join and explanation) order."""
        if kind == SOMATIC_IMPACT:
            return self.somatic_tier_order
        if kind == ONCOGENICITY:
            return tuple(ONCOGENICITY_SIDES)
        if self.vus_subtiers == "keep":
            at = TIER_TERMS.index(UNCERTAIN_SIGNIFICANCE) + 1
            return (*TIER_TERMS[:at], *VUS_SUBTIERS, *TIER_TERMS[at:])
        return TIER_TERMS

    def sides_for(self, kind: str) -> dict[str, str | None]:
        """Conflict side of each head term of this type (somatic impact has none: conflicts are not calculated)."""
        if kind == SOMATIC_IMPACT:
            return {}
        if kind == ONCOGENICITY:
            return dict(ONCOGENICITY_SIDES)
        return {**dict(self.term_sides), **dict.fromkeys(VUS_SUBTIERS, "V")}

    def counted_term(self, kind: str, term: str) -> str:
        """The term a submission counts as; VUS subtiers collapse by default (§2, 2026 addition)."""
        term = term.strip()
        if kind == GERMLINE and self.vus_subtiers == "collapse" and term in VUS_SUBTIERS:
            return UNCERTAIN_SIGNIFICANCE
        return term

    def order_other_terms(self, terms: Iterable[str]) -> list[str]:
        """The tail: "other" terms and unrecognised verbatim terms (never a side, §2 and §17), ordered."""
        if self.other_term_order == "listed":
            return sorted(terms, key=lambda t: (OTHER_TERMS.index(t) if t in OTHER_TERMS else len(OTHER_TERMS),
                                                t.casefold(), t))
        return sorted(terms, key=lambda t: (t.casefold(), t))


DEFAULT_RULES = AggregationRules()


def is_classified(term: str | None) -> bool:
    """Whether a submitted term is a classification at all ("not provided" and blank are not, §2)."""
    return bool(term and term.strip()) and term.strip() != NOT_PROVIDED


@dataclass(frozen=True)
class SubmissionFacts:
    """One submission as aggregation sees it (one current or superseded version of ClinVar's SCV)."""

    submitter_id: str  # the registered organisation: the unit submitters are counted in (§8)
    role: str  # "lab" | "expert-panel" | "practice-guideline" | "ehr" (ehr counts like lab)
    term: str  # canonical term, VUS subtier, other term, "not provided" or an unrecognised verbatim term
    criteria_provided: bool
    condition_key: str
    date_last_evaluated: dt.date | None
    flagged: bool = False
    current: bool = True  # superseded versions are passed with current=False and ignored (§10)
    classification_type: str = GERMLINE


@dataclass(frozen=True)
class Aggregate:
    """The aggregate of one variant (or variant and condition) for one classification type."""

    classification: str  # ClinVar's exact wording, e.g. "Pathogenic/Likely pathogenic; risk factor"
    review_status: str  # ClinVar's exact wording, e.g. "criteria provided, multiple submitters, no conflicts"
    stars: int
    conflict: bool
    explanation: str | None  # "Likely pathogenic(2); Uncertain significance(1)" when conflicting, else None
    # Distinct submitter organisations among the submissions of the deciding tier that carry a classification
    # (ACMG or other terms alike); lower tiers, flagged, superseded and "not provided" submissions are not counted.
    submitter_count: int
    last_evaluated: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the date as an ISO string) for snapshots and APIs."""
        return {
            "classification": self.classification,
            "review_status": self.review_status,
            "stars": self.stars,
            "conflict": self.conflict,
            "explanation": self.explanation,
            "submitter_count": self.submitter_count,
            "last_evaluated": self.last_evaluated.isoformat() if self.last_evaluated else None,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Aggregate:
        """Rebuild an aggregate from :meth:`as_dict` output or a stored row (date as ISO string or date)."""
        last = values.get("last_evaluated")
        if isinstance(last, str):
            last = dt.date.fromisoformat(last)
        return cls(values["classification"], values["review_status"], int(values["stars"]), bool(values["conflict"]),
                   values.get("explanation"), int(values["submitter_count"]), last)


def _classification_type(submissions: Sequence[SubmissionFacts]) -> str:
    kinds = {s.classification_type for s in submissions}
    if len(kinds) > 1:
        raise ValueError(f"one classification type per aggregation, got {sorted(kinds)}")
    kind = kinds.pop() if kinds else GERMLINE
    if kind not in CLASSIFICATION_TYPES:
        raise ValueError(f"unknown classification type {kind!r}; expected one of {CLASSIFICATION_TYPES}")
    return kind


def _empty(classification: str, status: Status, rules: AggregationRules) -> Aggregate:
    return Aggregate(classification, status_text(status, rules.wording), stars_of(status), False, None, 0, None)


def _latest(submissions: Iterable[SubmissionFacts]) -> dt.date | None:
    dates = [s.date_last_evaluated for s in submissions if s.date_last_evaluated is not None]
    return max(dates) if dates else None


def _conflicting(used: Sequence[tuple[SubmissionFacts, str]], sides: dict[str, str | None], rules: AggregationRules
                 ) -> bool:
    sided = [(s.submitter_id, sides[term]) for s, term in used if sides.get(term)]
    if len({side for _, side in sided}) < 2:
        return False
    # Two or more sides from two or more organisations always contain a cross-organisation disagreement.
    return rules.same_submitter_conflict or len({org for org, _ in sided}) > 1


def _narrow_to_most_recent(used: list[tuple[SubmissionFacts, str]], sides: dict[str, str | None]
                           ) -> list[tuple[SubmissionFacts, str]]:
    """Keep the side-carrying submissions evaluated last (undated ones rank lowest) and every side-less one."""
    sided = [s for s, term in used if sides.get(term)]
    latest = _latest(sided)
    return [(s, term) for s, term in used if not sides.get(term) or s.date_last_evaluated == latest]


def _explanation(used: Sequence[tuple[SubmissionFacts, str]], order: Sequence[str], rules: AggregationRules) -> str:
    counts = Counter(term for _, term in used if term in order)
    terms = [term for term in order if term in counts]
    if rules.explanation_order == "count":
        terms.sort(key=lambda term: -counts[term])  # stable: ties keep the canonical order
    return EXPLANATION_SEPARATOR.join(f"{term}({counts[term]})" for term in terms)


def _head(kind: str, terms: set[str], order: Sequence[str]) -> str:
    present = [term for term in order if term in terms]
    if kind == SOMATIC_IMPACT:
        return present[0] if present else ""  # "the highest tier that has been submitted" (§13)
    return "/".join(present)


def aggregate_submissions(submissions: Iterable[SubmissionFacts], rules: AggregationRules = DEFAULT_RULES
                          ) -> Aggregate | None:
    """Aggregate the submissions of one variant (or variant and condition) and one classification type.

    Returns None only when no current submission exists. Current submissions without a classification give
    "not provided" / "no classification provided" (0 stars). When classified submissions exist but all of
    them are flagged the result is "no classifications from unflagged records" (0 stars, §9).
    Raises ValueError for mixed classification types or an unknown submitter role.
    """
    given = list(submissions)
    kind = _classification_type(given)
    for submission in given:
        submission_tier(submission.role, submission.criteria_provided)  # an unknown role is a caller error
    current = [s for s in given if s.current]
    if not current:
        return None
    classified = [s for s in current if is_classified(s.term)]
    usable = [s for s in classified if not s.flagged]
    if not usable:
        if classified:
            return _empty(NO_UNFLAGGED_CLASSIFICATION, Status.NO_UNFLAGGED, rules)
        return _empty(NOT_PROVIDED, Status.NO_CLASSIFICATION, rules)

    tiers = {id(s): submission_tier(s.role, s.criteria_provided) for s in usable}
    top = max(tiers.values())
    order, sides = rules.head_order(kind), rules.sides_for(kind)
    used = [(s, rules.counted_term(kind, s.term)) for s in usable if tiers[id(s)] == top]
    conflict = kind != SOMATIC_IMPACT and _conflicting(used, sides, rules)
    if conflict and top >= Tier.EXPERT_PANEL and rules.top_tier_conflict == "most-recent":
        used = _narrow_to_most_recent(used, sides)
        conflict = _conflicting(used, sides, rules)

    terms = {term for _, term in used}
    head = conflicting_text(kind, rules.wording) if conflict else _head(kind, terms, order)
    tail = rules.order_other_terms(terms - set(order))
    classification = TAIL_SEPARATOR.join(part for part in (head, *tail) if part)
    organisations = {s.submitter_id for s, _ in used}
    status = aggregate_status(top, conflict=conflict, submitters=len(organisations),
                              conflicts_calculated=kind != SOMATIC_IMPACT)
    dated = [s for s, _ in used] if rules.date_rule == "max_contributing" else usable
    return Aggregate(
        classification=classification,
        review_status=status_text(status, rules.wording),
        stars=stars_of(status),
        conflict=conflict,
        explanation=_explanation(used, order, rules) if conflict else None,
        submitter_count=len(organisations),
        last_evaluated=_latest(dated),
    )


def aggregate_variant(submissions: Iterable[SubmissionFacts], rules: AggregationRules = DEFAULT_RULES
                      ) -> tuple[Aggregate | None, dict[str, Aggregate]]:
    """Variant-level aggregate over all conditions, and one aggregate per condition key (§1).

    Takes one classification type at a time (ValueError when mixed); conditions without any current
    submission get no entry. The condition key ``VARIANT_LEVEL`` is reserved for the variant level.
    """
    given = list(submissions)
    _classification_type(given)
    by_condition: dict[str, list[SubmissionFacts]] = defaultdict(list)
    for submission in given:
        if submission.condition_key == VARIANT_LEVEL:
            raise ValueError("condition key '' is reserved for the variant-level aggregate")
        by_condition[submission.condition_key].append(submission)
    per_condition = {key: agg for key, subs in sorted(by_condition.items())
                     if (agg := aggregate_submissions(subs, rules)) is not None}
    return aggregate_submissions(given, rules), per_condition


@dataclass(frozen=True)
class VersionFacts:
    """One stored version of a submission, for choosing the current one (§10)."""

    version: int  # increases with receipt order
    date_last_evaluated: dt.date | None
    withdrawn: bool = False  # a withdrawal is a version without a classification


def current_version(versions: Iterable[VersionFacts], rules: AggregationRules = DEFAULT_RULES) -> VersionFacts:
    """The version that takes part in aggregation; the others stay as history (§10).

    A withdrawal always becomes current when it arrives, so only versions received after the latest
    withdrawal compete. With ``supersede_by="date_last_evaluated"`` the latest date wins (undated versions
    rank below dated ones) and ties go to the latest receipt; with ``"receipt"`` the latest receipt wins.
    """
    ordered = sorted(versions, key=lambda v: v.version)
    if not ordered:
        raise ValueError("a submission has at least one version")
    start = max((i for i, v in enumerate(ordered) if v.withdrawn), default=0)
    candidates = ordered[start:]
    if rules.supersede_by == "receipt":
        return candidates[-1]
    if candidates[0].withdrawn and len(candidates) > 1:
        candidates = candidates[1:]  # anything sent after a withdrawal replaces it
    return max(candidates, key=lambda v: (v.date_last_evaluated is not None, v.date_last_evaluated or dt.date.min,
                                          v.version))

