"""Repository of CDS card feedback: one row per card outcome, stored once however often it is sent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, insert, select

from app.store.tables import cds_feedback


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def record_feedback(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert feedback rows (submitter_id, service_id, card_uuid, card_kind, outcome, override_reason,
    accepted_suggestions, outcome_at) not stored yet; returns how many were new."""
    if not rows:
        return 0
    uuids = sorted({row["card_uuid"] for row in rows})
    present = {(r.submitter_id, r.service_id, r.card_uuid, r.outcome, _utc(r.outcome_at)) for r in conn.execute(
        select(cds_feedback.c.submitter_id, cds_feedback.c.service_id, cds_feedback.c.card_uuid,
               cds_feedback.c.outcome, cds_feedback.c.outcome_at).where(cds_feedback.c.card_uuid.in_(uuids)))}
    now = dt.datetime.now(dt.UTC)
    new = []
    for row in rows:
        key = (row["submitter_id"], row["service_id"], row["card_uuid"], row["outcome"], _utc(row["outcome_at"]))
        if key not in present:
            present.add(key)
            new.append({**row, "recorded_at": now})
    if new:
        conn.execute(insert(cds_feedback), new)
    return len(new)


def feedback_summary(conn: Connection) -> dict[str, Any]:
    """Counts per service, card kind and outcome, and override reasons per card kind."""
    counts = conn.execute(select(cds_feedback.c.service_id, cds_feedback.c.card_kind, cds_feedback.c.outcome,
                                 func.count()).group_by(cds_feedback.c.service_id, cds_feedback.c.card_kind,
                                                        cds_feedback.c.outcome)).all()
    reasons: Counter[tuple[str, str, str | None, bool]] = Counter()
    for kind, reason in conn.execute(select(cds_feedback.c.card_kind, cds_feedback.c.override_reason)
                                     .where(cds_feedback.c.outcome == "overridden")):
        if reason:
            reasons[(kind or "unmatched", reason.get("system") or "", reason.get("code"),
                     bool(reason.get("comment")))] += 1
        else:
            reasons[(kind or "unmatched", "", None, False)] += 1
    return {"counts": [(service, kind, outcome, n) for service, kind, outcome, n in counts],
            "reasons": [(*key, n) for key, n in reasons.items()]}
