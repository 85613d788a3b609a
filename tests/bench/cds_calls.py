"""The CDS benchmark's two in-process calls, shared by the latency benchmark and the instruction count.

The service is what the API does per ``patient-view`` call (parse, digest of the raw body for the audit event,
``CdsHooks.invoke`` with its audit append, serialise); the floor is the issue's "JSON parse of the request + one
batched key lookup + JSON dump of the cards" (``ids_for_keys`` + ``load_aggregates`` on the patient's 25 keys,
``orjson.dumps`` of the same cards). ``checkpoint`` is what the API runs once an answer has left.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from flask import Flask

from app import create_app
from app.cds.evidence import read_patient_genomics
from app.cds.responses import cards_body
from app.sandbox.demo_tenants import seed_demo_tenants
from app.store.aggregates import load_aggregates
from app.store.variant_queries import ids_for_keys

SERVICE = "genomic-variant-review"
CALLER = "Demo EHR Hospital"  # the sandbox's demo EHR tenant (seed_demo_tenants)


def bench_app(folder: Path, public_base_url: str, databases: tuple[str, str] | None = None
              ) -> tuple[Flask, dict[str, Any]]:
    """The app (sandbox mode, the demo tenants seeded) on the synthetic store in ``folder`` (store.db and vault.db,
    as ``build_store`` writes them), or on the ``databases`` (store and vault URLs) holding a copy of it, and its
    settings."""
    store_url, vault_url = databases or (f"sqlite:///{folder / 'store.db'}", f"sqlite:///{folder / 'vault.db'}")
    settings = {"mode": "sandbox", "data_dir": str(folder), "database_url": store_url,
                "linkage_database_url": vault_url, "public_base_url": public_base_url, "log_level": "WARNING"}
    app = create_app(settings)
    seed_demo_tenants(app.extensions["varshare"].tenants)
    return app, settings


@dataclass(frozen=True)
class HookCalls:
    """The floor and the service for one request body, on one app."""

    floor: Callable[[], bytes]
    service: Callable[[], bytes]
    checkpoint: Callable[[], None]
    client: types.SimpleNamespace  # the verified caller, as the API hands it to the service
    cards: int


def hook_calls(app: Flask, raw: bytes) -> HookCalls:
    """Both calls for the ``patient-view`` request ``raw`` (JSON bytes), checked to find the 25 variants."""
    services = app.extensions["varshare"]
    caller = services.tenants.caller_named(CALLER)
    client = types.SimpleNamespace(submitter_id=caller.submitter_id, name=caller.name)
    cards = services.cds.invoke(SERVICE, orjson.loads(raw), client)
    body = orjson.loads(raw)
    observations = [e["resource"] for e in body["prefetch"]["variants"]["entry"]]
    keys = [v.variant.key for v in read_patient_genomics("bench-patient", None, observations, []).variants]
    assert len(keys) == 25 and cards

    def floor() -> bytes:
        orjson.loads(raw)
        with services.store.reading() as conn:
            ids = ids_for_keys(conn, keys)
            found = load_aggregates(conn, ids.values())
        assert len(found) >= 25
        return orjson.dumps({"cards": cards})

    def service() -> bytes:
        digest = hashlib.sha256(raw).hexdigest()
        return cards_body(services.cds.invoke(SERVICE, orjson.loads(raw), client, request_digest=digest))

    return HookCalls(floor, service, services.store.after_response, client, len(cards))
