"""Variant queries for the read API and pages: search by key, SPDI, HGVS, ClinVar id, rsID or gene; details with
aggregates, conditions, submissions and case counts; history and as-of-version answers.

When a ``reader`` (an authenticated tenant) is given, each answer is audited after the read as a disclosure:
the variants returned and every institution whose submissions their aggregates or rows show. The audit append
fails closed (StoreUnavailable), so nothing leaves unaudited."""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Protocol

from app.audit.events import READ, SEARCH, AuditEvent, entity, submitter
from app.deid.small_cells import display_count, display_counts
from app.domain.aggregation import VARIANT_LEVEL, is_classified
from app.domain.curation import flag_reason_label
from app.domain.hgvs import parse_genomic_hgvs, transcript_variant
from app.domain.review import stars_of, status_text, submission_status
from app.domain.variants import VariantError, normalise_clinvar_id, normalise_rsid, variant_from_spdi, vcf_variant
from app.services.audit import record_disclosure
from app.services.failures import store_failures_as_unavailable
from app.store import aggregates as aggregate_repo
from app.store import variant_queries as queries
from app.store.database import Store

GERMLINE = "germline"
_GENE = re.compile(r"^[A-Za-z][A-Za-z0-9\-]{0,19}$")
_KEY = re.compile(r"^(GRCh3[78]):([0-9XYMT]{1,2}):(\d+):([ACGTN-]+):([ACGTN-]+)$", re.IGNORECASE)


class Reader(Protocol):
    """The authenticated tenant a read is disclosed to."""

    submitter_id: str
    name: str


class QueryError(ValueError):
    """The query cannot be understood; the message says which forms are accepted."""


@dataclass(frozen=True)
class Page:
    """One page of results and the cursor for the next, if any."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def _candidate_lookups(q: str) -> tuple[list[str], list[tuple[str, str]], str | None]:
    """(keys, aliases, gene) a query may denote; raises QueryError when it matches no accepted form."""
    text = q.strip()
    keys: list[str] = []
    aliases: list[tuple[str, str]] = []
    match = _KEY.match(text)
    if match:
        assembly, chromosome, pos, ref, alt = match.groups()
        try:
            keys.append(vcf_variant(assembly, chromosome, int(pos), ref.replace("-", ""), alt.replace("-", "")).key)
        except VariantError as exc:
            raise QueryError(str(exc)) from None
        return keys, aliases, None
    lowered = text.lower()
    if lowered.startswith("clinvar:") or lowered.startswith("vcv"):
        try:
            aliases.append(("clinvar", normalise_clinvar_id(text.split(":", 1)[-1])))
        except VariantError as exc:
            raise QueryError(str(exc)) from None
        return keys, aliases, None
    if re.match(r"^rs\s*\d+$", lowered):
        return keys, [("dbsnp", normalise_rsid(text))], None
    if text.upper().startswith("NC_") and ":g." in text:
        aliases.append(("hgvs.g", text))
        with contextlib.suppress(VariantError):
            keys.append(parse_genomic_hgvs(text).key)
        return keys, aliases, None
    if text.count(":") == 3 and text.upper().startswith("NC_"):
        try:
            return [variant_from_spdi(text).key], [("spdi", text)], None
        except VariantError as exc:
            raise QueryError(str(exc)) from None
    if ":" in text and re.search(r":[cnp]\.", text):
        aliases.extend([("hgvs.c", text), ("hgvs.p", text)])
        with contextlib.suppress(VariantError):
            keys.append(transcript_variant(text).key)
        return keys, aliases, None
    if _GENE.match(text):
        return keys, aliases, text
    raise QueryError("q must be a variant key (GRCh38:17:43057063:G:GG), an SPDI, an HGVS expression, "
                     "clinvar:<Variation ID>, an rsID (rs80357906) or a gene symbol")


def _aggregate_json(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    last = row.get("last_evaluated")
    return {"classification": row["classification"], "review_status": row["review_status"], "stars": row["stars"],
            "conflict": bool(row["conflict"]), "explanation": row.get("explanation"),
            "submitter_count": row["submitter_count"],
            "last_evaluated": last.isoformat() if hasattr(last, "isoformat") else last}


def _condition_json(key: str, row: dict[str, Any] | None) -> dict[str, Any]:
    if key.startswith("text:"):
        return {"key": key, "text": key.removeprefix("text:")}
    if key == "not-specified" or row is None:
        return {"key": key, "text": "not specified"} if key == "not-specified" else {"key": key}
    found = {"key": key, "system": row.get("system"), "code": row.get("code"), "label": row.get("label")}
    return {k: v for k, v in found.items() if v is not None}


class VariantQueries:
    """Read-side use cases over variants."""

    def __init__(self, store: Store, base_url: str) -> None:
        self._store = store
        self._base = base_url.rstrip("/")

    def _links(self, variant_id: str) -> dict[str, str]:
        return {"self": f"{self._base}/api/variants/{variant_id}", "page": f"{self._base}/variants/{variant_id}",
                "history": f"{self._base}/api/variants/{variant_id}/history"}

    def _summary(self, row: dict[str, Any], aggregate: dict[str, Any] | None) -> dict[str, Any]:
        fields = ("id", "key", "kind", "normalised", "assembly", "chromosome", "position", "ref", "alt", "spdi", "gene")
        summary = {f: row[f] for f in fields if row.get(f) is not None}
        summary["normalised"] = bool(row["normalised"])
        summary["aggregate"] = _aggregate_json(aggregate)
        summary["links"] = self._links(row["id"])
        return summary

    def _disclose(self, reader: Reader, kind: tuple[str, str], action: str, variant_ids: list[str],
                  submitter_ids: list[str], **details: Any) -> None:
        entities = [*(entity("variant", i) for i in variant_ids), *(submitter(s) for s in submitter_ids)]
        entities.append(entity("query", None, **details))
        record_disclosure(self._store, AuditEvent.of(kind, action, submitter_id=reader.submitter_id,
                                                     client=reader.name, entities=entities))

    def _contributors(self, variant_ids: list[str]) -> list[str]:
        with store_failures_as_unavailable(), self._store.reading() as conn:
            return queries.submitters_of_variants(conn, variant_ids)

    def search(self, q: str, *, cursor: str | None = None, limit: int = 50, reader: Reader | None = None) -> Page:
        """Variants matching ``q`` (exact forms; a gene symbol pages through the gene's variants)."""
        keys, aliases, gene = _candidate_lookups(q)
        with store_failures_as_unavailable(), self._store.reading() as conn:
            ids: list[str] = []
            next_cursor = None
            if gene is not None:
                ids = queries.ids_for_gene(conn, gene, cursor, limit + 1)
                if len(ids) > limit:
                    ids, next_cursor = ids[:limit], ids[limit - 1]
            else:
                found = list(queries.ids_for_keys(conn, keys).values())
                found += list(queries.ids_for_aliases(conn, aliases).values())
                ids = sorted(set(found))
            rows = queries.variant_rows(conn, ids)
            current = aggregate_repo.load_aggregates(conn, ids)
        items = [self._summary(rows[i], current.get((i, VARIANT_LEVEL, GERMLINE))) for i in ids if i in rows]
        if reader is not None:
            returned = [item["id"] for item in items]
            self._disclose(reader, SEARCH, "E", returned, self._contributors(returned), results=len(items),
                           digest=hashlib.sha256(q.encode("utf-8")).hexdigest())
        return Page(items, next_cursor)

    def detail(self, variant_id: str, *, as_of: int | None = None, k: int = 5,
               reader: Reader | None = None) -> dict[str, Any] | None:
        """Everything the store says about one variant now, or as it stood at store version ``as_of``."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            row = queries.variant_rows(conn, [variant_id]).get(variant_id)
            if row is None:
                return None
            if row.get("merged_into"):
                return {"id": variant_id, "merged_into": row["merged_into"], "links": self._links(row["merged_into"])}
            if as_of is None:
                aggregates = {key: _aggregate_json(v) for key, v in aggregate_repo.load_aggregates(conn, [variant_id])
                              .items()}
            else:
                aggregates = {key: snapshot for key, snapshot in
                              aggregate_repo.aggregates_as_of(conn, [variant_id], as_of).items() if snapshot}
            submissions = queries.submissions_of(conn, variant_id, as_of)
            condition_rows = queries.conditions_by_key(conn, [key[1] for key in aggregates if key[1]])
            aliases = queries.aliases_of(conn, variant_id)
            counts = queries.case_counts(conn, variant_id) if as_of is None else None
        detail = self._summary(row, None)
        detail["aggregate"] = aggregates.get((variant_id, VARIANT_LEVEL, GERMLINE))
        detail["aliases"] = [{"kind": kind, "value": value} for kind, value in aliases]
        detail["conditions"] = [
            {"condition": _condition_json(key[1], condition_rows.get(key[1])), "aggregate": value}
            for key, value in sorted(aggregates.items()) if key[1] != VARIANT_LEVEL and key[2] == GERMLINE
        ]
        detail["submissions"] = [self._submission_json(s) for s in submissions]
        if counts is not None:
            detail["cases"] = _small_cells(counts, k)
        if as_of is not None:
            detail["as_of"] = as_of
        if reader is not None:
            contributors = sorted({s["submitter_id"] for s in submissions})
            self._disclose(reader, READ, "R", [variant_id], contributors, submissions=len(submissions),
                           asOf=as_of)
        return detail

    @staticmethod
    def _submission_json(row: dict[str, Any]) -> dict[str, Any]:
        status = submission_status(row["role"], bool(row["criteria_provided"]), is_classified(row["term"]))
        item = {
            "id": row["id"], "submitter": row["submitter"], "submitter_role": row["role"], "term": row["term"],
            "term_recognised": bool(row["term_recognised"]), "review_status": status_text(status),
            "stars": stars_of(status), "criteria_provided": bool(row["criteria_provided"]),
            "criteria": row["criteria_code"], "classification_type": row["classification_type"],
            "condition": _condition_json(row["condition_key"], row),
            "date_last_evaluated": row["date_last_evaluated"].isoformat() if row["date_last_evaluated"] else None,
            "mode_of_inheritance": row["mode_of_inheritance"], "origin": row["origin"], "revision": row["revision"],
            "flagged": bool(row["flagged"]),
        }
        if row["flagged"]:
            item["flag_reason"] = row["flag_reason"]
            item["flag_reason_label"] = flag_reason_label(row["flag_reason"])
        return {k: v for k, v in item.items() if v is not None}

    def history(self, variant_id: str, *, after: int | None = None, limit: int = 100,
                reader: Reader | None = None) -> Page:
        """The variant's aggregate change events, oldest first."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            events = aggregate_repo.change_events_for(conn, variant_id=variant_id, after_id=after, limit=limit + 1)
        page = _event_page(events, limit)
        if reader is not None and page.items:
            self._disclose(reader, READ, "R", [variant_id], self._contributors([variant_id]),
                           changes=len(page.items))
        return page

    def changes(self, since: int, *, after: int | None = None, limit: int = 100, reader: Reader | None = None) -> Page:
        """The change feed: every aggregate change after store version ``since``, oldest first."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            events = aggregate_repo.change_events_for(conn, since=since, after_id=after, limit=limit + 1)
        page = _event_page(events, limit)
        if reader is not None:
            touched = sorted({item["variant"] for item in page.items})
            self._disclose(reader, SEARCH, "E", touched, self._contributors(touched), changes=len(page.items),
                           since=since)
        return page

    def submitters(self) -> list[dict[str, Any]]:
        """Active institutions with role and counts."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            return queries.submitter_summaries(conn)


def _event_page(events: list[dict[str, Any]], limit: int) -> Page:
    more = len(events) > limit
    events = events[:limit]
    items = [{
        "id": e["id"], "version": e["version"], "variant": e["variant_id"],
        "condition_key": e["condition_key"] or None, "classification_type": e["classification_type"],
        "old": {"classification": e["old_classification"], "review_status": e["old_review_status"]}
        if e["old_classification"] is not None else None,
        "new": e["new_aggregate"], "cause": {"kind": e["cause_kind"], "ref": e["cause_ref"]},
    } for e in events]
    return Page([{k: v for k, v in item.items() if v is not None} for item in items],
                str(events[-1]["id"]) if more and events else None)


def _small_cells(counts: dict[str, Any], k: int) -> dict[str, Any]:
    """Case counts under the small-cell rule: below k a count is "<k"; a rare variant shows no breakdown."""
    if counts["carriers"] < k:
        return {"carriers": display_count(counts["carriers"], k), "k": k}
    return {"carriers": counts["carriers"], "zygosity": display_counts(counts["zygosity"], k), "k": k}
