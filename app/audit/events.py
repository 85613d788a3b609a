"""Audit events: who did what to which shared data, when, from where, with what outcome.

Modelled on FHIR AuditEvent and the IHE Basic Audit Log Patterns. Events carry ids, pseudonyms, counts and
digests only: never patient data, identifiers or tokens. Each event stores the hash of the previous one, so
the log is a chain in which any changed, removed or inserted row is detectable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

GENESIS = "0" * 64
SOURCE = "varshare"

# type/subtype pairs (FHIR audit-event-type / restful-interaction and DICOM codes, as BALP uses them)
IMPORT = ("110107", "disclose")  # DCM Import: a report accepted into the shared store
EXPORT = ("110106", "disclose")  # DCM Export: a release written
CREATE = ("rest", "create")
UPDATE = ("rest", "update")
DELETE = ("rest", "delete")
SEARCH = ("rest", "search")
READ = ("rest", "read")
OPERATION = ("rest", "operation")  # a FHIR operation that changes nothing ($validate)
LOGIN = ("110114", "authenticate")  # DCM User Authenticated (failures)

SUCCESS, MINOR_FAILURE, SERIOUS_FAILURE = "0", "4", "8"

SUBMITTER = "submitter"  # entity kind naming an institution whose submissions or cases an event touched
ALL_SUBMITTERS = "*"  # a disclosure of the whole store (a release file): it concerns every institution


@dataclass(frozen=True)
class AuditEvent:
    """One audit event before it joins the chain."""

    type: str
    subtype: str | None
    action: str  # C R U D E
    outcome: str  # 0 success, 4 minor failure (4xx), 8 serious failure (5xx)
    agent_submitter_id: str | None
    agent_client: str | None  # the tenant's name, or a client's iss
    entities: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # {"type": ..., "id": ...} or counts
    request_id: str | None = None

    @classmethod
    def of(cls, kind: tuple[str, str], action: str, *, outcome: str = SUCCESS, submitter_id: str | None = None,
           client: str | None = None, entities: Iterable[dict[str, Any]] = (), request_id: str | None = None
           ) -> AuditEvent:
        """Build an event from a type/subtype pair."""
        return cls(kind[0], kind[1], action, outcome, submitter_id, client, tuple(entities), request_id)


def entity(kind: str, identifier: str | None = None, **details: Any) -> dict[str, Any]:
    """An entity reference: a kind (variant, submission, case, report, release, tenant, ...), an id, details."""
    found: dict[str, Any] = {"type": kind}
    if identifier is not None:
        found["id"] = identifier
    found.update({k: v for k, v in details.items() if v is not None})
    return found


def submitter(submitter_id: str) -> dict[str, Any]:
    """The entity saying that ``submitter_id``'s submissions or cases were touched (drives tenant audit access)."""
    return {"type": SUBMITTER, "id": submitter_id}


def subjects_of(entities: Iterable[dict[str, Any]]) -> list[str]:
    """The institutions an event concerns: the ids of its submitter entities, each once, in order."""
    return list(dict.fromkeys([e["id"] for e in entities if e.get("type") == SUBMITTER and e.get("id")]))


def chain_hash(previous: str, recorded_at: dt.datetime, event: AuditEvent) -> str:
    """The hash of an event in the chain: SHA-256 over the previous hash and the event's canonical JSON."""
    body = {
        "previous": previous, "recorded": recorded_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "type": event.type, "subtype": event.subtype, "action": event.action, "outcome": event.outcome,
        "agent": event.agent_submitter_id, "client": event.agent_client, "source": SOURCE,
        "request": event.request_id, "entities": list(event.entities),
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """A stored event as the verifier reads it."""

    id: int
    previous: str
    hash: str
    recorded_at: dt.datetime
    event: AuditEvent


def first_broken_link(links: Iterable[ChainLink]) -> tuple[int, str] | None:
    """(event id, why) of the first link that does not verify, or None when the whole chain holds."""
    expected_previous = GENESIS
    for link in links:
        if link.previous != expected_previous:
            return link.id, "its previous-hash does not match the event before it (a row was removed or inserted)"
        if chain_hash(link.previous, link.recorded_at, link.event) != link.hash:
            return link.id, "its content does not match its hash (the row was changed)"
        expected_previous = link.hash
    return None
