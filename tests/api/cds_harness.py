"""Serving the CDS fixture world over real HTTP: a sandbox-mode app (the demo EHR's keys sign the client
JWTs), the world's store content, and helpers to call the CDS endpoints and compare cards with goldens."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import orjson
import requests

from app import create_app
from app.sandbox.demo_keys import sign_demo_jwt
from app.sandbox.demo_tenants import seed_demo_tenants
from tests.api.cds_world import DATA, WORLD, seed_store
from tests.conftest import LiveServer, assert_counts_kept, empty_all_tables, settings_for

BASE = "https://cds.example.org"  # the configured public base URL; JWT audiences name it, not the test port
GOLDEN = DATA / "golden"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class CdsWorld:
    """A served app holding the fixture world."""

    def __init__(self, migrated_target, tmp_path, seed: bool = True, **overrides) -> None:
        settings = {"mode": "sandbox", "public_base_url": BASE,
                    "cds_genetic_test_codes": json.dumps(WORLD["genetic_test_codes"]), **overrides}
        self.app = create_app(settings_for(migrated_target, tmp_path, **settings))
        self.services = self.app.extensions["varshare"]
        empty_all_tables(self.services.store)
        seed_demo_tenants(self.services.tenants)
        if seed:
            seed_store(self.services.ingest, self.services.tenants)
        self.server = LiveServer(self.app).start()

    def stop(self) -> None:
        self.server.stop()
        try:
            assert_counts_kept(self.services.store)
        finally:
            self.services.store.dispose()

    def call(self, path: str, body=None, *, method: str = "POST", token: str | None = None, raw: bytes | None = None,
             content_type: str = "application/json") -> requests.Response:
        """Call a CDS endpoint with a fresh demo-EHR JWT whose audience is the endpoint's public URL."""
        token = token if token is not None else sign_demo_jwt(BASE + path)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if method == "GET":
            return requests.get(self.server.url + path, headers=headers, timeout=30)
        data = raw if raw is not None else orjson.dumps(body)
        return requests.post(self.server.url + path, data=data, headers={**headers, "Content-Type": content_type},
                             timeout=30)

    def hook(self, service_id: str, body) -> requests.Response:
        return self.call(f"/cds-services/{service_id}", body)


def normalise(document):
    """Cards with every uuid replaced by "<uuid>" (uuids are random by design)."""
    return json.loads(_UUID.sub("<uuid>", json.dumps(document, ensure_ascii=False)))


def assert_golden(name: str, document) -> None:
    """Compare with tests/data/cds/golden/<name>.json; VARSHARE_UPDATE_GOLDENS=1 rewrites the file instead."""
    path: Path = GOLDEN / f"{name}.json"
    actual = normalise(document)
    if os.environ.get("VARSHARE_UPDATE_GOLDENS") == "1":
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert path.exists(), f"no golden file {path.name}: run with VARSHARE_UPDATE_GOLDENS=1 and review it"
    assert actual == json.loads(path.read_text()), f"{name} differs from its golden file"
