"""Audit search benchmark (`make bench`): `GET /fhir/AuditEvent` searches, in process, on a SQLite log of 1 million
hook-call events (about three hours of hook calls at 100/s).

Set-up: a migrated store with 5 EHR and 30 lab tenants; the events are written with bulk inserts (not the append
path: the chain is not verified here), shaped like the hook calls' (a hook entity with a digest, the client, 25
variants of 200,000 and 12 of the labs as subjects; the EHRs as agents), two seconds apart. Searches go through
``AuditAccess.search`` as an admin and as a lab tenant would: the first page (50), a later page, a tenant with
no events, an entity (a variant id), a date range, a type. Budget asserted: every search's median under
500 ms, whatever the size of the log (each request examines at most one window, VARSHARE_AUDIT_SEARCH_WINDOW's
default of 50,000 events). Before windows, at 1M events the same searches took 1.2 to 9.1 s and grew with the log.

VARSHARE_BENCH_AUDIT_EVENTS sets the size (default 1,000,000). Results: a table on stdout and
bench-results/audit-search.json.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable

import orjson
from sqlalchemy.engine import make_url

from app.services.audit_access import AuditAccess
from app.services.tenants import Caller
from app.store.database import Store
from tests.bench.measurements import percentile

EVENTS = int(os.environ.get("VARSHARE_BENCH_AUDIT_EVENTS", "1000000"))
BUDGET_MS = 500.0
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _build(database: str, labs: list[str], ehrs: list[str], variants: list[str]) -> None:
    rnd = random.Random(20261124)
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        for number in range(1, EVENTS + 1):
            subjects = rnd.sample(labs[:15], 8) + rnd.sample(labs[15:29], 4)  # the last lab is never shown
            entities = [{"type": "hook", "id": "genomic-variant-review", "digest": f"{rnd.getrandbits(256):064x}",
                         "variantsLookedUp": 25, "cardsReturned": 14},
                        {"type": "client", "id": "https://ehr.example/cds", "tenant": "ehr"},
                        *({"type": "variant", "id": v} for v in rnd.sample(variants, 25)),
                        *({"type": "submitter", "id": s} for s in subjects)]
            recorded = (START + dt.timedelta(seconds=2 * number)).strftime("%Y-%m-%d %H:%M:%S.%f")
            connection.execute(
                "INSERT INTO audit_events (id, recorded_at, type, subtype, action, outcome, agent_submitter_id, "
                "agent_client, source, request_id, entities, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (number, recorded, "rest", "search", "E", "0", rnd.choice(ehrs), "EHR", "varshare", None,
                 json.dumps(entities), "0" * 64, f"{rnd.getrandbits(256):064x}"))
            connection.executemany("INSERT INTO audit_event_subjects (event_id, submitter_id) VALUES (?, ?)",
                                   [(number, s) for s in subjects])
            if number % 100_000 == 0:
                connection.execute("COMMIT")
                connection.execute("BEGIN")
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _timed(call: Callable[[], object], count: int = 7) -> tuple[float, object]:
    call()
    times, result = [], None
    for _ in range(count):
        began = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - began) * 1000)
    return percentile(times, 0.5), result


def test_audit_search_stays_bounded_on_a_large_log(bench_target, results_dir):
    target = bench_target("sqlite")
    store = Store(target.database_url, target.linkage_database_url)
    labs = [f"00000000-0000-4000-8000-{i:012d}" for i in range(30)]
    ehrs = [f"00000000-0000-4000-9000-{i:012d}" for i in range(5)]
    variants = [f"00000000-0000-4000-a000-{i:012d}" for i in range(200_000)]
    began = time.perf_counter()
    _build(make_url(target.database_url).database, labs, ehrs, variants)
    built_s = round(time.perf_counter() - began, 1)
    access = AuditAccess(store, "http://127.0.0.1:8080")
    admin = Caller("admin", "Admin", "admin", False)
    lab = Caller(labs[3], "Lab 3", "lab", False)
    rare = Caller(labs[29], "Lab 29", "lab", False)
    day = (START + dt.timedelta(seconds=EVENTS)).date().isoformat()  # a whole day in the middle of the log
    searches = {
        "admin, first page": (admin, []),
        "admin, a page in the middle (cursor)": (admin, [("_cursor", str(EVENTS // 2))]),
        "lab, first page": (lab, []),
        "lab, events of one day": (lab, [("date", day)]),
        "lab with no events, first page": (rare, []),
        "admin, entity (a variant)": (admin, [("entity", variants[7])]),
        "admin, one hour": (admin, [("date", f"ge{day}T10:00:00Z"), ("date", f"lt{day}T11:00:00Z")]),
        "admin, type": (admin, [("type", "search")]),
    }
    rows = {}
    try:
        for name, (caller, params) in searches.items():
            median, page = _timed(lambda c=caller, p=params: access.search(c, [("_count", "50"), *p]))
            rows[name] = {"p50_ms": round(median, 1), "entries": len(page.resources), "total": page.total,
                          "next": page.next_cursor is not None}
    finally:
        store.dispose()
    result = {"events": EVENTS, "build_s": built_s, "window": 50_000, "budget_ms": BUDGET_MS, "searches": rows}
    (results_dir / "audit-search.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"\naudit search on {EVENTS:,} events (built in {built_s} s), medians of 7:")
    for name, row in rows.items():
        print(f"  {name:40s} {row['p50_ms']:8.1f} ms  {row['entries']:3d} entries  total {row['total']}  "
              f"next {'yes' if row['next'] else 'no'}")
    assert rows["admin, first page"]["entries"] == 50 and rows["lab, first page"]["entries"] == 50
    assert rows["lab, events of one day"]["entries"] == 50
    assert rows["lab, events of one day"]["total"] is not None, "one day (43,200 events) fits one window"
    slow = {name: row["p50_ms"] for name, row in rows.items() if row["p50_ms"] > BUDGET_MS}
    assert not slow, f"audit searches over {BUDGET_MS} ms: {slow}"

