"""GET /metrics: Prometheus text for the admin role, with request counts and latencies per endpoint rule, ingest
outcomes, CDS cards by type and store gauges read at scrape time (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.api.cds_harness import CdsWorld
from tests.api.cds_world import hook_request
from tests.api.fhir_client import fixture, post

ADMIN = "vs_demo_admin_PUBLIC_DEMO_TOKEN"


@pytest.fixture
def world(migrated_target, tmp_path):
    served = CdsWorld(migrated_target, tmp_path)
    yield served
    served.stop()


def _scrape(world, token: str = ADMIN) -> requests.Response:
    return requests.get(world.server.url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _samples(text: str) -> list[tuple[str, dict, float]]:
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def _value(samples, name: str, **labels) -> float:
    return sum(v for n, found, v in samples if n == name and labels.items() <= found.items())


def test_metrics_need_the_admin_role(world):
    assert requests.get(world.server.url + "/metrics", timeout=10).status_code == 401
    assert _scrape(world, "vs_demo_reader_PUBLIC_DEMO_TOKEN").status_code == 403
    response = _scrape(world)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")


def test_requests_ingest_cards_and_store_gauges_are_measured(world):
    services = world.services
    variant = requests.get(world.server.url + "/api/variants", params={"q": "BRCA1"}, timeout=10,
                           headers={"Authorization": "Bearer vs_demo_reader_PUBLIC_DEMO_TOKEN"}).json()["items"][0]
    requests.get(world.server.url + f"/api/variants/{variant['id']}", timeout=10,
                 headers={"Authorization": "Bearer vs_demo_reader_PUBLIC_DEMO_TOKEN"})
    lab = "vs_demo_lab_alpha_PUBLIC_DEMO_TOKEN"
    assert post(world.server, "/fhir/Bundle", fixture("synthetic/grch38-spdi.json"), lab).status_code == 201
    assert post(world.server, "/fhir/Bundle", fixture("synthetic/grch38-spdi.json"), lab).status_code == 200
    assert post(world.server, "/fhir/Bundle", fixture("synthetic/unknown-element.json"), lab).status_code == 422
    cards = world.hook("genomic-variant-review", hook_request("patient-view", "p-conflict")).json()["cards"]
    samples = _samples(_scrape(world).text)

    detail = _value(samples, "varshare_http_requests_total", endpoint="/api/variants/<variant_id>", method="GET",
                    status="200")
    assert detail == 1, "counted per Flask rule, never per raw path"
    assert not any(variant["id"] in str(labels) for _, labels, _ in samples)
    assert _value(samples, "varshare_http_request_duration_seconds_count", endpoint="/api/variants") == 1
    assert _value(samples, "varshare_ingest_submissions_total", outcome="accepted") == 1
    assert _value(samples, "varshare_ingest_submissions_total", outcome="replayed") == 1
    assert _value(samples, "varshare_ingest_submissions_total", outcome="rejected") == 1
    counted = _value(samples, "varshare_cds_cards_total", service="genomic-variant-review")
    assert counted == len(cards) and cards
    kinds = {labels["kind"] for name, labels, _ in samples if name == "varshare_cds_cards_total"}
    assert "conflict" in kinds
    with services.store.reading() as conn:
        from sqlalchemy import func, select

        from app.store.tables import audit_events, store_versions
        audit_length = conn.execute(select(func.count()).select_from(audit_events)).scalar()
        version = conn.execute(select(func.max(store_versions.c.version))).scalar()
    assert _value(samples, "varshare_audit_events") == audit_length
    assert _value(samples, "varshare_store_version") == version
    assert _value(samples, "varshare_aggregate_conflicts") >= 1
    assert _value(samples, "varshare_variants") >= 1
