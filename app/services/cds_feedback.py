"""CDS card feedback: stored once per card outcome, counted per card kind and outcome, summarised for admins.

The card kind is read from the card uuid itself (``app.cds.card_ids``); a uuid varshare did not issue is kept
as "unmatched" (answered 200 like any other, so the endpoint is no uuid oracle). Override reasons keep their
code and whether a comment was given, never the comment.
"""

from __future__ import annotations

import logging
from typing import Any

from app.cds.card_ids import kind_of_uuid
from app.cds.cards import OVERRIDE_REASONS, OVERRIDE_SYSTEM
from app.cds.feedback import FeedbackError, read_feedback
from app.cds.services import service_named
from app.config import Settings
from app.services.cds import CdsClient, CdsError, card_key
from app.services.failures import store_failures_as_unavailable
from app.store import feedback as feedback_repo
from app.store.database import Store

log = logging.getLogger("varshare.cds")
UNMATCHED = "unmatched"
_DISPLAYS = dict(OVERRIDE_REASONS)


class CdsFeedback:
    """Feedback use cases."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._key = card_key(settings)

    def record(self, service_id: str, body: Any, client: CdsClient) -> int:
        """Store the feedback of one request; returns how many outcomes were new. CdsError 400/404."""
        if service_named(service_id) is None:
            raise CdsError(404, "no CDS service with this id")
        try:
            items = read_feedback(body)
        except FeedbackError as exc:
            raise CdsError(400, exc.message, exc.location) from None
        rows = [{"submitter_id": client.submitter_id, "service_id": service_id, "card_uuid": item.card_uuid,
                 "card_kind": kind_of_uuid(self._key, item.card_uuid) or UNMATCHED, "outcome": item.outcome,
                 "override_reason": item.override_reason, "accepted_suggestions": list(item.accepted_suggestions)
                 or None, "outcome_at": item.outcome_at} for item in items]
        unmatched = sum(1 for row in rows if row["card_kind"] == UNMATCHED)
        if unmatched:
            log.info("feedback for unknown cards", extra={"fields": {"service": service_id, "count": unmatched}})
        with store_failures_as_unavailable(), self._store.unit_of_work() as uow:
            uow.lock_writes()
            return feedback_repo.record_feedback(uow.conn, rows)

    def summary(self) -> dict[str, Any]:
        """Outcomes per service and card kind, and override reasons per card kind, for admins."""
        with store_failures_as_unavailable(), self._store.reading() as conn:
            raw = feedback_repo.feedback_summary(conn)
        services: dict[str, dict[str, dict[str, int]]] = {}
        for service, kind, outcome, count in raw["counts"]:
            kinds = services.setdefault(service, {})
            kinds.setdefault(kind or UNMATCHED, {"accepted": 0, "overridden": 0})[outcome] = count
        reasons = []
        for kind, system, code, comment, count in sorted(raw["reasons"], key=lambda r: (r[0], -r[4], r[2] or "")):
            reason: dict[str, Any] = {"cardKind": kind, "count": count, "comment": comment}
            if code is not None:
                reason.update(system=system, code=code)
                if system == OVERRIDE_SYSTEM and code in _DISPLAYS:
                    reason["display"] = _DISPLAYS[code]
            reasons.append(reason)
        return {
            "services": [{"service": service, "cards": [
                {"kind": kind, **outcomes, "total": sum(outcomes.values())} for kind, outcomes in sorted(kinds.items())
            ]} for service, kinds in sorted(services.items())],
            "overrideReasons": reasons,
        }
