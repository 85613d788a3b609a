"""Repository of submissions (one submitter's classification of one variant for one condition) with history.

A submission row is current while ``superseded_version`` is NULL. A newer evaluation from the same
submitter for the same variant, condition and classification type supersedes the current row; an older
evaluation arriving late is kept as history without displacing the current one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, insert, select, update

from app.domain.reports import Condition
from app.store import counters
from app.store.tables import conditions, submission_flags, submissions

CHUNK = 500


@dataclass(frozen=True)
class SubmissionInput:
    """One classification to record, already mapped to stored variant and condition keys."""

    variant_id: str
    condition_key: str
    classification_type: str
    term: str
    term_recognised: bool
    criteria_provided: bool
    criteria_code: str | None
    date_last_evaluated: dt.date | None
    mode_of_inheritance: str | None
    origin: str | None
    date_precision: str = "day"  # "year" when de-identification kept only the year

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.variant_id, self.condition_key, self.classification_type)

    def content(self) -> tuple:
        return (self.term, self.term_recognised, self.criteria_provided, self.criteria_code,
                self.date_last_evaluated, self.mode_of_inheritance, self.origin)


@dataclass
class SubmissionChanges:
    """What recording a batch of submissions did, by submission id."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # older than the current evaluation: kept as history
    superseded: list[str] = field(default_factory=list)
    affected_variants: set[str] = field(default_factory=set)


def store_conditions(conn: Connection, items: Iterable[Condition]) -> None:
    """Insert conditions not yet known (keyed by their condition key)."""
    wanted = {c.key: c for c in items}
    if not wanted:
        return
    keys = sorted(wanted)
    present: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        present.update(conn.execute(select(conditions.c.key).where(conditions.c.key.in_(keys[start:start + CHUNK])))
                       .scalars())
    rows = [{"key": k, "system": wanted[k].system, "code": wanted[k].code, "label": wanted[k].label}
            for k in keys if k not in present]
    if rows:
        conn.execute(insert(conditions), rows)


def _content_of(row) -> tuple:
    return (row.term, row.term_recognised, row.criteria_provided, row.criteria_code, row.date_last_evaluated,
            row.mode_of_inheritance, row.origin)


def record_submissions(conn: Connection, submitter_id: str, report_id: str | None, items: list[SubmissionInput],
                       version: int, *, late_evaluations_stay_history: bool = True) -> SubmissionChanges:
    """Record classifications for one submitter, superseding older evaluations (history kept).

    With ``late_evaluations_stay_history`` (aggregation.supersede_by = date_last_evaluated, the default) an
    evaluation older than the current one is kept as history; otherwise the latest receipt always wins."""
    changes = SubmissionChanges()
    if not items:
        return changes
    variant_ids = sorted({i.variant_id for i in items})
    current: dict[tuple[str, str, str], object] = {}
    revisions: dict[tuple[str, str, str], int] = {}
    for start in range(0, len(variant_ids), CHUNK):
        chunk = variant_ids[start:start + CHUNK]
        mine = (submissions.c.submitter_id == submitter_id) & submissions.c.variant_id.in_(chunk)
        for row in conn.execute(select(submissions).where(mine, submissions.c.superseded_version.is_(None))):
            current[(row.variant_id, row.condition_key, row.classification_type)] = row
        for v, c, t, top in conn.execute(
                select(submissions.c.variant_id, submissions.c.condition_key, submissions.c.classification_type,
                       func.max(submissions.c.revision)).where(mine)
                .group_by(submissions.c.variant_id, submissions.c.condition_key, submissions.c.classification_type)):
            revisions[(v, c, t)] = top

    had = {identity[0] for identity, row in current.items() if row is not None}  # variants with a current one
    rows = []
    for item in items:
        existing = current.get(item.identity)
        if existing is not None and _content_of(existing) == item.content():
            changes.unchanged.append(existing.id)  # type: ignore[attr-defined]
            continue
        stale = (late_evaluations_stay_history and existing is not None and item.date_last_evaluated is not None
                 and existing.date_last_evaluated is not None  # type: ignore[attr-defined]
                 and item.date_last_evaluated < existing.date_last_evaluated)  # type: ignore[attr-defined]
        revision = revisions.get(item.identity, 0) + 1
        revisions[item.identity] = revision
        submission_id = str(uuid.uuid4())
        rows.append({
            "id": submission_id, "submitter_id": submitter_id, "variant_id": item.variant_id,
            "condition_key": item.condition_key, "classification_type": item.classification_type,
            "term": item.term, "term_recognised": item.term_recognised, "criteria_provided": item.criteria_provided,
            "criteria_code": item.criteria_code, "date_last_evaluated": item.date_last_evaluated,
            "date_last_evaluated_precision": item.date_precision if item.date_last_evaluated else None,
            "mode_of_inheritance": item.mode_of_inheritance, "origin": item.origin, "revision": revision,
            "report_id": report_id, "created_version": version, "superseded_version": version if stale else None,
            "retracted": False, "flagged": False,
        })
        if stale:
            changes.stale.append(submission_id)
            continue
        if existing is not None:
            conn.execute(update(submissions).where(submissions.c.id == existing.id)  # type: ignore[attr-defined]
                         .values(superseded_version=version))
            changes.superseded.append(existing.id)  # type: ignore[attr-defined]
        current[item.identity] = None  # a second identical identity in one batch is a new revision
        changes.created.append(submission_id)
        changes.affected_variants.add(item.variant_id)
    if rows:
        conn.execute(insert(submissions), rows)
    counters.add(conn, counters.CURRENT_SUBMISSIONS, len(changes.created) - len(changes.superseded))
    counters.add(conn, counters.submitter_submissions(submitter_id), len(changes.created) - len(changes.superseded))
    counters.add(conn, counters.submitter_variants(submitter_id), len(changes.affected_variants - had))
    return changes


def withdraw_report_submissions(conn: Connection, report_id: str, version: int, *, retract: bool) -> set[str]:
    """Take a report's current submissions out of the current set (amendment or retraction); returns variants."""
    query = select(submissions.c.id, submissions.c.variant_id, submissions.c.submitter_id).where(
        submissions.c.report_id == report_id, submissions.c.superseded_version.is_(None))
    rows = conn.execute(query).all()
    if rows:
        conn.execute(update(submissions).where(submissions.c.id.in_([r.id for r in rows]))
                     .values(superseded_version=version, retracted=retract))
        counters.add(conn, counters.CURRENT_SUBMISSIONS, -len(rows))
        for submitter_id in {r.submitter_id for r in rows}:  # one, the report's
            theirs = [r for r in rows if r.submitter_id == submitter_id]
            counters.add(conn, counters.submitter_submissions(submitter_id), -len(theirs))
            left = {r.variant_id for r in theirs} - variants_with_current(conn, submitter_id,
                                                                          {r.variant_id for r in theirs})
            counters.add(conn, counters.submitter_variants(submitter_id), -len(left))
    return {r.variant_id for r in rows}


def variants_with_current(conn: Connection, submitter_id: str, variant_ids: Iterable[str]) -> set[str]:
    """Which of these variants the institution has a current submission on."""
    wanted = sorted(set(variant_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(conn.execute(select(submissions.c.variant_id).distinct().where(
            submissions.c.submitter_id == submitter_id, submissions.c.variant_id.in_(wanted[start:start + CHUNK]),
            submissions.c.superseded_version.is_(None))).scalars())
    return found


def find_submission(conn: Connection, submission_id: str) -> dict | None:
    """One submission row by id."""
    row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).mappings().first()
    return dict(row) if row else None


def set_flag(conn: Connection, submission_id: str, *, flagged: bool, reason: str | None, by: str | None,
             version: int) -> None:
    """Flag (or unflag) one submission version."""
    conn.execute(update(submissions).where(submissions.c.id == submission_id).values(
        flagged=flagged, flag_reason=reason if flagged else None, flagged_by=by if flagged else None,
        flagged_version=version))
    conn.execute(insert(submission_flags).values(submission_id=submission_id, version=version, flagged=flagged,
                                                 reason=reason if flagged else None, curator_id=by))
