"""Golden cards for the sandbox's synthetic patients: every patient's patient-view answer and the order hooks of
the patients with draft orders, over real HTTP with real JWT verification, pinned in tests/data/cds/golden/sandbox
(uuids and the server's address normalised; VARSHARE_UPDATE_GOLDENS=1 rewrites them for review)."""

from __future__ import annotations

import json

import pytest
import requests

from app.sandbox.demo_keys import sign_demo_jwt
from app.sandbox.hook_requests import build_hook_request, patient_choices
from tests.api.cds_harness import assert_golden
from tests.cds_contract import assert_cds_response

PATIENTS = [choice.id for choice in patient_choices()]


def _discovery(live) -> dict[str, dict]:
    url = live.url + "/cds-services"
    response = requests.get(url, headers={"Authorization": f"Bearer {sign_demo_jwt(url)}"}, timeout=30)
    return {service["hook"]: service for service in response.json()["services"]}


def _call(live, service: dict, patient: str) -> dict:
    url = f"{live.url}/cds-services/{service['id']}"
    body = build_hook_request(service, patient, public_base_url=live.url)
    response = requests.post(url, json=body, headers={"Authorization": f"Bearer {sign_demo_jwt(url)}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert_cds_response(response.json())
    return json.loads(response.text.replace(live.url, "http://varshare.sandbox"))


def test_sandbox_patients_have_pinned_cards(sandbox_live):
    assert len(PATIENTS) >= 12
    services = _discovery(sandbox_live)
    indicators = {}
    for patient in PATIENTS:
        answer = _call(sandbox_live, services["patient-view"], patient)
        assert_golden(f"sandbox/patient-view-{patient}", answer)
        indicators[patient] = {card["indicator"] for card in answer["cards"]}
    assert "critical" in indicators["hosp-001"] and "critical" in indicators["hosp-008"]
    assert sum("critical" in found for found in indicators.values()) >= 3
    for hook in ("order-select", "order-sign"):
        for patient in ("hosp-001", "hosp-006", "clin-001", "clin-008"):
            assert_golden(f"sandbox/{hook}-{patient}", _call(sandbox_live, services[hook], patient))


@pytest.mark.parametrize("patient", ["hosp-001"])
def test_order_select_for_a_patient_with_prior_results_suggests_deleting_the_draft(sandbox_live, patient):
    services = _discovery(sandbox_live)
    [card] = _call(sandbox_live, services["order-select"], patient)["cards"]
    assert card["suggestions"][0]["actions"][0]["type"] == "delete"
