"""Keeping aggregates current: recompute the affected variants inside the writing unit of work, or rebuild all.

Aggregation itself is the pure rule set in app.domain.aggregation; this module feeds it the current
submissions from the store and writes back only what changed, each change with its change event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from app.config import Settings
from app.domain.aggregation import (
    DEFAULT_RULES,
    VARIANT_LEVEL,
    Aggregate,
    AggregationRules,
    SubmissionFacts,
    aggregate_variant,
)
from app.store import aggregates as repo
from app.store.aggregates import AggregateChange, AggregateKey
from app.store.database import Store

REBUILD_CHUNK = 500


class RulesError(ValueError):
    """The configured aggregation rules are invalid; the message names the setting."""


def rules_from_settings(settings: Settings) -> AggregationRules:
    """The aggregation rules of this deployment (documented defaults plus VARSHARE_AGGREGATION_RULES)."""
    if not settings.aggregation_rules:
        return DEFAULT_RULES
    try:
        return AggregationRules.from_settings(orjson.loads(settings.aggregation_rules))
    except (ValueError, TypeError) as exc:
        raise RulesError(f"VARSHARE_AGGREGATION_RULES: {exc}") from exc


def _row_of(aggregate: Aggregate) -> dict[str, Any]:
    return {"classification": aggregate.classification, "review_status": aggregate.review_status,
            "stars": aggregate.stars, "conflict": aggregate.conflict, "explanation": aggregate.explanation,
            "submitter_count": aggregate.submitter_count, "last_evaluated": aggregate.last_evaluated}


def compute_aggregates(conn: Connection, variant_ids: Iterable[str],
                       rules: AggregationRules = DEFAULT_RULES) -> dict[AggregateKey, dict[str, Any]]:
    """What the aggregates of these variants should be now, from their current submissions."""
    grouped: dict[tuple[str, str], list[SubmissionFacts]] = defaultdict(list)
    for row in repo.load_current_submissions(conn, variant_ids):
        grouped[(row.variant_id, row.classification_type)].append(SubmissionFacts(
            submitter_id=row.submitter_id, role=row.role, term=row.term, criteria_provided=row.criteria_provided,
            condition_key=row.condition_key, date_last_evaluated=row.date_last_evaluated, flagged=row.flagged,
            classification_type=row.classification_type))
    result: dict[AggregateKey, dict[str, Any]] = {}
    for (variant_id, kind), facts in grouped.items():
        overall, per_condition = aggregate_variant(facts, rules)
        if overall is not None:
            result[(variant_id, VARIANT_LEVEL, kind)] = _row_of(overall)
        for condition_key, aggregate in per_condition.items():
            result[(variant_id, condition_key, kind)] = _row_of(aggregate)
    return result


def _differences(old: dict[AggregateKey, dict], new: dict[AggregateKey, dict]) -> list[AggregateChange]:
    return [AggregateChange(key, old.get(key), new.get(key))
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def recompute_aggregates(conn: Connection, variant_ids: Iterable[str], version: int, cause_kind: str,
                         cause_ref: str | None = None,
                         rules: AggregationRules = DEFAULT_RULES) -> list[AggregateChange]:
    """Recompute the aggregates of ``variant_ids`` and record every change (call inside a unit of work)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    changes = _differences(repo.load_aggregates(conn, ids), compute_aggregates(conn, ids, rules))
    repo.write_aggregates(conn, changes, version, cause_kind, cause_ref)
    return changes


@dataclass(frozen=True)
class RebuildSummary:
    """What a full rebuild found: variants checked and aggregates that differed (and were corrected)."""

    variants: int
    changed: int
    version: int | None


def rebuild_aggregates(store: Store, rules: AggregationRules = DEFAULT_RULES) -> RebuildSummary:
    """Recompute every aggregate from scratch; any difference is written under one new store version."""
    checked = 0
    pending: list[AggregateChange] = []
    with store.unit_of_work() as uow:
        uow.lock_writes()
        after: str | None = None
        while True:
            ids = repo.variant_ids_with_submissions(uow.conn, after, REBUILD_CHUNK)
            if not ids:
                break
            checked += len(ids)
            after = ids[-1]
            pending.extend(_differences(repo.load_aggregates(uow.conn, ids), compute_aggregates(uow.conn, ids, rules)))
        version = None
        if pending:
            version = uow.bump_version("rebuild", None, {"aggregates": len(pending)})
            repo.write_aggregates(uow.conn, pending, version, "rebuild", None)
    return RebuildSummary(variants=checked, changed=len(pending), version=version)
