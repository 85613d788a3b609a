"""Repository of aggregates (current, per variant and per variant-condition) and their change events.

Every change of an aggregate row is recorded as a change event holding the full new snapshot, so the store
can answer "as of version N" from events alone and subscribers can follow a change feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from app.store import counters
from app.store.tables import aggregates, change_events, submissions, submitters

CHUNK = 500
AggregateKey = tuple[str, str, str]  # (variant id, condition key, classification type)
# Read on every ingest (aggregation) and lookup: built once, because building a Core statement per call costs
# more than running it.
CURRENT_SUBMISSIONS = (
    select(submissions.c.variant_id, submissions.c.submitter_id, submitters.c.role, submissions.c.term,
           submissions.c.criteria_provided, submissions.c.condition_key, submissions.c.date_last_evaluated,
           submissions.c.flagged, submissions.c.classification_type)
    .join(submitters, submitters.c.id == submissions.c.submitter_id)
    .where(submissions.c.variant_id.in_(bindparam("ids", expanding=True)), submissions.c.superseded_version.is_(None)))


class SubmissionRow(NamedTuple):
    """A current submission with its submitter's role: the input of aggregation (a named tuple: read by the
    thousand per ingest and per hook call, and a frozen dataclass costs several times more to build)."""

    variant_id: str
    submitter_id: str
    role: str
    term: str
    criteria_provided: bool
    condition_key: str
    date_last_evaluated: Any
    flagged: bool
    classification_type: str


@dataclass(frozen=True)
class AggregateChange:
    """One aggregate row to write (``new`` None deletes it) and why."""

    key: AggregateKey
    old: dict[str, Any] | None
    new: dict[str, Any] | None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def load_current_submissions(conn: Connection, variant_ids: Iterable[str]) -> list[SubmissionRow]:
    """Current (not superseded) submissions of these variants, flagged ones included."""
    ids = sorted(set(variant_ids))
    rows: list[SubmissionRow] = []
    for chunk in _chunks(ids):
        rows.extend(SubmissionRow(*r) for r in conn.execute(CURRENT_SUBMISSIONS, {"ids": chunk}).all())
    return rows


_FIELDS = ("classification", "review_status", "stars", "conflict", "explanation", "submitter_count", "last_evaluated")
_AGGREGATES_OF = select(aggregates.c.variant_id, aggregates.c.condition_key, aggregates.c.classification_type,
                        *(aggregates.c[name] for name in _FIELDS)).where(
    aggregates.c.variant_id.in_(bindparam("ids", expanding=True)))


def load_aggregates(conn: Connection, variant_ids: Iterable[str]) -> dict[AggregateKey, dict[str, Any]]:
    """Stored aggregate rows of these variants, keyed by (variant, condition, type)."""
    ids = sorted(set(variant_ids))
    found: dict[AggregateKey, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for variant_id, condition_key, classification_type, *values in conn.execute(_AGGREGATES_OF,
                                                                                     {"ids": chunk}).all():
            found[(variant_id, condition_key, classification_type)] = dict(zip(_FIELDS, values, strict=True))
    return found


def write_aggregates(conn: Connection, changes: list[AggregateChange], version: int, cause_kind: str,
                     cause_ref: str | None) -> None:
    """Apply aggregate changes and record one change event for each."""
    if not changes:
        return
    # Batched: one executemany per kind of change, so a report touching hundreds of variants stays cheap.
    deletes = [c for c in changes if c.new is None]
    inserts = [c for c in changes if c.new is not None and c.old is None]
    updates = [c for c in changes if c.new is not None and c.old is not None]
    key_match = and_(aggregates.c.variant_id == bindparam("k_variant"),
                     aggregates.c.condition_key == bindparam("k_condition"),
                     aggregates.c.classification_type == bindparam("k_type"))
    if deletes:
        conn.execute(delete(aggregates).where(key_match),
                     [{"k_variant": c.key[0], "k_condition": c.key[1], "k_type": c.key[2]} for c in deletes])
    if inserts:
        conn.execute(insert(aggregates), [{"variant_id": c.key[0], "condition_key": c.key[1],
                                           "classification_type": c.key[2], "computed_version": version, **c.new}
                                          for c in inserts])
    if updates:
        conn.execute(update(aggregates).where(key_match).values(
            {name: bindparam(f"v_{name}") for name in (*_FIELDS, "computed_version")}),
            [{"k_variant": c.key[0], "k_condition": c.key[1], "k_type": c.key[2], "v_computed_version": version,
              **{f"v_{name}": c.new[name] for name in _FIELDS}} for c in updates])
    counters.add(conn, counters.CONFLICTS, sum(_in_conflict(c.new) - _in_conflict(c.old) for c in changes
                                               if c.key[1] == ""))
    conn.execute(insert(change_events), [{
        "version": version, "variant_id": c.key[0], "condition_key": c.key[1], "classification_type": c.key[2],
        "old_classification": c.old["classification"] if c.old else None,
        "new_classification": c.new["classification"] if c.new else None,
        "old_review_status": c.old["review_status"] if c.old else None,
        "new_review_status": c.new["review_status"] if c.new else None,
        "new_aggregate": _snapshot(c.new), "cause_kind": cause_kind, "cause_ref": cause_ref,
    } for c in changes])


def _in_conflict(values: dict[str, Any] | None) -> int:
    """1 when these aggregate values are a conflict (``store_counters``), else 0."""
    return 1 if values is not None and bool(values.get("conflict")) else 0


def _snapshot(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    last = values.get("last_evaluated")
    return {**values, "last_evaluated": last.isoformat() if last is not None else None}


def aggregates_as_of(conn: Connection, variant_ids: Iterable[str], version: int) -> dict[AggregateKey, dict | None]:
    """The aggregate snapshots as the store stood at ``version`` (from change events; None = no aggregate)."""
    ids = sorted(set(variant_ids))
    result: dict[AggregateKey, dict | None] = {}
    for chunk in _chunks(ids):
        latest = (select(change_events.c.variant_id, change_events.c.condition_key, change_events.c.classification_type,
                         func.max(change_events.c.id).label("last_id"))
                  .where(change_events.c.variant_id.in_(chunk), change_events.c.version <= version)
                  .group_by(change_events.c.variant_id, change_events.c.condition_key,
                            change_events.c.classification_type).subquery())
        rows = conn.execute(select(change_events.c.variant_id, change_events.c.condition_key,
                                   change_events.c.classification_type, change_events.c.new_aggregate)
                            .join(latest, change_events.c.id == latest.c.last_id))
        for variant_id, condition_key, kind, snapshot in rows:
            result[(variant_id, condition_key, kind)] = snapshot
    return result


def change_events_for(conn: Connection, *, variant_id: str | None = None, since: int | None = None,
                      limit: int = 100, after_id: int | None = None) -> list[dict[str, Any]]:
    """Change events, oldest first, filtered by variant and/or version (exclusive ``since``), paged by id."""
    query = select(change_events).order_by(change_events.c.id).limit(limit)
    conditions = []
    if variant_id is not None:
        conditions.append(change_events.c.variant_id == variant_id)
    if since is not None:
        conditions.append(change_events.c.version > since)
    if after_id is not None:
        conditions.append(change_events.c.id > after_id)
    if conditions:
        query = query.where(*conditions)
    return [dict(row) for row in conn.execute(query).mappings()]


def variant_ids_with_submissions(conn: Connection, after: str | None, limit: int) -> list[str]:
    """Variant ids having any current submission or aggregate, in id order (for full rebuilds)."""
    query = (select(submissions.c.variant_id).where(submissions.c.superseded_version.is_(None))
             .union(select(aggregates.c.variant_id)).subquery())
    ordered = select(query.c.variant_id).order_by(query.c.variant_id).limit(limit)
    if after is not None:
        ordered = ordered.where(query.c.variant_id > after)
    return list(conn.execute(ordered).scalars())
