"""Genetic test orders in ``draftOrders`` and the "earlier results" card of the order hooks.

A draft ServiceRequest is a genetic test when one of its ``code`` codings is a configured test code
(``system|code`` -> genes; defaults below) or its category is genetics (v2-0074 GE). The genes it orders are
the configured genes of its code, plus HGNC codings in ``code`` and ``orderDetail``. Parsing is lenient (the
CDS Hooks Sandbox sends drafts without ``intent`` and Bundles without ``type``): anything unreadable is
simply not a genetic test order. In order-select only the ``selections`` are advised on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from app.cds.card_ids import mint_uuid
from app.cds.cards import CardSettings, card
from app.cds.markdown import escape, stars, table
from app.cds.views import VariantView
from app.domain.reclassification import side_of_aggregate
from app.ingest.codings import HGNC, codings, concept_text, normalise_system
from app.ingest.values import list_of

GENETICS_CATEGORY = ("http://terminology.hl7.org/CodeSystem/v2-0074", "GE")
# LOINC codes for genetic testing in general (genes come from the order's own HGNC codings).
DEFAULT_TEST_CODES: dict[str, tuple[str, ...]] = {
    "http://loinc.org|51969-4": (),  # Genetic analysis report
    "http://loinc.org|81247-9": (),  # Master HL7 genetic variant reporting panel
}


@dataclass(frozen=True)
class GeneticOrder:
    """A draft genetic test order."""

    reference: str  # "ServiceRequest/<id>"
    label: str
    genes: frozenset[str]


def recognised_test_codes(configured: str) -> dict[str, tuple[str, ...]]:
    """Recognised test codes: the defaults with the configured JSON mapping merged over them."""
    merged = dict(DEFAULT_TEST_CODES)
    for key, genes in (json.loads(configured) if configured else {}).items():
        system, _, code = key.rpartition("|")
        merged[f"{normalise_system(system)}|{code}"] = tuple(g.strip().upper() for g in genes)
    return merged


def _genes_named(concepts: list) -> set[str]:
    genes = set()
    for concept in concepts:
        for system, code, display in codings(concept):
            if system != HGNC:
                continue
            symbol = display.strip() if code.upper().startswith("HGNC:") and display else code
            if symbol and not symbol.upper().startswith("HGNC:"):
                genes.add(symbol.strip().upper())
    return genes


def _as_order(resource: dict, codes: Mapping[str, tuple[str, ...]]) -> GeneticOrder | None:
    ident = resource.get("id")
    if resource.get("resourceType") != "ServiceRequest" or not isinstance(ident, str) or not ident:
        return None
    code = resource.get("code")
    keys = [f"{system}|{c}" for system, c, _ in codings(code)]
    configured = [codes[k] for k in keys if k in codes]
    genetic = bool(configured) or any((s, c) == GENETICS_CATEGORY for concept in list_of(resource.get("category"))
                                      for s, c, _ in codings(concept))
    if not genetic:
        return None
    genes = {g for listed in configured for g in listed} | _genes_named([code, *list_of(resource.get("orderDetail"))])
    label = concept_text(code) or next((d for _, _, d in codings(code) if d), None) or "genetic test"
    return GeneticOrder(f"ServiceRequest/{ident}", label, frozenset(genes))


def genetic_orders(draft_orders: dict, selections: list[str] | None,
                   codes: Mapping[str, tuple[str, ...]]) -> list[GeneticOrder]:
    """The genetic test orders among the drafts (only the selected ones when ``selections`` is given)."""
    wanted = set(selections) if selections is not None else None
    found = []
    for entry in list_of(draft_orders.get("entry")):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        order = _as_order(resource, codes)
        if order is not None and (wanted is None or order.reference in wanted):
            found.append(order)
    return found


def prior_results_card(order: GeneticOrder, views: list[VariantView], fhir_server: str | None,
                       settings: CardSettings) -> dict | None:
    """The patient already has results in the ordered genes: ``info``, or ``warning`` with a P/LP result."""
    covered = sorted((v for v in views if v.gene and v.gene.upper() in order.genes), key=lambda v: v.label)
    if not covered:
        return None
    pathogenic = [v for v in covered if v.stated_side == "P" or side_of_aggregate(v.aggregate) == "P"]
    genes = ", ".join(sorted({v.gene.upper() for v in covered if v.gene}))
    summary = f"Earlier genetic results already cover {genes}" + (" (pathogenic finding)" if pathogenic else "")
    rows = [[escape(v.label), escape(v.stated_term or "not stated") + (f" ({v.stated_year})" if v.stated_year else ""),
             escape(v.aggregate.classification) + " " + stars(v.aggregate.stars) if v.aggregate else "not shared"]
            for v in covered]
    detail = (f"The draft order **{escape(order.label)}** tests genes in which this patient already has "
              f"results ({escape(genes)}). Review them before repeating the test.\n\n"
              + table(("Variant", "Patient's report", "Shared classification now"), rows))
    links = []
    if fhir_server:
        reports = sorted({v.ehr_report for v in covered if v.ehr_report})
        links = [{"label": f"Existing result: DiagnosticReport/{report_id}",
                  "url": f"{fhir_server}/DiagnosticReport/{report_id}", "type": "absolute"}
                 for report_id in reports[:3]]
    links += [{"label": f"{v.label} in varshare", "url": settings.page(v.variant_id), "type": "absolute"}
              for v in covered if v.variant_id][:3]
    suggestion = {"label": f"Remove the duplicate draft order ({order.label})"[:120],
                  "uuid": mint_uuid(settings.uuid_key, "suggestion"), "isRecommended": False,
                  "actions": [{"type": "delete", "description": "Remove the draft genetic test order",
                               "resourceId": order.reference}]}
    return card("prior-results", "warning" if pathogenic else "info", summary, detail, settings,
                extra_links=links, suggestions=[suggestion])
