"""Audit search examines at most one window of the log per request, on SQLite and PostgreSQL: following the cursors
finds exactly what one unbounded scan would, in the same order; the total is given only when one window holds the
whole search; date bounds become id bounds, which needs the log's instants never to decrease."""

from __future__ import annotations

import datetime as dt
import types

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from app.audit.events import SEARCH, AuditEvent, entity, submitter
from app.services import audit as audit_service
from app.services.audit import record_alone, verify_chain
from app.store import database
from app.store.audit import EventFilter, indexed_through, search_events
from app.store.tables import audit_events, audit_subject_index

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _event(number: int) -> AuditEvent:
    """Event ``number``: agent ehr-(n % 3), concerning lab-(n % 4) (and every institution when n % 10 == 0),
    naming variant v-(n % 5)."""
    subjects = ["*"] if number % 10 == 0 else [f"lab-{number % 4}"]
    return AuditEvent.of(SEARCH, "E", submitter_id=f"ehr-{number % 3}", client="Client Hospital", entities=[
        entity("hook", "genomic-variant-review", variantsLookedUp=number), entity("variant", f"v-{number % 5}"),
        *(submitter(s) for s in subjects)])


@pytest.fixture
def log(store):
    """37 events recorded one minute apart from T0; their ids in order."""
    for number in range(37):
        record_alone(store, _event(number))
    with store.engine.begin() as conn:
        ids = conn.execute(select(audit_events.c.id).order_by(audit_events.c.id)).scalars().all()
        for minute, event_id in enumerate(ids):  # spread the instants (the chain is not verified here)
            conn.execute(update(audit_events).where(audit_events.c.id == event_id)
                         .values(recorded_at=T0 + dt.timedelta(minutes=minute)))
    return ids


def _walk(store, wanted: EventFilter, limit: int, window: int) -> tuple[list[int], list[object]]:
    """Every page's ids by following the cursors, and the total each page gave."""
    seen: list[int] = []
    totals: list[object] = []
    cursor = None
    for _ in range(200):
        with store.reading() as conn:
            page = search_events(conn, EventFilter(**{**vars(wanted), "before_id": cursor}), limit, window)
        assert len(page.rows) <= limit
        seen += [row["id"] for row in page.rows]
        totals.append(page.total)
        cursor = page.next_before_id
        if cursor is None:
            return seen, totals
    raise AssertionError("the cursors never ended")


def _expected(store, wanted: EventFilter) -> list[int]:
    """The matching ids newest first, by one unbounded scan."""
    with store.reading() as conn:
        page = search_events(conn, wanted, 10_000, window=10**9)
    assert page.next_before_id is None
    return [row["id"] for row in page.rows]


FILTERS = {
    "everything": EventFilter(),
    "a tenant's view": EventFilter(visible_to=("lab-1", "*")),
    "a sparse tenant": EventFilter(visible_to=("ehr-2",)),
    "an entity": EventFilter(entity_ids=("v-3",)),
    "a date range": EventFilter(dates=(("ge", T0 + dt.timedelta(minutes=5)), ("lt", T0 + dt.timedelta(minutes=29)))),
    "an agent within dates": EventFilter(agents=("ehr-0",), dates=(("lt", T0 + dt.timedelta(minutes=20)),)),
    "nothing matches": EventFilter(agents=("nobody",)),
    "a tenant within dates": EventFilter(visible_to=("lab-2", "*"), dates=(("ge", T0 + dt.timedelta(minutes=3)),
                                                                           ("lt", T0 + dt.timedelta(minutes=33)))),
    "a tenant's entity": EventFilter(visible_to=("lab-1", "*"), entity_ids=("v-1", "v-0")),
    "a tenant's agent": EventFilter(visible_to=("lab-3", "*"), agents=("ehr-1",)),
}


@pytest.mark.parametrize("indexed", [0, 18, 1000], ids=["not indexed", "half indexed", "indexed"])
@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize(("limit", "window"), [(4, 7), (50, 7), (3, 1000)])
def test_following_the_cursors_finds_what_one_scan_finds(store, log, name, limit, window, indexed):
    """Whatever the filter, page size, window and how far the subjects are indexed by institution."""
    wanted = FILTERS[name]
    expected = _expected(store, wanted)
    if indexed:
        assert store.index_audit(indexed) == log[min(indexed, len(log)) - 1]
    seen, totals = _walk(store, wanted, limit, window)
    assert seen == expected  # newest first, each once, none missed
    if window < len(log) and not wanted.dates and wanted.visible_to is None:
        assert len(totals) >= len(log) // window, "each page examined at most one window"
    assert all(total is None for total in totals[1:])  # later pages never count
    if totals[0] is not None:
        assert totals[0] == len(expected)


def test_the_total_is_counted_only_when_one_window_holds_the_search(store, log):
    with store.reading() as conn:
        whole = search_events(conn, EventFilter(visible_to=("lab-1", "*")), 2, window=1000)
        spanning = search_events(conn, EventFilter(visible_to=("lab-1", "*")), 2, window=10)
        dated = search_events(conn, FILTERS["a date range"], 2, window=30)
    assert whole.total == len(_expected(store, EventFilter(visible_to=("lab-1", "*")))) and whole.next_before_id
    assert spanning.total is None and spanning.next_before_id
    assert dated.total == 24, "the date bounds narrowed the ids to 24 events: one window of 30 holds them"


def test_a_sparse_search_answers_short_pages_with_a_cursor_below_its_window(store, log):
    with store.reading() as conn:
        page = search_events(conn, EventFilter(agents=("nobody",)), 5, window=10)
    assert page.rows == [] and page.total is None
    assert page.next_before_id == log[-10], "the next page starts below the ten ids examined"
    with store.reading() as conn:
        oldest = search_events(conn, EventFilter(agents=("nobody",), before_id=log[5]), 5, window=10)
    assert (oldest.rows, oldest.next_before_id) == ([], None), "the walk ends at the oldest event"


def test_date_bounds_become_id_bounds(store, log):
    wanted = EventFilter(dates=(("ge", T0 + dt.timedelta(minutes=5)), ("lt", T0 + dt.timedelta(minutes=8))))
    with store.reading() as conn:
        page = search_events(conn, wanted, 50, window=3)  # three ids hold the range: one window, counted
        before = search_events(conn, EventFilter(dates=(("lt", T0),)), 50, window=3)
        after = search_events(conn, EventFilter(dates=(("ge", T0 + dt.timedelta(days=1)),)), 50, window=3)
    assert [row["id"] for row in page.rows] == [log[7], log[6], log[5]] and page.total == 3
    assert page.next_before_id is None
    assert (before.rows, before.total, before.next_before_id) == ([], 0, None)
    assert (after.rows, after.total, after.next_before_id) == ([], 0, None)


def test_an_event_is_never_recorded_before_its_predecessor(store, monkeypatch):
    """A clock that steps back (NTP) does not make the log's instants decrease: date ranges stay id ranges."""
    record_alone(store, _event(1))
    ahead = dt.datetime.now(dt.UTC)

    class SteppedBack(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return ahead - dt.timedelta(hours=1)

    monkeypatch.setattr(audit_service, "dt", types.SimpleNamespace(datetime=SteppedBack, UTC=dt.UTC))
    record_alone(store, _event(2))
    with store.reading() as conn:
        first, second = conn.execute(select(audit_events.c.recorded_at).order_by(audit_events.c.id)).scalars().all()
    assert second == first, "the stepped-back event takes its predecessor's instant"
    assert verify_chain(store).intact


def test_a_tenant_seldom_concerned_finds_its_events_through_the_index(store, log):
    """Two events of 39 concern lab-9: walking ids, a window of 7 finds nothing on the first pages; once indexed by
    institution, the first page has both and their total."""
    record_alone(store, AuditEvent.of(SEARCH, "E", submitter_id="ehr-0", client="Client Hospital",
                                      entities=[submitter("lab-9")]))
    for number in range(2):
        record_alone(store, _event(number + 1))
    wanted = EventFilter(visible_to=("lab-9", "*"))
    expected = _expected(store, wanted)
    assert len(expected) == 5  # the lab-9 event and the four concerning every institution ("*")
    with store.reading() as conn:
        walked = search_events(conn, wanted, 10, window=7)
    assert walked.total is None and walked.next_before_id is not None and len(walked.rows) < 5
    store.index_audit()
    with store.reading() as conn:
        indexed = search_events(conn, wanted, 10, window=7)
    assert [row["id"] for row in indexed.rows] == expected and indexed.total == 5 and indexed.next_before_id is None


def test_events_after_the_indexed_ones_are_walked_by_id(store, log):
    """The newest events, appended after the last indexing step, are found too: the search walks them by id, then
    the indexed ones through the index."""
    store.index_audit()
    for number in range(40, 46):
        record_alone(store, _event(number))
    wanted = EventFilter(visible_to=("lab-1", "*"))
    with store.reading() as conn:
        page = search_events(conn, wanted, 100, window=50)
    assert [row["id"] for row in page.rows] == _expected(store, wanted) and page.total == len(page.rows)
    assert page.rows[0]["id"] > log[-1], "an event appended after indexing comes first"


def test_answers_index_the_new_events_at_most_every_interval(store, monkeypatch, caplog):
    """Store.after_response (run once each answer has left) indexes the newest events' subjects, at most every
    INDEX_EVERY_S per process; a failing step is logged, never raised into the closing response, and the next
    one catches up."""
    record_alone(store, _event(1))
    store.after_response()  # the first call of a process indexes at once
    with store.reading() as conn:
        first = indexed_through(conn)
    assert first > 0
    record_alone(store, _event(2))
    store.after_response()  # within INDEX_EVERY_S: nothing yet
    with store.reading() as conn:
        assert indexed_through(conn) == first
    monkeypatch.setattr(database, "INDEX_EVERY_S", 0.0)

    def broken(conn, batch):
        raise OperationalError("INSERT INTO audit_subject_index", {}, Exception("database is locked"))

    monkeypatch.setattr(database.audit, "index_subjects", broken)
    with caplog.at_level("WARNING", logger="varshare.store"):
        store.after_response()
    assert "audit indexing failed" in [r.getMessage() for r in caplog.records]
    monkeypatch.undo()
    monkeypatch.setattr(database, "INDEX_EVERY_S", 0.0)
    store.after_response()
    with store.reading() as conn:
        newest = conn.execute(select(audit_events.c.id).order_by(audit_events.c.id.desc()).limit(1)).scalar()
        assert indexed_through(conn) == newest
        indexed = conn.execute(select(audit_subject_index.c.event_id, audit_subject_index.c.submitter_id)).all()
    assert sorted(indexed) == sorted([(first, "lab-1"), (newest, "lab-2")])
