"""Recording audit events (in the same unit of work as the change they describe) and verifying the chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from app.audit.events import (
    CREATE,
    GENESIS,
    LOGIN,
    MINOR_FAILURE,
    READ,
    SEARCH,
    SOURCE,
    UPDATE,
    AuditEvent,
    ChainLink,
    chain_hash,
    entity,
    first_broken_link,
    subjects_of,
)
from app.logs import request_id_var
from app.services.failures import store_failures_as_unavailable
from app.store import audit as repo
from app.store.database import Store
from app.store.unit_of_work import UnitOfWork


def record_event(uow: UnitOfWork, event: AuditEvent) -> None:
    """Append ``event`` inside ``uow`` (no change without its event); the current request id is attached.

    Call it last in the unit of work: the chain's lock is held from here to the commit."""
    if event.request_id is None and request_id_var.get():
        event = AuditEvent(event.type, event.subtype, event.action, event.outcome, event.agent_submitter_id,
                           event.agent_client, event.entities, request_id_var.get())
    uow.lock_audit_chain()
    last = repo.last_link(uow.conn)
    previous = last[0] if last else GENESIS
    # Never before the previous event, even when the clock steps back: the log's instants follow its order, so a
    # date range of an audit search is a range of ids.
    recorded_at = max(dt.datetime.now(dt.UTC), last[1]) if last else dt.datetime.now(dt.UTC)
    repo.insert_event(uow.conn, {
        "recorded_at": recorded_at, "type": event.type, "subtype": event.subtype, "action": event.action,
        "outcome": event.outcome, "agent_submitter_id": event.agent_submitter_id, "agent_client": event.agent_client,
        "source": SOURCE, "request_id": event.request_id, "entities": list(event.entities), "prev_hash": previous,
        "hash": chain_hash(previous, recorded_at, event)}, subjects_of(event.entities))


def record_alone(store: Store, event: AuditEvent) -> None:
    """Append an event that describes no stored change (a refusal, a failed authentication) on its own."""
    with store.unit_of_work() as uow:
        record_event(uow, event)


def record_disclosure(store: Store, event: AuditEvent) -> None:
    """Append the event of a read that disclosed shared data, after the read and before the answer leaves.

    Fails closed: when the event cannot be written the caller gets StoreUnavailable (503) instead of the data,
    so nothing is disclosed without its audit event. One insert under the audit chain's own lock."""
    with store_failures_as_unavailable():
        record_alone(store, event)


def _attempted(status: int, method: str, path: str) -> tuple[tuple[str, str], str]:
    """The type/subtype and action of the interaction a refused request attempted."""
    if status == 401:
        return LOGIN, "E"
    if method in ("GET", "HEAD"):
        return READ, "R"
    if path.startswith("/cds-services"):
        return SEARCH, "E"  # a hook call is a query (BALP Query shape)
    if path == "/fhir" or path.startswith("/fhir/"):
        return CREATE, "C"
    return UPDATE, "U"


def record_refusal(store: Store, *, status: int, method: str, path: str, submitter_id: str | None = None,
                   client: str | None = None) -> None:
    """Audit a refused request (401 authentication failure, 403 wrong role, 404 another tenant's object, 429 over
    the limit). Fails closed like a disclosure: StoreUnavailable (503) when the event cannot be written."""
    kind, action = _attempted(status, method, path)
    record_disclosure(store, AuditEvent.of(kind, action, outcome=MINOR_FAILURE, submitter_id=submitter_id,
                                           client=client,
                                           entities=[entity("endpoint", path, method=method, status=status)]))


def _links(store: Store) -> Iterator[ChainLink]:
    with store.reading() as conn:
        for row in repo.event_rows(conn):
            event = AuditEvent(row["type"], row["subtype"], row["action"], row["outcome"], row["agent_submitter_id"],
                               row["agent_client"], tuple(row["entities"] or ()), row["request_id"])
            yield ChainLink(row["id"], row["prev_hash"], row["hash"], row["recorded_at"], event)


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the audit chain."""

    events: int
    broken_at: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(store: Store) -> ChainReport:
    """Walk the whole chain; report the first broken link, if any."""
    with store.reading() as conn:
        count = repo.chain_length(conn)
    broken = first_broken_link(_links(store))
    return ChainReport(count, broken[0] if broken else None, broken[1] if broken else None)
