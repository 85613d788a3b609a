"""Read queries over variants: lookup by key, alias or gene, details, submissions and case counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from app.store import counters
from app.store.tables import (
    case_facts,
    cases,
    change_events,
    conditions,
    submission_flags,
    submissions,
    submitters,
    variant_aliases,
    variants,
)

CHUNK = 500
# Built once (the hot lookups): building and cache-keying a Core statement per call costs more than running it.
_IDS_FOR_KEYS = select(variants.c.key, variants.c.id, variants.c.merged_into).where(
    variants.c.key.in_(bindparam("keys", expanding=True)))


def _follow(row) -> str:
    return row.merged_into or row.id


def ids_for_keys(conn: Connection, keys: Iterable[str]) -> dict[str, str]:
    """Stored variant id for each known key (following merges)."""
    wanted = sorted(set(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = conn.execute(_IDS_FOR_KEYS, {"keys": wanted[start:start + CHUNK]}).all()
        found.update({key: merged_into or variant_id for key, variant_id, merged_into in rows})
    return found


def ids_for_aliases(conn: Connection, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Stored variant id for each known (alias kind, value) pair (following merges)."""
    wanted = sorted(set(pairs))
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        match = or_(*(and_(variant_aliases.c.kind == kind, variant_aliases.c.value == value) for kind, value in chunk))
        rows = conn.execute(select(variant_aliases.c.kind, variant_aliases.c.value, variants.c.id,
                                   variants.c.merged_into)
                            .join(variants, variants.c.id == variant_aliases.c.variant_id).where(match))
        for row in rows:
            found[(row.kind, row.value)] = _follow(row)
    return found


def ids_for_gene(conn: Connection, gene: str, after: str | None, limit: int) -> list[str]:
    """Unmerged variants of a gene (case-insensitive symbol), by id, for paging."""
    query = (select(variants.c.id).where(func.upper(variants.c.gene) == gene.upper(), variants.c.merged_into.is_(None))
             .order_by(variants.c.id).limit(limit))
    if after:
        query = query.where(variants.c.id > after)
    return list(conn.execute(query).scalars())


def variant_rows(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Variant rows by id."""
    wanted = sorted(set(ids))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), CHUNK):
        for row in conn.execute(select(variants).where(variants.c.id.in_(wanted[start:start + CHUNK]))).mappings():
            found[row["id"]] = dict(row)
    return found


def aliases_of(conn: Connection, variant_id: str) -> list[tuple[str, str]]:
    """Every (kind, value) alias of a variant (a merge copies the merged record's aliases over)."""
    rows = conn.execute(select(variant_aliases.c.kind, variant_aliases.c.value)
                        .where(variant_aliases.c.variant_id == variant_id)
                        .order_by(variant_aliases.c.kind, variant_aliases.c.value))
    return [(kind, value) for kind, value in rows]


def submissions_of(conn: Connection, variant_id: str, as_of: int | None = None) -> list[dict[str, Any]]:
    """Current submissions of a variant (or those current at store version ``as_of``), with submitter and
    condition details."""
    query = (select(submissions.c.id, submissions.c.revision, submissions.c.term, submissions.c.term_recognised,
                    submissions.c.criteria_provided, submissions.c.criteria_code, submissions.c.condition_key,
                    submissions.c.classification_type, submissions.c.date_last_evaluated,
                    submissions.c.mode_of_inheritance, submissions.c.origin, submissions.c.flagged,
                    submissions.c.flag_reason, submissions.c.created_version, submitters.c.id.label("submitter_id"),
                    submitters.c.name.label("submitter"), submitters.c.role, conditions.c.system, conditions.c.code,
                    conditions.c.label)
             .join(submitters, submitters.c.id == submissions.c.submitter_id)
             .join(conditions, conditions.c.key == submissions.c.condition_key)
             .where(submissions.c.variant_id == variant_id)
             .order_by(submitters.c.name, submissions.c.condition_key))
    if as_of is None:
        query = query.where(submissions.c.superseded_version.is_(None))
        return [dict(row) for row in conn.execute(query).mappings()]
    query = query.where(submissions.c.created_version <= as_of,
                        or_(submissions.c.superseded_version.is_(None), submissions.c.superseded_version > as_of))
    rows = [dict(row) for row in conn.execute(query).mappings()]
    flags = _flags_as_of(conn, [r["id"] for r in rows], as_of)
    for row in rows:  # the flag state of that time, not today's
        row["flagged"], row["flag_reason"] = flags.get(row["id"], (False, None))
    return rows


def _flags_as_of(conn: Connection, submission_ids: list[str], as_of: int) -> dict[str, tuple[bool, str | None]]:
    if not submission_ids:
        return {}
    latest = (select(submission_flags.c.submission_id, func.max(submission_flags.c.id).label("last_id"))
              .where(submission_flags.c.submission_id.in_(submission_ids), submission_flags.c.version <= as_of)
              .group_by(submission_flags.c.submission_id).subquery())
    rows = conn.execute(select(submission_flags.c.submission_id, submission_flags.c.flagged, submission_flags.c.reason)
                        .join(latest, submission_flags.c.id == latest.c.last_id))
    return {submission_id: (bool(flagged), reason) for submission_id, flagged, reason in rows}


def conditions_by_key(conn: Connection, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Condition rows by key."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    return {row["key"]: dict(row) for row in conn.execute(select(conditions).where(conditions.c.key.in_(wanted)))
            .mappings()}


def case_counts(conn: Connection, variant_id: str) -> dict[str, Any]:
    """Distinct cases carrying the variant now, in total and by zygosity (raw numbers: callers apply k)."""
    current = and_(case_facts.c.variant_id == variant_id, case_facts.c.superseded_version.is_(None))
    total = conn.execute(select(func.count(func.distinct(case_facts.c.case_id))).where(current)).scalar() or 0
    by_zygosity = {zygosity or "not stated": n for zygosity, n in conn.execute(
        select(case_facts.c.zygosity, func.count(func.distinct(case_facts.c.case_id))).where(current)
        .group_by(case_facts.c.zygosity))}
    return {"carriers": total, "zygosity": by_zygosity}


def submitter_summaries(conn: Connection) -> list[dict[str, Any]]:
    """Every active institution with role and counts of current submissions and variants classified (the counts
    kept with the changes: counting them grouped 3 million submissions, 6 s on every call)."""
    counts = counters.by_submitter(conn)
    rows = conn.execute(select(submitters.c.id, submitters.c.name, submitters.c.role)
                        .where(submitters.c.disabled.is_(False)).order_by(submitters.c.name)).mappings()
    found = []
    for row in rows:
        current, covered = counts.get(row["id"], (0, 0))
        found.append({**row, "submissions": current, "variants": covered})
    return found


def own_case_facts_with_changes(conn: Connection, submitter_id: str, since: int) -> list[dict[str, Any]]:
    """The institution's current case facts whose variant's variant-level aggregate changed after ``since``.

    Driven by the institution's own case facts, each with one probe of the variant's change events (index
    ``(variant_id, version)``), so the cost follows its cases, not the store: grouping every change event after
    ``since`` took 0.9 s at ``since=0`` on 2.5 million change events, whatever the institution held."""
    changed = (select(func.max(change_events.c.version))
               .where(change_events.c.variant_id == case_facts.c.variant_id, change_events.c.version > since,
                      change_events.c.condition_key == "")
               .scalar_subquery())
    mine = (select(case_facts.c.case_id, case_facts.c.report_id, case_facts.c.variant_id, case_facts.c.stated_term,
                   case_facts.c.report_year, case_facts.c.zygosity, variants.c.key, variants.c.gene,
                   changed.label("changed_version"))
            .join(cases, cases.c.id == case_facts.c.case_id)
            .join(variants, variants.c.id == case_facts.c.variant_id)
            .where(cases.c.submitter_id == submitter_id, case_facts.c.superseded_version.is_(None))
            .subquery())
    query = select(mine).where(mine.c.changed_version.is_not(None)).order_by(mine.c.case_id, mine.c.key)
    return [dict(row) for row in conn.execute(query).mappings()]


def submitters_of_variants(conn: Connection, variant_ids: Iterable[str]) -> list[str]:
    """The institutions with a current submission on any of these variants (whose data their aggregates show)."""
    ids = list(variant_ids)
    if not ids:
        return []
    query = (select(submissions.c.submitter_id).distinct()
             .where(submissions.c.variant_id.in_(ids), submissions.c.superseded_version.is_(None))
             .order_by(submissions.c.submitter_id))
    return list(conn.execute(query).scalars())
