"""Read queries of a CDS hook call: variants by key with their current variant-level aggregate and current
submissions (with their submitters' names), and an institution's own case facts.

All batched (chunked at 500), whatever the number of variants or cases. The hook path is latency-bound, so the
aggregate and the submissions come with the key lookup (LEFT JOINs, one row per submission) instead of one
query each; variants found another way (merges, aliases, case facts) take one more query per kind of fact. Every
statement is built once, at import, with expanding
bind parameters: building and cache-keying a Core statement per call cost more than running it (a 25-key
lookup took 0.6 ms built per call and 0.17 ms prebuilt on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select

from app.store.aggregates import CURRENT_SUBMISSIONS, SubmissionRow
from app.store.tables import aggregates, case_facts, cases, submissions, submitters, variants

CHUNK = 500
VARIANT_LEVEL = ""
_AGGREGATE_FIELDS = ("classification", "review_status", "stars", "conflict", "explanation", "submitter_count",
                     "last_evaluated")
_AGGREGATE_COLUMNS = [aggregates.c[name] for name in _AGGREGATE_FIELDS]
_VARIANT_LEVEL_OF_TYPE = and_(aggregates.c.condition_key == VARIANT_LEVEL,
                              aggregates.c.classification_type == bindparam("classification_type"))

_AGGREGATES_OF = (select(aggregates.c.variant_id, *_AGGREGATE_COLUMNS)
                  .where(aggregates.c.variant_id.in_(bindparam("ids", expanding=True)), _VARIANT_LEVEL_OF_TYPE))
_CURRENT_SUBMISSIONS_NAMED = CURRENT_SUBMISSIONS.add_columns(submitters.c.name)
_SUBMISSION_COLUMNS = [column for column in CURRENT_SUBMISSIONS.selected_columns if column.name != "variant_id"]
# The common case in one round trip: each key's variant, its aggregate and its current submissions (one row per
# submission; a variant without submissions gives one row of NULLs on the submission side).
_VARIANTS_WITH_FACTS = (
    select(variants.c.key, variants.c.id, variants.c.merged_into, *_AGGREGATE_COLUMNS, *_SUBMISSION_COLUMNS,
           submitters.c.name)
    .select_from(variants.outerjoin(aggregates, and_(aggregates.c.variant_id == variants.c.id,
                                                     _VARIANT_LEVEL_OF_TYPE))
                 .outerjoin(submissions, and_(submissions.c.variant_id == variants.c.id,
                                              submissions.c.superseded_version.is_(None)))
                 .outerjoin(submitters, submitters.c.id == submissions.c.submitter_id))
    .where(variants.c.key.in_(bindparam("keys", expanding=True))))
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


def variants_with_facts(conn: Connection, keys: Iterable[str], classification_type: str = "germline"
                        ) -> tuple[dict[str, str], dict[str, dict[str, Any]], list[SubmissionRow], dict[str, str]]:
    """What a hook needs of the variants with these keys, in one query per chunk: key -> variant id after merges,
    variant id -> current variant-level aggregate, the current submissions (flagged ones included) and their
    submitters' names. A merged variant's facts are its target's, read with a second query."""
    ids: dict[str, str] = {}
    found: dict[str, dict[str, Any]] = {}
    rows: list[SubmissionRow] = []
    names: dict[str, str] = {}
    merged: set[str] = set()
    direct: set[str] = set()
    width = len(_AGGREGATE_FIELDS)
    for chunk in _chunks(keys):
        for key, variant_id, merged_into, *fields in conn.execute(
                _VARIANTS_WITH_FACTS, {"keys": chunk, "classification_type": classification_type}).all():
            if merged_into:
                ids[key] = merged_into
                merged.add(merged_into)
                continue
            ids[key] = variant_id
            direct.add(variant_id)
            if variant_id not in found and (aggregate := _aggregate(fields[:width])) is not None:
                found[variant_id] = aggregate
            submitter_id = fields[width]
            if submitter_id is not None:
                rows.append(SubmissionRow(variant_id, *fields[width:-1]))
                names[submitter_id] = fields[-1]
    merged -= direct  # a target also asked for by its own key has been read already
    if merged:
        found.update(aggregates_of(conn, merged - set(found), classification_type))
        more, more_names = current_submissions_named(conn, merged)
        rows.extend(more)
        names.update(more_names)
    return ids, found, rows, names


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
