"""Curation use cases: flagging a submission takes it out of every aggregate (and unflagging puts it back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.audit.events import UPDATE, AuditEvent, entity, submitter
from app.domain.aggregation import DEFAULT_RULES, AggregationRules
from app.domain.curation import FLAG_REASONS, flag_reason_label
from app.services.aggregation import recompute_aggregates
from app.services.audit import record_event
from app.services.failures import store_failures_as_unavailable
from app.services.tenants import Caller
from app.store import submissions as repo
from app.store.database import Store


class CurationError(Exception):
    """A flag request that cannot be carried out; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class FlagResult:
    """The flagged (or unflagged) submission and what it did to the aggregates."""

    submission_id: str
    variant_id: str
    flagged: bool
    reason: str | None
    version: int
    aggregate_changes: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"submission": self.submission_id, "variant": self.variant_id, "flagged": self.flagged,
                "reason": self.reason, "reason_label": flag_reason_label(self.reason), "store_version": self.version,
                "aggregate_changes": self.aggregate_changes}


class Curation:
    """Flag and unflag submission versions."""

    def __init__(self, store: Store, rules: AggregationRules = DEFAULT_RULES) -> None:
        self._store = store
        self._rules = rules

    def set_flag(self, caller: Caller, submission_id: str, *, flagged: bool, reason: str | None = None) -> FlagResult:
        """Flag one current submission version with a reason code, or remove its flag."""
        if flagged and reason not in FLAG_REASONS:
            raise CurationError(400, f"reason must be one of {', '.join(FLAG_REASONS)}")
        with store_failures_as_unavailable(), self._store.unit_of_work() as uow:
            uow.lock_writes()
            row = repo.find_submission(uow.conn, submission_id)
            if row is None:
                raise CurationError(404, "no submission with this id")
            if row["superseded_version"] is not None:
                raise CurationError(409, "this submission version has been superseded; flag the current version")
            if bool(row["flagged"]) == flagged:
                raise CurationError(409, "the submission is already flagged" if flagged else "the submission is not "
                                                                                             "flagged")
            version = uow.bump_version("flag" if flagged else "unflag", caller.submitter_id,
                                       {"submission": submission_id, "reason": reason})
            repo.set_flag(uow.conn, submission_id, flagged=flagged, reason=reason, by=caller.submitter_id,
                          version=version)
            record_event(uow, AuditEvent.of(UPDATE, "U", submitter_id=caller.submitter_id, client=caller.name,
                                            entities=[entity("submission", submission_id, flagged=flagged,
                                                             reason=reason, storeVersion=version),
                                                      entity("variant", row["variant_id"]),
                                                      submitter(row["submitter_id"])]))
            changes = recompute_aggregates(uow.conn, [row["variant_id"]], version, "flag" if flagged else "unflag",
                                           submission_id, self._rules)
        return FlagResult(submission_id, row["variant_id"], flagged, reason if flagged else None, version,
                          [{"condition_key": c.key[1], "old": c.old["classification"] if c.old else None,
                            "new": c.new["classification"] if c.new else None} for c in changes])
