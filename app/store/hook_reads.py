"""Read queries of a CDS hook call: variants with their current variant-level aggregate by key, current
submissions with their submitters' names, and an institution's own case facts.

All batched (chunked at 500): one query per kind of fact, whatever the number of variants or cases. The hook
path is latency-bound, so the aggregate comes with the key lookup (a LEFT JOIN) and the submitter names with
the submissions, instead of one query each; and every statement is built once, at import, with expanding
bind parameters: building and cache-keying a Core statement per call cost more than running it (a 25-key
lookup took 0.6 ms built per call and 0.17 ms prebuilt on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select

from app.store.aggregates import CURRENT_SUBMISSIONS, SubmissionRow
from app.store.tables import aggregates, case_facts, cases, submitters, variants

CHUNK = 500
VARIANT_LEVEL = ""
_AGGREGATE_FIELDS = ("classification", "review_status", "stars", "conflict", "explanation", "submitter_count",
                     "last_evaluated")
_AGGREGATE_COLUMNS = [aggregates.c[name] for name in _AGGREGATE_FIELDS]
_VARIANT_LEVEL_OF_TYPE = and_(aggregates.c.condition_key == VARIANT_LEVEL,
                              aggregates.c.classification_type == bindparam("classification_type"))

_VARIANTS_WITH_AGGREGATES = (
    select(variants.c.key, variants.c.id, variants.c.merged_into, *_AGGREGATE_COLUMNS)
    .select_from(variants.outerjoin(aggregates, and_(aggregates.c.variant_id == variants.c.id,
                                                     _VARIANT_LEVEL_OF_TYPE)))
    .where(variants.c.key.in_(bindparam("keys", expanding=True))))
_AGGREGATES_OF = (select(aggregates.c.variant_id, *_AGGREGATE_COLUMNS)
                  .where(aggregates.c.variant_id.in_(bindparam("ids", expanding=True)), _VARIANT_LEVEL_OF_TYPE))
_CURRENT_SUBMISSIONS_NAMED = CURRENT_SUBMISSIONS.add_columns(submitters.c.name)
_OWN_CASE_FINDINGS = (
    select(case_facts.c.variant_id, variants.c.merged_into, variants.c.key, variants.c.gene,
           case_facts.c.stated_term, case_facts.c.report_year)
    .join(cases, cases.c.id == case_facts.c.case_id)
    .join(variants, variants.c.id == case_facts.c.variant_id)
    .where(case_facts.c.case_id.in_(bindparam("ids", expanding=True)), cases.c.submitter_id == bindparam("submitter"),
           case_facts.c.superseded_version.is_(None))
    .order_by(case_facts.c.report_year.desc(), variants.c.key))


def _chunks(values: Iterable[str]) -> list[list[str]]:
    wanted = sorted(set(values))
    return [wanted[i:i + CHUNK] for i in range(0, len(wanted), CHUNK)]


def _aggregate(values: tuple) -> dict[str, Any] | None:
    """The aggregate fields (in _AGGREGATE_FIELDS order) as a dict; None when there is no aggregate row."""
    return None if values[0] is None else dict(zip(_AGGREGATE_FIELDS, values, strict=True))


def variants_with_aggregates(conn: Connection, keys: Iterable[str], classification_type: str = "germline"
                             ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """(key -> variant id after merges, variant id -> its current variant-level aggregate) for the known keys."""
    ids: dict[str, str] = {}
    found: dict[str, dict[str, Any]] = {}
    merged: set[str] = set()
    for chunk in _chunks(keys):
        for key, variant_id, merged_into, *fields in conn.execute(
                _VARIANTS_WITH_AGGREGATES, {"keys": chunk, "classification_type": classification_type}).all():
            ids[key] = merged_into or variant_id
            if merged_into:
                merged.add(merged_into)
            elif (aggregate := _aggregate(fields)) is not None:
                found[variant_id] = aggregate
    found.update(aggregates_of(conn, merged - set(found), classification_type))
    return ids, found


def aggregates_of(conn: Connection, variant_ids: Iterable[str], classification_type: str = "germline"
                  ) -> dict[str, dict[str, Any]]:
    """Variant id -> current variant-level aggregate (variants found another way: aliases, merges, case facts)."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(variant_ids):
        rows = conn.execute(_AGGREGATES_OF, {"ids": chunk, "classification_type": classification_type}).all()
        found.update({variant_id: _aggregate(fields) for variant_id, *fields in rows})
    return found


def current_submissions_named(conn: Connection, variant_ids: Iterable[str]
                              ) -> tuple[list[SubmissionRow], dict[str, str]]:
    """Current submissions of these variants (flagged ones included) and their submitters' names."""
    rows: list[SubmissionRow] = []
    names: dict[str, str] = {}
    for chunk in _chunks(variant_ids):
        for *fields, name in conn.execute(_CURRENT_SUBMISSIONS_NAMED, {"ids": chunk}).all():
            rows.append(SubmissionRow(*fields))
            names[fields[1]] = name
    return rows, names


def own_case_findings(conn: Connection, submitter_id: str, case_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Current findings of these cases that belong to ``submitter_id`` (others' cases are never returned), with
    the variant's id (after merges), key and gene, the stated term and the report year."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return []
    rows = conn.execute(_OWN_CASE_FINDINGS, {"ids": wanted, "submitter": submitter_id}).all()
    return [{"variant_id": row.merged_into or row.variant_id, "key": row.key, "gene": row.gene,
             "stated_term": row.stated_term, "report_year": row.report_year} for row in rows]
