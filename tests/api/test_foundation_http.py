"""The service over real HTTP: probes, authentication, roles, errors, headers and request ids."""

import logging

import pytest
import requests

from app import StartupError, create_app
from app.store.database import Store
from tests.conftest import ENGINES, LiveServer, settings_for


@pytest.fixture
def tokens(app):
    tenants = app.extensions["varshare"].tenants
    issued = {}
    for name, role in (("Lab", "lab"), ("Reader", "reader"), ("Admin", "admin"), ("Gone", "lab")):
        issued[role if name != "Gone" else "disabled"] = tenants.add(name, role)[1]
    tenants.set_disabled("Gone", True)
    return issued


def _get(live, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(live.url + path, headers=headers, timeout=10, **kwargs)


def test_liveness_and_readiness(live):
    assert _get(live, "/healthz").json() == {"status": "ok"}
    ready = _get(live, "/readyz")
    assert ready.status_code == 200
    assert ready.json()["schema"]["shared"]["ok"] and ready.json()["schema"]["vault"]["ok"]


@pytest.mark.parametrize("path", ["/api/whoami", "/api/tenants"])
def test_missing_and_invalid_tokens_get_401_with_a_challenge(live, tokens, path):
    for headers in ({}, {"Authorization": "Bearer vs_not_a_real_token_at_all_000000"}, {"Authorization": "Basic eA=="},
                    {"Authorization": "Bearer"}):
        response = _get(live, path, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "login"


def test_disabled_tenant_is_refused(live, tokens):
    assert _get(live, "/api/whoami", tokens["disabled"]).status_code == 401


def test_wrong_role_gets_403(live, tokens):
    for role in ("lab", "reader"):
        response = _get(live, "/api/tenants", tokens[role])
        assert response.status_code == 403
        assert "admin" in response.json()["error"]["message"]


def test_right_role_gets_through(live, tokens):
    me = _get(live, "/api/whoami", tokens["lab"]).json()
    assert me["tenant"] == "Lab" and me["role"] == "lab" and me["demo"] is False
    listed = _get(live, "/api/tenants", tokens["admin"]).json()["tenants"]
    assert {t["name"] for t in listed} == {"Lab", "Reader", "Admin", "Gone"}
    assert all("token" not in key for t in listed for key in t)


def test_errors_are_json_without_stack_traces(live):
    response = _get(live, "/no/such/thing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not-found"
    response = requests.delete(live.url + "/healthz", timeout=10)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    fhir = _get(live, "/fhir/Nothing")
    assert fhir.status_code == 404 and fhir.json()["resourceType"] == "OperationOutcome"
    assert fhir.headers["Content-Type"].startswith("application/fhir+json")


def test_request_ids_and_security_headers(live):
    response = _get(live, "/healthz", headers={"X-Request-ID": "integration-test-0001"})
    assert response.headers["X-Request-ID"] == "integration-test-0001"
    generated = _get(live, "/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces" and len(generated.headers["X-Request-ID"]) == 32
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    page = _get(live, "/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_tokens_never_reach_the_log(live, tokens, caplog):
    caplog.set_level(logging.DEBUG)
    _get(live, "/api/whoami", tokens["lab"])
    _get(live, "/api/tenants", tokens["reader"])
    _get(live, "/api/whoami?mrn=canary-998877", tokens["lab"])
    # Everything the service logged (the test's own HTTP client, urllib3, is not the service).
    service_records = [r for r in caplog.records if not r.name.startswith("urllib3")]
    text = "\n".join(record.getMessage() + str(getattr(record, "fields", "")) for record in service_records)
    assert "request" in text
    assert tokens["lab"] not in text and tokens["reader"] not in text and "canary-998877" not in text


@pytest.mark.parametrize("engine", ENGINES)
def test_service_refuses_to_start_on_an_unmigrated_database(new_target, tmp_path, engine):
    target = new_target(engine)
    with pytest.raises(StartupError, match="varshare db upgrade"):
        create_app(settings_for(target, tmp_path))


@pytest.mark.parametrize("engine", ENGINES)
def test_readiness_fails_when_the_schema_is_behind(new_target, tmp_path, engine):
    target = new_target(engine)
    application = create_app(settings_for(target, tmp_path, check_schema_on_start=False))
    server = LiveServer(application).start()
    try:
        response = _get(server, "/readyz")
        assert response.status_code == 503 and response.json()["status"] == "not ready"
        Store(target.database_url, target.linkage_database_url).upgrade()
        assert _get(server, "/readyz").status_code == 200
    finally:
        server.stop()
        application.extensions["varshare"].store.dispose()


def test_refused_requests_are_audited(live, tokens):
    from sqlalchemy import select

    from app.store.tables import audit_events

    store = live.app.extensions["varshare"].store
    with store.reading() as conn:
        before = conn.execute(select(audit_events.c.id)).all()
    _get(live, "/api/whoami")
    _get(live, "/api/whoami", "vs_not_a_real_token_at_all_000000")
    _get(live, "/api/tenants", tokens["lab"])
    with store.reading() as conn:
        events = conn.execute(select(audit_events).where(audit_events.c.id > (before[-1][0] if before else 0))
                              .order_by(audit_events.c.id)).mappings().all()
    assert [(e["type"], e["outcome"], e["entities"][0]["status"]) for e in events] == [
        ("110114", "4", 401), ("110114", "4", 401), ("rest", "4", 403)]
    assert events[2]["agent_client"] == "Lab"
    assert all("vs_not_a_real_token" not in str(dict(e)) for e in events)
