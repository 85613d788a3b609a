"""Tenant isolation over real HTTP: every route x every role x own/other tenant, on SQLite and PostgreSQL.

In the style of mature FHIR servers' security suites: a missing, malformed, unknown, revoked or disabled
tenant's token gets 401 with ``WWW-Authenticate: Bearer``; a wrong role gets 403; another tenant's objects are
403 or 404 (the same answer as an unknown id); and every one of those refusals leaves an audit event with
outcome 4 (minor failure), found by the request id it carried. CDS Hooks calls need a signed client JWT:
failures of a known client are audited, failures of unknown callers only logged (``CdsClients._record_failure``:
a flood must not serialise the audit chain). The route table is ``tests/api/isolation_world.MATRIX``.
"""

from __future__ import annotations

import time

import pytest

from app.sandbox.demo_keys import sign_demo_jwt
from app.security.roles import ROLES
from tests.api.fhir_client import parameters
from tests.api.isolation_world import (
    BASE,
    CDS_ROUTES,
    MATRIX,
    PUBLIC_ROUTES,
    TENANT_ROUTES,
    IsolationWorld,
)
from tests.api.lab_bundles import BRCA1_A, lab_report

LOGIN_TYPE, MINOR_FAILURE = "110114", "4"


@pytest.fixture(scope="module")
def world(migrated_target, tmp_path_factory):
    served = IsolationWorld(migrated_target, tmp_path_factory.mktemp("isolation")).start()
    yield served
    served.stop()


def _refusal_event(world, request_id: str, status: int, agent: str | None) -> dict:
    events = world.audit_events_of(request_id)
    assert len(events) == 1, f"expected one audit event for the refused request, found {len(events)}"
    event = events[0]
    assert event["outcome"] == MINOR_FAILURE and event["agent_submitter_id"] == agent
    endpoint = next(e for e in event["entities"] if e["type"] == "endpoint")
    assert endpoint["status"] == status
    return event


def test_every_route_has_a_matrix_entry(world):
    served = {(rule.rule, method) for rule in world.app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served - MATRIX.keys() == set(), "routes without an isolation-matrix entry: add them to MATRIX"
    assert MATRIX.keys() - served == set(), "matrix entries for routes that no longer exist"


@pytest.mark.parametrize("key", TENANT_ROUTES, ids=lambda key: f"{key[1]} {key[0]}")
def test_tenant_routes_x_every_role(world, key):
    route = MATRIX[key]
    method, path = key[1], world.path(route)
    for role in ROLES:
        tenant = f"{role} A"
        response, request_id = world.call(method, path, token=world.tokens[tenant], body=route.body)
        if role in route.access:
            assert response.status_code not in (401, 403) and response.status_code < 500, (role, response.text)
            continue
        assert response.status_code == 403, (role, response.status_code)
        assert "may not" in response.text
        _refusal_event(world, request_id, 403, world.ids[tenant])


@pytest.mark.parametrize("key", TENANT_ROUTES, ids=lambda key: f"{key[1]} {key[0]}")
def test_tenant_routes_refuse_missing_and_invalid_tokens(world, key):
    route = MATRIX[key]
    method, path = key[1], world.path(route)
    attempts = {"no header": None, "empty bearer": "Bearer", "basic scheme": "Basic eA==",
                "unknown token": "Bearer vs_not_a_real_token_at_all_000000", "garbage": "Bearer \u00e9t\u00e9",
                "revoked token": f"Bearer {world.tokens['revoked']}",
                "disabled tenant": f"Bearer {world.tokens['disabled']}",
                "cds jwt instead of a token": f"Bearer {sign_demo_jwt(BASE + '/cds-services')}"}
    for name, authorization in attempts.items():
        response, request_id = world.call(method, path, authorization=authorization, body=route.body)
        assert response.status_code == 401, (name, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="varshare"'), name
        event = _refusal_event(world, request_id, 401, None)
        assert event["type"] == LOGIN_TYPE, name


@pytest.mark.parametrize("key", PUBLIC_ROUTES, ids=lambda key: f"{key[1]} {key[0]}")
def test_public_routes_answer_anyone(world, key):
    route = MATRIX[key]
    for token in (None, world.tokens["reader A"]):
        response, _ = world.call(key[1], world.path(route), token=token, body=route.body)
        assert response.status_code not in (401, 403) and response.status_code < 500, response.status_code


@pytest.mark.parametrize("key", CDS_ROUTES, ids=lambda key: f"{key[1]} {key[0]}")
def test_cds_routes_need_a_client_jwt(world, key):
    route = MATRIX[key]
    method, path = key[1], world.path(route)
    audience = BASE + path
    valid, request_id = world.call(method, path, token=sign_demo_jwt(audience), body=route.body)
    assert valid.status_code in (200, 400), valid.text  # an empty hook body is malformed, not unauthorised
    unknown = {"no header": None, "tenant token": f"Bearer {world.tokens['ehr A']}",
               "unknown issuer": f"Bearer {sign_demo_jwt(audience, issuer='https://unknown.example/ehr')}",
               "not a jwt": "Bearer abc.def.ghi"}
    for name, authorization in unknown.items():
        response, request_id = world.call(method, path, authorization=authorization, body=route.body)
        assert (response.status_code, response.content) == (401, b""), name
        assert response.headers["WWW-Authenticate"] == "Bearer", name
        assert world.audit_events_of(request_id) == [], f"{name}: unknown callers are logged, not audited"
    now = int(time.time())
    known = {"expired": sign_demo_jwt(audience, issued_at=now - 3600),
             "wrong audience": sign_demo_jwt(BASE + "/cds-services/other", public_base_url=BASE),
             "from the future": sign_demo_jwt(audience, issued_at=now + 3600)}
    for name, token in known.items():
        response, request_id = world.call(method, path, token=token, body=route.body)
        assert (response.status_code, response.content) == (401, b""), name
        assert response.headers["WWW-Authenticate"] == "Bearer", name
        [event] = world.audit_events_of(request_id)
        assert (event["type"], event["outcome"]) == (LOGIN_TYPE, MINOR_FAILURE), name
        assert event["agent_submitter_id"] == world.ids["Demo EHR Hospital"], name


def test_report_receipts_are_the_owners_only(world):
    path = f"/api/reports/{world.objects['report']}"
    own, _ = world.call("GET", path, token=world.tokens["lab A"])
    assert own.status_code == 200 and own.json()["report"] == world.objects["report"]
    unknown, _ = world.call("GET", "/api/reports/00000000-0000-4000-8000-000000000000", token=world.tokens["lab A"])
    for tenant in ("lab B", "expert-panel A", "practice-guideline B", "ehr A", "ehr B"):
        response, request_id = world.call("GET", path, token=world.tokens[tenant])
        assert response.status_code == 404 and response.json() == unknown.json(), tenant  # no existence oracle
        event = _refusal_event(world, request_id, 404, world.ids[tenant])
        assert "lab A" not in str(event) and world.ids["lab A"] not in str(event["entities"])


def test_reclassifications_are_listed_for_the_caller_only(world):
    for tenant in ("lab A", "lab B"):
        for scope in ("me", tenant, world.ids[tenant]):
            response, _ = world.call("GET", f"/api/reclassifications?since=0&tenant={scope}",
                                     token=world.tokens[tenant])
            assert response.status_code == 200, (tenant, scope)
    for scope in ("lab A", world.ids["lab A"]):
        response, request_id = world.call("GET", f"/api/reclassifications?since=0&tenant={scope}",
                                          token=world.tokens["lab B"])
        assert response.status_code == 403
        _refusal_event(world, request_id, 403, world.ids["lab B"])


def test_only_curators_flag_and_never_the_owner(world):
    path = f"/api/submissions/{world.objects['submission']}"
    for tenant in ("lab A", "lab B", "expert-panel A", "admin A", "reader A"):
        response, request_id = world.call("POST", f"{path}/flag", token=world.tokens[tenant],
                                          body={"reason": "submission-error"})
        assert response.status_code == 403, tenant
        _refusal_event(world, request_id, 403, world.ids[tenant])
    for curator in ("curator A", "curator B"):  # curators act on every institution's submissions
        flagged, _ = world.call("POST", f"{path}/flag", token=world.tokens[curator],
                                body={"reason": "submission-error"})
        assert flagged.status_code == 200, flagged.text
        restored, _ = world.call("POST", f"{path}/unflag", token=world.tokens[curator], body={})
        assert restored.status_code == 200, restored.text


def test_audit_events_are_visible_to_those_they_concern(world):
    path = f"/fhir/AuditEvent/{world.objects['event']}"
    for tenant in ("lab A", "admin A", "curator B"):
        response, _ = world.call("GET", path, token=world.tokens[tenant])
        assert response.status_code == 200 and response.json()["resourceType"] == "AuditEvent", tenant
    unknown, _ = world.call("GET", "/fhir/AuditEvent/999999999", token=world.tokens["lab B"])
    for tenant in ("lab B", "expert-panel A", "ehr B", "reader A"):
        response, request_id = world.call("GET", path, token=world.tokens[tenant])
        assert response.status_code == 404 and response.json() == unknown.json(), tenant
        assert response.headers["Content-Type"].startswith("application/fhir+json")
        _refusal_event(world, request_id, 404, world.ids[tenant])
        search, _ = world.call("GET", f"/fhir/AuditEvent?_id={world.objects['event']}", token=world.tokens[tenant])
        assert search.status_code == 200 and search.json()["total"] == 0, tenant


def test_another_labs_report_identifiers_cannot_amend_or_retract_its_report(world):
    before, _ = world.call("GET", f"/api/reports/{world.objects['report']}", token=world.tokens["lab A"])
    calls = [(BRCA1_A, "B")]
    retract, request_id = world.call("POST", "/fhir/Bundle", token=world.tokens["lab B"], body=lab_report(
        calls, report_id="iso-report-a", status="entered-in-error"))
    assert retract.status_code == 422 and retract.json()["resourceType"] == "OperationOutcome"
    [event] = world.audit_events_of(request_id)
    assert (event["outcome"], event["agent_submitter_id"]) == (MINOR_FAILURE, world.ids["lab B"])
    # identifiers are hashed with each institution's own key: lab B's "amendment" is a new report of lab B's
    amend, _ = world.call("POST", "/fhir/Bundle", token=world.tokens["lab B"], body=lab_report(
        calls, report_id="iso-report-a", status="amended"))
    assert amend.status_code == 201, amend.text
    receipt = parameters(amend.json())
    assert receipt["report"] != world.objects["report"] and receipt.get("replaces") is None
    assert any("no earlier report" in issue.get("diagnostics", "") for issue in receipt["outcome"]["issue"])
    after, _ = world.call("GET", f"/api/reports/{world.objects['report']}", token=world.tokens["lab A"])
    assert after.json() == before.json() and after.json()["retracted"] is False
    foreign, _ = world.call("GET", amend.headers["Location"].removeprefix(BASE), token=world.tokens["lab A"])
    assert foreign.status_code == 404
