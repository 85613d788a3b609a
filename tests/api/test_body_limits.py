"""Request body limits per endpoint: 413 in each area's error shape (FHIR ingest, CDS Hooks, the JSON API)."""

from __future__ import annotations

import requests

from tests.api.cds_harness import CdsWorld

CURATOR = "vs_demo_curator_PUBLIC_DEMO_TOKEN"


def test_every_area_answers_oversized_bodies_with_413_in_its_own_shape(migrated_target, tmp_path):
    world = CdsWorld(migrated_target, tmp_path, seed=False, max_body_bytes=4096, cds_max_body_bytes=2048,
                     max_api_body_bytes=1024)
    try:
        big = b'{"padding": "' + b"x" * 5000 + b'"}'
        ingest = requests.post(world.server.url + "/fhir/Bundle", data=big, timeout=10, headers={
            "Authorization": "Bearer vs_demo_lab_alpha_PUBLIC_DEMO_TOKEN", "Content-Type": "application/fhir+json"})
        assert ingest.status_code == 413 and ingest.json()["resourceType"] == "OperationOutcome"
        hook = world.call("/cds-services/genomic-variant-review", raw=big)
        assert hook.status_code == 413 and hook.json()["issue"][0]["code"] == "too-costly"
        feedback = world.call("/cds-services/genomic-variant-review/feedback", raw=big)
        assert feedback.status_code == 413 and feedback.json()["resourceType"] == "OperationOutcome"
        flag = requests.post(world.server.url + "/api/submissions/x/flag", data=big, timeout=10, headers={
            "Authorization": f"Bearer {CURATOR}", "Content-Type": "application/json"})
        assert flag.status_code == 413 and flag.json()["error"]["code"] == "too-costly"
        small = requests.post(world.server.url + "/api/submissions/x/flag", json={"reason": "outlier-claim"},
                              headers={"Authorization": f"Bearer {CURATOR}"}, timeout=10)
        assert small.status_code == 404  # within the limit: on to the (unknown) submission
    finally:
        world.stop()


def _nested(depth: int) -> bytes:
    return b'{"resourceType": "Bundle", "type": "collection", "x": ' + b"[" * depth + b'"[]]"' + b"]" * depth + b"}"


def test_ingest_and_hooks_refuse_json_nested_deeper_than_the_limit(migrated_target, tmp_path):
    world = CdsWorld(migrated_target, tmp_path, seed=False, max_json_depth=20)
    try:
        lab = {"Authorization": "Bearer vs_demo_lab_alpha_PUBLIC_DEMO_TOKEN", "Content-Type": "application/fhir+json"}
        deep = requests.post(world.server.url + "/fhir/Bundle", data=_nested(20), timeout=10, headers=lab)
        assert deep.status_code == 400 and "deeper than 20 levels" in deep.json()["issue"][0]["diagnostics"]
        at_limit = requests.post(world.server.url + "/fhir/Bundle", data=_nested(19), timeout=10, headers=lab)
        assert at_limit.status_code != 400 or "deeper" not in at_limit.text  # on to the Bundle's own checks
        hook = world.call("/cds-services/genomic-variant-review", raw=_nested(20))
        assert hook.status_code == 400 and "deeper than 20 levels" in hook.json()["issue"][0]["diagnostics"]
        shallow = world.call("/cds-services/genomic-variant-review", raw=_nested(19))
        assert shallow.status_code == 400 and "deeper" not in shallow.text  # refused for its content instead
    finally:
        world.stop()
