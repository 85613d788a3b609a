"""Audit search examines at most one window of the log per request, on SQLite and PostgreSQL: following the cursors
finds exactly what one unbounded scan would, in the same order; the total is given only when one window holds the
whole search; date bounds become id bounds, which needs the log's instants never to decrease."""

from __future__ import annotations

import datetime as dt
import types

import pytest
from sqlalchemy import select, update

from app.audit.events import SEARCH, AuditEvent, entity, submitter
from app.services import audit as audit_service
from app.services.audit import record_alone, verify_chain
from app.store.audit import EventFilter, search_events
from app.store.tables import audit_events

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
}


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize(("limit", "window"), [(4, 7), (50, 7), (3, 1000)])
def test_following_the_cursors_finds_what_one_scan_finds(store, log, name, limit, window):
    wanted = FILTERS[name]
    expected = _expected(store, wanted)
    seen, totals = _walk(store, wanted, limit, window)
    assert seen == expected  # newest first, each once, none missed
    if window < len(log) and not wanted.dates:
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
