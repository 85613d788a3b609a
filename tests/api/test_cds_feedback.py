"""Card feedback over real HTTP: the spec's rules (cds-fb-1..3), idempotency, the Sandbox's shape, unmatched
uuids, no comment text kept, and the admin summary counted per card kind and outcome."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import select

from app.store.tables import cds_feedback
from tests.api.cds_harness import CdsWorld
from tests.api.cds_world import draft_orders, hook_request, service_request

PV = "genomic-variant-review"
SIGN = "genetic-test-order-sign"
NOW = "2026-01-05T10:11:12.52Z"


@pytest.fixture
def world(migrated_target, tmp_path):
    served = CdsWorld(migrated_target, tmp_path)
    yield served
    served.stop()


def _feedback(world, service_id, *items):
    return world.call(f"/cds-services/{service_id}/feedback", {"feedback": list(items)})


def _summary(world, token="vs_demo_admin_PUBLIC_DEMO_TOKEN"):
    return requests.get(world.server.url + "/api/cds-feedback", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def test_accepted_and_overridden_feedback_is_stored_once_and_summarised(world):
    [reclassified, summary] = world.hook(PV, hook_request("patient-view", "p-upgrade")).json()["cards"]
    body = hook_request("order-sign", "p-upgrade")
    body["context"]["draftOrders"] = draft_orders(service_request("sr-1", "BRCA-PANEL"))
    [order_card] = world.hook(SIGN, body).json()["cards"]
    accepted = {"card": order_card["uuid"], "outcome": "accepted", "outcomeTimestamp": NOW,
                "acceptedSuggestions": [{"id": order_card["suggestions"][0]["uuid"]}]}
    overridden = {"card": reclassified["uuid"], "outcome": "overridden", "outcomeTimestamp": NOW,
                  "overrideReason": {"reason": {"system": "https://varshare.org/fhir/CodeSystem/cds-override-reason",
                                                "code": "aware", "display": "Already aware"},
                                     "userComment": "Patient Jane Doe told me already"}}
    for _ in range(2):  # the same body twice: stored once
        first = _feedback(world, SIGN, accepted)
        assert first.status_code == 200 and first.json() == {}
        assert _feedback(world, PV, overridden).status_code == 200
    sandbox_shape = {"card": summary["uuid"], "outcome": "overridden", "outcomeTimestamp": NOW,
                     "overrideReason": {"reason": {"code": "not-relevant", "system": "x"}}}
    assert _feedback(world, PV, sandbox_shape).status_code == 200
    unknown = {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": NOW}
    assert _feedback(world, PV, unknown).status_code == 200  # no uuid oracle

    with world.services.store.reading() as conn:
        rows = conn.execute(select(cds_feedback)).mappings().all()
    assert len(rows) == 4
    assert "Jane" not in str([dict(r) for r in rows])  # the comment's text is never kept
    response = _summary(world)
    assert response.status_code == 200
    report = response.json()
    by_service = {s["service"]: {c["kind"]: c for c in s["cards"]} for s in report["services"]}
    assert by_service[SIGN]["prior-results"] == {"kind": "prior-results", "accepted": 1, "overridden": 0, "total": 1}
    assert by_service[PV]["reclassification"]["overridden"] == 1
    assert by_service[PV]["summary"]["overridden"] == 1
    assert by_service[PV]["unmatched"]["overridden"] == 1
    reasons = {(r["cardKind"], r.get("code")): r for r in report["overrideReasons"]}
    assert reasons[("reclassification", "aware")]["comment"] is True
    assert reasons[("reclassification", "aware")]["display"] == "Already aware of this classification"
    assert reasons[("summary", "not-relevant")]["count"] == 1


@pytest.mark.parametrize("item, where", [
    ({"card": "c", "outcome": "accepted", "outcomeTimestamp": NOW}, "acceptedSuggestions"),
    ({"card": "c", "outcome": "accepted", "outcomeTimestamp": NOW, "acceptedSuggestions": []}, "acceptedSuggestions"),
    ({"card": "c", "outcome": "dismissed", "outcomeTimestamp": NOW}, "outcome"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": NOW, "overrideReason": {}}, "overrideReason"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": NOW,
      "overrideReason": {"reason": {"display": "no code"}}}, "overrideReason.reason"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"}, "outcomeTimestamp"),
    ({"card": "c", "outcome": "overridden"}, "outcomeTimestamp"),
    ({"outcome": "overridden", "outcomeTimestamp": NOW}, "card"),
])
def test_malformed_feedback_is_400(world, item, where):
    response = _feedback(world, PV, item)
    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"][0].endswith(where)


def test_feedback_envelope_service_and_permissions(world):
    assert world.call(f"/cds-services/{PV}/feedback", {"feedback": []}).status_code == 400
    assert world.call(f"/cds-services/{PV}/feedback", {"other": 1}).status_code == 400
    assert world.call("/cds-services/nope/feedback", {"feedback": [{}]}).status_code == 404
    assert requests.post(world.server.url + f"/cds-services/{PV}/feedback", json={"feedback": []},
                         timeout=10).status_code == 401
    assert _summary(world, "vs_demo_reader_PUBLIC_DEMO_TOKEN").status_code == 403
    assert _summary(world, "vs_demo_curator_PUBLIC_DEMO_TOKEN").status_code == 200
    assert _summary(world).json() == {"services": [], "overrideReasons": []}
