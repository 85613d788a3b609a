"""The audit append's fast path (statements built once, every subject in one multi-row insert) stores exactly what
SQLAlchemy's general statements store, keeps the chain's hash format, and builds chains that verify on both engines.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import OperationalError

from app.audit.events import GENESIS, SEARCH, SOURCE, AuditEvent, chain_hash, entity, subjects_of, submitter
from app.services.audit import record_disclosure, record_event, verify_chain
from app.services.failures import StoreUnavailable
from app.store import audit as repo
from app.store.database import Store
from app.store.tables import audit_event_subjects, audit_events

AT = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


def _hook_event(subjects: int, variants: int = 25, *, request_id: str | None = None) -> AuditEvent:
    """An event shaped like a CDS hook call's (see app.services.cds), with awkward text in one entity."""
    return AuditEvent.of(SEARCH, "E", submitter_id="sub-0", client="Client Hospital", request_id=request_id, entities=[
        entity("hook", "genomic-variant-review", hookInstance="d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
               digest="ab" * 32, variantsLookedUp=variants, cardsReturned=variants // 2),
        entity("client", None),
        entity("variant", "NM_007294.4:c.5266dupC", note='é "quoted", \\ : x'),
        *(entity("variant", f"var-{i}") for i in range(variants)),
        *(submitter(f"sub-{i}") for i in range(subjects)),
        *(submitter(f"sub-{i}") for i in range(min(subjects, 2))),  # repeated: stored once
    ])


def _row(event: AuditEvent, previous: str) -> dict[str, Any]:
    return {"recorded_at": AT, "type": event.type, "subtype": event.subtype, "action": event.action,
            "outcome": event.outcome, "agent_submitter_id": event.agent_submitter_id,
            "agent_client": event.agent_client, "source": SOURCE, "request_id": event.request_id,
            "entities": list(event.entities), "prev_hash": previous, "hash": chain_hash(previous, AT, event)}


def _general_insert(conn: Connection, row: dict[str, Any], subjects: Sequence[str]) -> int:
    """The append as it was written before the fast path: statements built per call, subjects by executemany."""
    event_id = int(conn.execute(insert(audit_events).values(**row)).inserted_primary_key[0])
    if subjects:
        conn.execute(insert(audit_event_subjects), [{"event_id": event_id, "submitter_id": s} for s in subjects])
    return event_id


_STORED_EVENT = text(
    "SELECT CAST(recorded_at AS TEXT) AS recorded_at, type, subtype, action, outcome, agent_submitter_id, "
    "agent_client, source, request_id, CAST(entities AS TEXT) AS entities, prev_hash, hash "
    "FROM audit_events WHERE id = :id")
_STORED_SUBJECTS = text("SELECT event_id, submitter_id FROM audit_event_subjects WHERE event_id = :id")


def _stored(conn: Connection, event_id: int) -> tuple[dict[str, Any], list[str]]:
    """The event's row as the database holds it (text, not decoded values) and its subjects."""
    row = dict(conn.execute(_STORED_EVENT, {"id": event_id}).mappings().one())
    subjects = conn.execute(_STORED_SUBJECTS, {"id": event_id}).all()
    assert all(found_id == event_id for found_id, _ in subjects)
    return row, sorted(s for _, s in subjects)


def _written_and_rolled_back(store, write: Callable[..., int], row: dict[str, Any], subjects: Sequence[str]
                             ) -> tuple[dict[str, Any], list[str]]:
    with store.engine.connect() as conn:
        transaction = conn.begin()
        try:
            return _stored(conn, write(conn, row, subjects))
        finally:
            transaction.rollback()


@pytest.mark.parametrize("subjects", [0, 1, 9, repo.SUBJECTS_PER_STATEMENT, 2 * repo.SUBJECTS_PER_STATEMENT + 1])
def test_the_fast_append_stores_what_the_general_statements_store(store, subjects):
    event = _hook_event(subjects, request_id="req-1")
    row, wanted = _row(event, "cd" * 32), subjects_of(event.entities)
    general = _written_and_rolled_back(store, _general_insert, row, wanted)
    fast = _written_and_rolled_back(store, repo.insert_event, row, wanted)
    assert fast == general
    assert fast[1] == sorted(f"sub-{i}" for i in range(subjects))
    assert fast[0]["entities"] == json.dumps(list(event.entities))  # the text searches match on


def test_the_chain_hash_format_is_unchanged():
    """Stored chains must keep verifying: the hash of a fixed event is pinned (computed before the fast path)."""
    event = AuditEvent.of(SEARCH, "E", submitter_id="sub-a", client="Client Hospital", request_id="req-1", entities=[
        entity("hook", "genomic-variant-review", hookInstance="d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
               digest="ab" * 32, variantsLookedUp=2, cardsReturned=1),
        entity("client", None), entity("variant", "NM_007294.4:c.5266dupC", note='é "quoted", \\ : x'),
        submitter("sub-a"), submitter("sub-b")])
    first = chain_hash(GENESIS, AT, event)
    assert first == "be87917da8ee4718ef8c4a6250937e8ad08a1b7e38dc77e58888ff3d32ca0cc6"
    assert chain_hash(first, AT + dt.timedelta(microseconds=1), event) == (
        "b09d3ba29ff7fa9b2ee2f735e5de92bb45c88340a65cab9da8f8bddd06c17b53")


def test_many_fast_appends_build_a_chain_that_verifies(store):
    appended = 0
    for i in range(150):
        record_disclosure(store, _hook_event(i % 13, variants=i % 30))
        appended += 1
        if i % 25 == 0:  # an append rolled back with its unit of work leaves no trace in the chain
            with pytest.raises(RuntimeError), store.unit_of_work() as uow:
                record_event(uow, _hook_event(3))
                raise RuntimeError("the change fails")
    report = verify_chain(store)
    assert report.intact and report.events == appended
    with store.reading() as conn:
        events = conn.execute(select(audit_events.c.id, audit_events.c.entities)).all()
        subjects = conn.execute(select(audit_event_subjects.c.event_id, audit_event_subjects.c.submitter_id)).all()
    found: dict[int, list[str]] = defaultdict(list)
    for event_id, subject in subjects:
        found[event_id].append(subject)
    assert {i: sorted(subjects_of(e)) for i, e in events if subjects_of(e)} == {i: sorted(s) for i, s in found.items()}


def test_an_append_whose_subjects_cannot_be_written_leaves_nothing(store, monkeypatch):
    record_disclosure(store, _hook_event(2))

    def refuse(*_args, **_kwargs):
        raise OperationalError("INSERT INTO audit_event_subjects", {}, Exception("disk I/O error"))

    monkeypatch.setattr(repo, "_insert_subjects", refuse)
    with pytest.raises(StoreUnavailable):  # fails closed: the event row inserted before it is rolled back too
        record_disclosure(store, _hook_event(3))
    monkeypatch.undo()
    record_disclosure(store, _hook_event(4))
    report = verify_chain(store)
    assert report.intact and report.events == 2
    with store.reading() as conn:
        assert len(conn.execute(select(audit_event_subjects)).all()) == 2 + 4


def test_a_hook_event_append_writes_few_pages(new_target):
    """Every hook call appends an event that concerns a dozen institutions. On SQLite each page an append changes is
    written to the WAL at commit and copied back at the checkpoint, under the one write lock: the append must change
    a handful of pages (about 6 here), not one per subject per index (about 20 here before migration 0006)."""
    target = new_target("sqlite")
    store = Store(target.database_url, target.linkage_database_url)
    try:
        store.upgrade()
        labs = [f"lab-{i:02d}" for i in range(23)]

        def append(number: int) -> None:
            subjects = [labs[(number * 7 + k * 5) % len(labs)] for k in range(12)]
            event = _hook_event(0)
            record_disclosure(store, AuditEvent.of(SEARCH, "E", submitter_id="ehr-1", client="Client Hospital",
                                                   entities=[*event.entities, *(submitter(s) for s in subjects)]))

        for number in range(600):  # a log deep enough for interior pages and splits
            append(number)
        wal = Path(target.database_url.removeprefix("sqlite:///") + "-wal")
        with store.engine.connect() as conn:
            driver = conn.connection.driver_connection
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            page_size = driver.execute("PRAGMA page_size").fetchone()[0]
        assert wal.stat().st_size == 0
        for number in range(600, 800):
            append(number)
        frames = wal.stat().st_size / (page_size + 24)  # each WAL frame: a 24-byte header and one page
        assert frames / 200 <= 10, f"{frames / 200:.1f} pages written per append"
    finally:
        store.dispose()
