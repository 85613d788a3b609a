"""Rate limits per tenant, per CDS client and per address: 429 with Retry-After in each area's error shape, one
audit event per key and window, and another tenant unaffected at the same time (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import select

from app.config import ConfigError, load_settings
from app.store.tables import audit_events
from tests.api.cds_harness import CdsWorld
from tests.api.cds_world import hook_request
from tests.api.fhir_client import fixture, post
from tests.conftest import LiveServer, empty_all_tables, settings_for

LOW = {"rate_limit_read": "3/minute", "rate_limit_ingest": "1/minute", "rate_limit_unauthenticated": "2/minute"}


@pytest.fixture
def limited(migrated_target, tmp_path):
    from app import create_app

    app = create_app(settings_for(migrated_target, tmp_path, **LOW))
    empty_all_tables(app.extensions["varshare"].store)
    server = LiveServer(app).start()
    yield server
    server.stop()
    app.extensions["varshare"].store.dispose()


def _get(server, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(server.url + path, headers=headers, timeout=10)


def _refusals(app) -> list[dict]:
    with app.extensions["varshare"].store.reading() as conn:
        rows = conn.execute(select(audit_events).where(audit_events.c.outcome == "4")).mappings().all()
    return [dict(r) for r in rows if any(e.get("status") == 429 for e in r["entities"])]


def test_a_tenant_over_its_limit_gets_429_and_another_tenant_does_not(limited):
    tenants = limited.app.extensions["varshare"].tenants
    busy, quiet = tenants.add("Busy Reader", "reader")[1], tenants.add("Quiet Reader", "reader")[1]
    assert [_get(limited, "/api/whoami", busy).status_code for _ in range(3)] == [200, 200, 200]
    refused = _get(limited, "/api/whoami", busy)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "throttled"
    assert _get(limited, "/api/whoami", quiet).status_code == 200
    assert _get(limited, "/api/whoami", busy).status_code == 429
    events = _refusals(limited.app)
    assert len(events) == 1, "one audit event per tenant and window, not one per refused request"
    assert events[0]["agent_client"] == "Busy Reader" and events[0]["subtype"] == "read"


def test_submissions_are_limited_per_submitter_with_an_operation_outcome(limited):
    tenants = limited.app.extensions["varshare"].tenants
    lab = tenants.add("Lab", "lab")[1]
    assert post(limited, "/fhir/Bundle", fixture("synthetic/grch38-spdi.json"), lab).status_code == 201
    refused = post(limited, "/fhir/Bundle", fixture("synthetic/grch38-spdi.json"), lab)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    outcome = refused.json()
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "throttled"
    assert _refusals(limited.app)[0]["subtype"] == "create"


def test_calls_without_credentials_are_limited_per_address(limited):
    statuses = [_get(limited, "/api/whoami").status_code for _ in range(2)]
    assert statuses == [401, 401]
    refused = _get(limited, "/api/whoami", "vs_wrong_token_000000000000000000000")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert _get(limited, "/fhir/metadata").status_code == 429  # public API endpoints count per address too
    assert _get(limited, "/healthz").status_code == 200  # probes are never limited


def test_cds_clients_are_limited_per_client(migrated_target, tmp_path):
    world = CdsWorld(migrated_target, tmp_path, seed=False, rate_limit_hooks="2/minute",
                     rate_limit_discovery="1/minute")
    try:
        body = hook_request("patient-view", "p-upgrade")
        statuses = [world.hook("genomic-variant-review", body).status_code for _ in range(2)]
        assert statuses == [200, 200]
        refused = world.hook("genomic-variant-review", body)
        assert refused.status_code == 429 and refused.headers["Retry-After"]
        assert refused.json()["resourceType"] == "OperationOutcome"
        assert refused.headers["Content-Type"].startswith("application/json")
        assert world.call("/cds-services", method="GET").status_code == 200  # discovery has its own limit
        assert world.call("/cds-services", method="GET").status_code == 429
    finally:
        world.stop()


def test_limits_are_checked_at_startup():
    with pytest.raises(ConfigError, match="VARSHARE_RATE_LIMIT_READ"):
        load_settings({"mode": "test", "rate_limit_read": "lots"}, environ={})
    with pytest.raises(ConfigError, match="VARSHARE_RATE_LIMIT_STORAGE"):
        load_settings({"mode": "test", "rate_limit_storage": "localhost"}, environ={})
    production = load_settings({"linkage_key": "x" * 40}, environ={})
    assert (production.rate_limit_hooks, production.rate_limit_ingest, production.rate_limit_discovery,
            production.rate_limit_unauthenticated) == ("20/second", "60/minute", "10/minute", "60/minute")


def test_the_in_process_storage_starts_no_thread_per_call(migrated_target, tmp_path, monkeypatch):
    from app import create_app
    from app.api.rate_limit_storage import LazyExpiryMemoryStorage

    app = create_app(settings_for(migrated_target, tmp_path, rate_limit_storage="memory://"))
    limits = app.extensions["varshare.rate_limits"]
    assert isinstance(limits.strategy.storage, LazyExpiryMemoryStorage)
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread), start(thread))[1])
    for _ in range(20):  # calls 12 ms apart: limits' MemoryStorage started a new 10 ms timer thread for each
        assert limits.over("hooks", "client") is None
        time.sleep(0.012)
    assert started == []
    app.extensions["varshare"].store.dispose()
