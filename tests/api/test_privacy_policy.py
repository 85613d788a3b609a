"""GET /api/privacy-policy: public, and it documents k, the date and age rules, linkage and erasure."""

from __future__ import annotations

import requests

from app import create_app
from tests.conftest import settings_for


def test_the_privacy_policy_is_public_and_complete(live):
    response = requests.get(live.url + "/api/privacy-policy", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    policy = response.json()
    assert policy["profile"] == "safe_harbor" and policy["smallCells"]["k"] == 5
    assert policy["ages"]["topCode"] == "90+"
    assert policy["dates"]["classificationDateInPatientReport"] == "year"
    assert policy["dates"]["classificationDateClassificationOnly"] == "day"
    assert "HMAC-SHA256" in policy["linkage"]["vault"] and "varshare case erase" in policy["erasure"]
    assert {"variant", "case fact", "relative"} <= {item["record"] for item in policy["kept"]}
    assert policy["allowlist"]["extensions"] == [] and "textAliasPattern" in policy["allowlist"]


def test_the_policy_reports_the_configured_k(migrated_target, tmp_path):
    app = create_app(settings_for(migrated_target, tmp_path, privacy_k=11))
    try:
        assert app.test_client().get("/api/privacy-policy").get_json()["smallCells"]["k"] == 11
    finally:
        app.extensions["varshare"].store.dispose()
