"""Hypothesis fuzzes the search parameters of ``GET /fhir/AuditEvent`` (and the id of ``/fhir/AuditEvent/{id}``)
over real HTTP: random names and values, FHIR-date-like values at the edges of the calendar, huge and non-ASCII
digit strings, and wholly random query strings. No answer is a server error; every answer is FHIR JSON, a
searchset Bundle or an OperationOutcome."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.sandbox.demo_tenants import DEMO_TENANTS
from app.services.audit_access import PARAMETERS
from tests.api.cds_harness import CdsWorld

TOKENS = {tenant.role: tenant.token for tenant in DEMO_TENANTS}
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

DIGITS = st.one_of(st.integers(-(2**80), 2**80).map(str), st.sampled_from(["²", "١٢", "0", "00", "9" * 30, "-0"]))
DATES = st.builds(
    lambda prefix, year, month, day, clock: prefix + year + month + day + clock,
    st.sampled_from(["", "eq", "ge", "le", "gt", "lt", "ne", "sa"]),
    st.sampled_from(["0000", "0001", "1970", "2026", "9999", "99999", "20"]),
    st.sampled_from(["", "-01", "-12", "-13", "-00", "-1"]),
    st.sampled_from(["", "-01", "-31", "-32", "-00"]),
    st.sampled_from(["", "T23:59:59Z", "T23:59:59.999999+14:00", "T00:00:00-14:00", "T25:00", "T12:00",
                     "T23:59:59", "T:", "T1"]))
VALUES = st.one_of(st.text(max_size=20), DIGITS, DATES, st.sampled_from(["", ",", ",,1,", "Demo Lab Alpha",
                                                                          "hook,ingest", "\x00", "%", "&"]))
NAMES = st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=8))


@pytest.fixture(scope="module")
def world(migrated_target, tmp_path_factory):
    served = CdsWorld(migrated_target, tmp_path_factory.mktemp("fuzz-audit"))
    yield served
    served.stop()


def _check(response: requests.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    if response.status_code == 200:
        assert body["resourceType"] in ("Bundle", "AuditEvent")
    else:
        assert body["resourceType"] == "OperationOutcome"


@FUZZ
@given(params=st.lists(st.tuples(NAMES, VALUES), max_size=4), role=st.sampled_from(["reader", "admin", "lab"]))
def test_fuzzed_audit_searches_never_cause_a_server_error(world, params, role):
    headers = {"Authorization": f"Bearer {TOKENS[role]}"}
    _check(requests.get(f"{world.server.url}/fhir/AuditEvent?{urlencode(params)}", headers=headers, timeout=30))


@FUZZ
@given(query=st.text(max_size=40), event_id=st.one_of(DIGITS, st.text(min_size=1, max_size=12)))
def test_random_query_strings_and_ids_never_cause_a_server_error(world, query, event_id):
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
    _check(requests.get(f"{world.server.url}/fhir/AuditEvent?{quote(query, safe='=&,:')}", headers=headers,
                        timeout=30))
    response = requests.get(f"{world.server.url}/fhir/AuditEvent/{quote(event_id, safe='')}", headers=headers,
                            timeout=30)
    if response.status_code != 404 or response.headers["Content-Type"].startswith("application/fhir+json"):
        _check(response)


@pytest.mark.parametrize("query", [
    "date=9999", "date=9999-12", "date=9999-12-31", "date=gt9999-12-31", "date=9999-12-31T23:59:59Z",
    "date=0001-01-01T00:00:00%2B14:00", "_id=%C2%B2", "_id=99999999999999999999", f"_cursor={2**70}",
    "_count=%D9%A1%D9%A2%D9%A3%D9%A4", "entity=%00", "type=a%00b", "agent=%00"])
def test_out_of_range_and_nul_search_values_are_refused_not_crashed(world, query):
    """Regressions: these answered 500 (date arithmetic overflowing at year 9999 or year 1 with an offset,
    non-ASCII digits passing isdigit(), integers beyond 64 bits reaching the database, NUL reaching PostgreSQL)."""
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
    response = requests.get(f"{world.server.url}/fhir/AuditEvent?{query}", headers=headers, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("event_id", ["%C2%B2", "99999999999999999999", "%D9%A1"])
def test_non_ids_of_audit_events_are_not_found(world, event_id):
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"}
    response = requests.get(f"{world.server.url}/fhir/AuditEvent/{event_id}", headers=headers, timeout=30)
    assert response.status_code == 404, response.text
