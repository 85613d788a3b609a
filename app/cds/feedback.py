"""Feedback on cards (CDS Hooks 2.0 §Feedback), read and checked.

``accepted`` needs ``acceptedSuggestions`` (cds-fb-2); the outcome is ``accepted`` or ``overridden``
(cds-fb-1); an ``overrideReason`` holds a reason, a comment, or both (cds-fb-3). The CDS Hooks Sandbox's
shape (a reason Coding without ``display``, no comment) is accepted. ``userComment`` is free text that may
hold PHI: only whether one was given is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

OUTCOMES = ("accepted", "overridden")
MAX_ITEMS = 100


class FeedbackError(ValueError):
    """The feedback body is malformed; the message names the field."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


@dataclass(frozen=True)
class FeedbackItem:
    """One card's outcome."""

    card_uuid: str
    outcome: str
    outcome_at: dt.datetime
    accepted_suggestions: tuple[str, ...] = ()
    reason_system: str | None = None
    reason_code: str | None = None
    comment_given: bool = False

    @property
    def override_reason(self) -> dict[str, Any] | None:
        """What is kept of the override reason (never the comment's text)."""
        if self.outcome != "overridden" or (self.reason_code is None and not self.comment_given):
            return None
        return {"system": self.reason_system, "code": self.reason_code, "comment": self.comment_given}


def _timestamp(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str) or "T" not in value:
        raise FeedbackError("outcomeTimestamp must be an ISO 8601 date-time (e.g. 2024-05-01T12:00:00Z)", where)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise FeedbackError("outcomeTimestamp must be an ISO 8601 date-time (e.g. 2024-05-01T12:00:00Z)",
                            where) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _reason(value: Any, where: str) -> tuple[str | None, str | None, bool]:
    if not isinstance(value, dict):
        raise FeedbackError("overrideReason must be an object", where)
    reason, comment = value.get("reason"), value.get("userComment")
    code = system = None
    if reason is not None:
        if not isinstance(reason, dict) or not isinstance(reason.get("code"), str) or not reason["code"].strip():
            raise FeedbackError("overrideReason.reason must be a Coding with a code", f"{where}.reason")
        code = reason["code"].strip()[:100]
        system = reason.get("system")[:200] if isinstance(reason.get("system"), str) else None
    given = isinstance(comment, str) and bool(comment.strip())
    if code is None and not given:
        raise FeedbackError("overrideReason must hold a reason, a userComment or both (cds-fb-3)", where)
    return system, code, given


def _item(value: Any, where: str) -> FeedbackItem:
    if not isinstance(value, dict):
        raise FeedbackError("each feedback entry must be an object", where)
    card = value.get("card")
    if not isinstance(card, str) or not card.strip() or len(card) > 64:
        raise FeedbackError("card must be the uuid of the card", f"{where}.card")
    outcome = value.get("outcome")
    if outcome not in OUTCOMES:
        raise FeedbackError("outcome must be accepted or overridden (cds-fb-1)", f"{where}.outcome")
    accepted: tuple[str, ...] = ()
    if outcome == "accepted":
        suggestions = value.get("acceptedSuggestions")
        if not isinstance(suggestions, list) or not suggestions or not all(
                isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"] for s in suggestions):
            raise FeedbackError("accepted feedback needs acceptedSuggestions: [{\"id\": suggestion uuid}] (cds-fb-2)",
                                f"{where}.acceptedSuggestions")
        accepted = tuple(s["id"][:64] for s in suggestions)
    system = code = None
    given = False
    if value.get("overrideReason") is not None:
        if outcome != "overridden":
            raise FeedbackError("overrideReason is only for overridden cards", f"{where}.overrideReason")
        system, code, given = _reason(value["overrideReason"], f"{where}.overrideReason")
    at = _timestamp(value.get("outcomeTimestamp"), f"{where}.outcomeTimestamp")
    return FeedbackItem(card.strip(), outcome, at, accepted, system, code, given)


def read_feedback(body: Any) -> list[FeedbackItem]:
    """The feedback entries of a request body; FeedbackError names the first problem."""
    if not isinstance(body, dict):
        raise FeedbackError("the body must be a JSON object with a feedback array", "(root)")
    items = body.get("feedback")
    if not isinstance(items, list) or not items:
        raise FeedbackError("feedback must be a non-empty array", "feedback")
    if len(items) > MAX_ITEMS:
        raise FeedbackError(f"at most {MAX_ITEMS} feedback entries per request", "feedback")
    return [_item(item, f"feedback[{i}]") for i, item in enumerate(items)]
