"""Reclassification tracking: which of an institution's cases carry a variant whose aggregate moved in a
clinically meaningful direction since a store version, so the lab can recontact the patient. Each answer is
audited (after the read, failing closed) as a disclosure of the listed cases and reports to the institution."""

from __future__ import annotations

from typing import Any

from app.audit.events import EXPORT, AuditEvent, entity, submitter
from app.domain.aggregation import VARIANT_LEVEL, Aggregate
from app.domain.reclassification import is_meaningful_change, reclassification_of
from app.services.audit import record_disclosure
from app.services.failures import store_failures_as_unavailable
from app.services.tenants import Caller
from app.store import aggregates as aggregate_repo
from app.store import variant_queries as queries
from app.store.database import Store

GERMLINE = "germline"


def _aggregate(snapshot: dict[str, Any] | None) -> Aggregate | None:
    return Aggregate.from_dict(snapshot) if snapshot else None


class Reclassifications:
    """Per-institution reclassification feed."""

    def __init__(self, store: Store, base_url: str) -> None:
        self._store = store
        self._base = base_url.rstrip("/")

    def since(self, caller: Caller, version: int) -> list[dict[str, Any]]:
        """The caller's own cases whose variant's aggregate changed meaningfully after ``version``."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            facts = queries.own_case_facts_with_changes(conn, caller.submitter_id, version)
            variant_ids = sorted({f["variant_id"] for f in facts})
            before = aggregate_repo.aggregates_as_of(conn, variant_ids, version)
            now = aggregate_repo.load_aggregates(conn, variant_ids)
        items = []
        for fact in facts:
            key = (fact["variant_id"], VARIANT_LEVEL, GERMLINE)
            old, new = _aggregate(before.get(key)), _aggregate(now.get(key))
            if not is_meaningful_change(old, new):
                continue
            versus_report = reclassification_of(fact["stated_term"], new)
            item = {
                "case": fact["case_id"], "report": fact["report_id"], "report_year": fact["report_year"],
                "variant": {"id": fact["variant_id"], "key": fact["key"], "gene": fact["gene"],
                            "page": f"{self._base}/variants/{fact['variant_id']}"},
                "stated": fact["stated_term"],
                "old": old.as_dict() if old else None, "new": new.as_dict() if new else None,
                "changed_at_version": fact["changed_version"],
            }
            if versus_report is not None:
                item["versus_report"] = {"severity": versus_report.severity, "direction": versus_report.direction,
                                         "from_side": versus_report.stated_side, "to_side": versus_report.current_side}
            items.append({k: v for k, v in item.items() if v is not None})
        self._disclose(caller, version, items)
        return items

    def _disclose(self, caller: Caller, version: int, items: list[dict[str, Any]]) -> None:
        """Audit the feed as a disclosure (DICOM Export) of the listed cases and reports to their institution."""
        cases = sorted({item["case"] for item in items})
        reports = sorted({item["report"] for item in items if item.get("report")})
        record_disclosure(self._store, AuditEvent.of(EXPORT, "R", submitter_id=caller.submitter_id,
                                                     client=caller.name, entities=[
            *(entity("case", c) for c in cases), *(entity("report", r) for r in reports),
            *(entity("variant", v) for v in sorted({item["variant"]["id"] for item in items})),
            submitter(caller.submitter_id), entity("query", None, since=version, results=len(items))]))
