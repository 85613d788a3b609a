"""Schemathesis fuzzes every operation of ``/api/openapi.json`` over real HTTP against the seeded fixture world:
no answer is a server error, and status codes, content types, headers and bodies match the document.

Each operation is called with the token of a role allowed to use it (so the fuzz reaches the handlers, not only
the 403 path). The example count per operation is bounded and generation is derandomized, so the run is
deterministic and short enough for ``make test``.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from app.api.openapi import build_openapi
from app.sandbox.demo_tenants import DEMO_TENANTS
from tests.api.cds_harness import BASE, CdsWorld

TOKENS = {tenant.role: tenant.token for tenant in DEMO_TENANTS}
ROLE_BY_PATH = {
    "/api/submissions/{id}/flag": "curator",
    "/api/submissions/{id}/unflag": "curator",
    "/api/tenants": "admin",
    "/api/cds-feedback": "admin",
    "/api/reclassifications": "lab",
    "/api/reports/{id}": "lab",
}


@pytest.fixture(scope="module")
def world(migrated_target, tmp_path_factory):
    served = CdsWorld(migrated_target, tmp_path_factory.mktemp("fuzz-openapi"))
    yield served
    served.stop()


# q's grammar (variant key, SPDI, HGVS, clinvar:, rsID, gene symbol) is beyond JSON Schema: a schema-valid string
# that parses as none of them is refused with the documented 400, which is correct, not a rejected valid request.
CONFIG = SchemathesisConfig.from_dict({"operations": [{
    "include-path": "/api/variants", "include-method": "GET",
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "429"]}}}]})
OPERATIONS = [(method.upper(), path) for path, methods in build_openapi(BASE)["paths"].items() for method in methods]
FUZZ_SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def api_schema(world):
    """The document as the live server serves it."""
    document = requests.get(world.server.url + "/api/openapi.json", timeout=10).json()
    return schemathesis.openapi.from_dict(document, config=CONFIG)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_openapi_document(world, api_schema, method, path):
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {TOKENS[ROLE_BY_PATH.get(path, 'reader')]}"}

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy())
    def fuzz(case):
        case.call_and_validate(base_url=world.server.url, headers=headers)

    fuzz()


@pytest.mark.parametrize("path", [f"/api/reclassifications?since={2**64}", f"/api/changes?since={2**63}",
                                  f"/api/changes?since=1&after={2**70}", f"/api/variants/x?as_of={2**64}",
                                  f"/api/variants/x/history?after={2**64}", "/api/variants?q=BRCA1%00"])
def test_out_of_range_integers_and_nul_are_refused_not_crashed(world, path):
    """Regressions: integers beyond 64 bits reached the database (500 on SQLite), NUL reached PostgreSQL."""
    role = "lab" if path.startswith("/api/reclassifications") else "reader"
    response = requests.get(world.server.url + path, headers={"Authorization": f"Bearer {TOKENS[role]}"}, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid"
