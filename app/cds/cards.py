"""Cards for the patient-view service: reclassification, conflict and summary (CDS Hooks 2.0 §Card).

Indicators follow the project convention: a move towards pathogenic since the patient's report is
``critical``; any other move of side (``app.domain.reclassification``) and any conflict between submitters
is ``warning``; the summary is ``info``. A variant whose aggregate is in conflict gets the conflict card
(which also says what the report stated) rather than a second, "into conflict" reclassification card.
Every card has a uuid, a plain-text summary under 120 characters, a Markdown detail with a small
per-submitter table, a source, links, and override reasons when it is a warning or critical.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.cds.card_ids import mint_uuid
from app.cds.markdown import escape, plain, stars, table
from app.cds.views import VariantView
from app.domain.reclassification import (
    CONFLICT,
    Reclassification,
    conflict_class,
    reclassification_of,
    side_of_aggregate,
)

SOURCE_LABEL = "varshare shared variant store"
TOPIC_SYSTEM = "https://varshare.org/fhir/CodeSystem/cds-card-topic"
OVERRIDE_SYSTEM = "https://varshare.org/fhir/CodeSystem/cds-override-reason"
OVERRIDE_REASONS = (("aware", "Already aware of this classification"),
                    ("not-relevant", "Not relevant for this patient"),
                    ("will-review", "Will review later"),
                    ("disagree", "Disagree with the shared classification"))
TOPICS = {"reclassification": "Variant reclassification", "conflict": "Conflicting classifications",
          "summary": "Current shared classifications", "prior-results": "Earlier genetic results",
          "incomplete-data": "Incomplete patient data"}
SUMMARY_MAX = 120  # the spec's limit is < 140; shorter lines survive narrow EHR panels
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_SIDE_NAMES = {"P": "pathogenic/likely pathogenic", "V": "uncertain significance", "B": "benign/likely benign"}
_ADVICE = {
    "upgrade-to-pathogenic": "The variant now sits on the pathogenic side although the report did not: the "
                             "patient's management may need to change and the patient may need to be recontacted.",
    "downgrade-from-pathogenic": "The variant no longer sits on the pathogenic side: decisions based on the "
                                 "earlier report (surveillance, surgery, cascade testing) may need review.",
    "to-benign": "The variant has moved from uncertain to the benign side.",
    "upgrade-to-uncertain": "The variant has moved from the benign side to uncertain significance.",
}


@dataclass(frozen=True)
class CardSettings:
    """What every card needs beyond the variant: the uuid key and the URLs."""

    uuid_key: bytes
    public_base_url: str
    smart_app_url: str = ""

    def page(self, variant_id: str | None) -> str:
        base = self.public_base_url.rstrip("/")
        return f"{base}/variants/{variant_id}" if variant_id else f"{base}/"


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """Text cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def card(kind: str, indicator: str, summary: str, detail: str, settings: CardSettings, *,
         variant_id: str | None = None, extra_links: list[dict] | None = None,
         suggestions: list[dict] | None = None) -> dict:
    """The card dict every builder returns (empty parts are dropped at serialisation)."""
    page = settings.page(variant_id)
    links = [{**link, "label": plain(link["label"])} for link in extra_links or []]
    if variant_id:
        links.insert(0, {"label": "Variant in varshare (classification history)", "url": page, "type": "absolute"})
    if settings.smart_app_url:
        link = {"label": "Open the varshare app", "url": settings.smart_app_url, "type": "smart"}
        if variant_id:
            link["appContext"] = f"variant={variant_id}"
        links.append(link)
    result = {
        "uuid": mint_uuid(settings.uuid_key, kind),
        "summary": shorten(plain(summary)),
        "indicator": indicator,
        "detail": detail,
        "source": {"label": SOURCE_LABEL, "url": page,
                   "topic": {"system": TOPIC_SYSTEM, "code": kind, "display": TOPICS[kind]}},
        "links": links,
    }
    if suggestions:
        result["suggestions"] = suggestions
        result["selectionBehavior"] = "at-most-one"
    if indicator in ("warning", "critical"):
        result["overrideReasons"] = [{"system": OVERRIDE_SYSTEM, "code": code, "display": display}
                                     for code, display in OVERRIDE_REASONS]
    return result


def card_labels(built: dict) -> tuple[str, str]:
    """(indicator, card kind) of a card this module built, for counting cards by type."""
    return built.get("indicator", "info"), built.get("source", {}).get("topic", {}).get("code", "unknown")


def submitter_table(view: VariantView) -> str:
    """The per-submitter table of a variant card."""
    rows = [[escape(line.submitter), escape(line.term) + (" (flagged by curators)" if line.flagged else ""),
             f"{stars(line.stars)} {escape(line.review_status)}",
             line.evaluated.isoformat() if line.evaluated else "not stated"] for line in view.submitters]
    if not rows:
        return ""
    return "\n\n" + table(("Submitter", "Classification", "Review status", "Last evaluated"), rows)


def _current(view: VariantView) -> str:
    aggregate = view.aggregate
    assert aggregate is not None
    when = f", last evaluated {aggregate.last_evaluated.isoformat()}" if aggregate.last_evaluated else ""
    return (f"**Shared classification now:** {escape(aggregate.classification)} "
            f"({stars(aggregate.stars)} {escape(aggregate.review_status)}), from {aggregate.submitter_count} "
            f"submitter{'s' if aggregate.submitter_count != 1 else ''}{when}.")


def _stated(view: VariantView) -> str:
    if not view.stated_term:
        return "The patient's report did not state a classification."
    year = f" ({view.stated_year})" if view.stated_year else ""
    return f"**The patient's report stated:** {escape(view.stated_term)}{year}."


def reclassification_card(view: VariantView, change: Reclassification, settings: CardSettings) -> dict:
    """The variant now sits on another side than the patient's report stated."""
    aggregate = view.aggregate
    assert aggregate is not None
    year = f" in {view.stated_year}" if view.stated_year else ""
    count = aggregate.submitter_count
    tail = f"{count} submitter{'s' if count != 1 else ''}"
    summary = f"{view.label}: now {aggregate.classification} (reported {change.stated_term}{year}; {tail})"
    if len(summary) > SUMMARY_MAX:
        summary = f"{view.label}: now {aggregate.classification} (reported {change.stated_term}{year})"
    detail = "\n\n".join((_current(view), _stated(view), _ADVICE[change.direction])) + submitter_table(view)
    return card("reclassification", change.severity, summary, detail, settings, variant_id=view.variant_id)


def conflict_card(view: VariantView, settings: CardSettings) -> dict:
    """Submitters disagree about the variant: per-side counts and whether an expert panel has reviewed it."""
    aggregate = view.aggregate
    assert aggregate is not None
    counts = view.side_counts
    significant = conflict_class(aggregate) != "non-MSD"
    parts = [f"{counts[side]} {_SIDE_NAMES[side].split('/')[0] if side != 'V' else 'uncertain'}"
             for side in ("P", "V", "B") if counts[side]]
    if significant:
        summary = f"{view.label}: labs disagree on pathogenicity ({', '.join(parts)})"
        meaning = ("Submitters disagree on whether the variant is pathogenic, a medically significant conflict: "
                   "do not base management on a single classification without review.")
    else:
        summary = f"{view.label}: labs disagree, uncertain vs benign ({', '.join(parts)})"
        meaning = "Submitters disagree between uncertain significance and benign; none calls it pathogenic."
    sides = "\n".join(f"- {_SIDE_NAMES[side]}: {counts[side]} submitter{'s' if counts[side] != 1 else ''}"
                      for side in ("P", "V", "B"))
    panel = ("An expert panel or practice guideline has classified this variant." if view.expert_reviewed
             else "No expert panel has reviewed this variant yet.")
    detail = "\n\n".join((_current(view), meaning, sides, panel, _stated(view))) + submitter_table(view)
    return card("conflict", "warning", summary, detail, settings, variant_id=view.variant_id)


def _summary_row(view: VariantView) -> list[str]:
    stated = escape(view.stated_term) + (f" ({view.stated_year})" if view.stated_year else "") \
        if view.stated_term else "not stated"
    if view.aggregate is None:
        return [escape(view.label), "not in the shared store (unshared)", "", "0", stated]
    return [escape(view.label), escape(view.aggregate.classification), stars(view.aggregate.stars),
            str(view.aggregate.submitter_count), stated]


def _reportable(view: VariantView) -> bool:
    """Shown in the summary: known to the store or stated P/LP, and not benign on every count."""
    if view.aggregate is None:
        return view.stated_side == "P"
    return not (side_of_aggregate(view.aggregate) == "B" and view.stated_side in ("B", None))


def summary_card(views: list[VariantView], settings: CardSettings) -> dict | None:
    """One info card listing the patient's reportable variants; None when there is nothing to show."""
    shown = sorted((v for v in views if _reportable(v)), key=lambda v: v.label)
    if not shown:
        return None
    unshared = sum(1 for v in shown if v.aggregate is None)
    noun = "variant" if len(shown) == 1 else "variants"
    summary = f"{len(shown)} reported {noun}: current shared classifications"
    if unshared:
        summary += f" ({unshared} not yet shared)"
    detail = table(("Variant", "Current classification", "Review", "Submitters", "Patient's report"),
                   [_summary_row(v) for v in shown], limit=25)
    if unshared:
        detail += ("\n\nVariants marked *unshared* were reported pathogenic or likely pathogenic but no "
                   "laboratory has shared a classification of them yet; consider asking the reporting "
                   "laboratory to share it.")
    links = [{"label": f"{v.label} in varshare", "url": settings.page(v.variant_id), "type": "absolute"}
             for v in shown if v.variant_id][:5]
    return card("summary", "info", summary, detail, settings, extra_links=links)


def patient_view_cards(views: list[VariantView], settings: CardSettings) -> list[dict]:
    """All patient-view cards, most severe first."""
    cards = []
    for view in views:
        if view.aggregate is None:
            continue
        if side_of_aggregate(view.aggregate) == CONFLICT:
            cards.append(conflict_card(view, settings))
            continue
        change = reclassification_of(view.stated_term, view.aggregate)
        if change is not None:
            cards.append(reclassification_card(view, change, settings))
    cards.sort(key=lambda c: _SEVERITY_ORDER[c["indicator"]])
    summary = summary_card(views, settings)
    if summary is not None:
        cards.append(summary)
    return cards
