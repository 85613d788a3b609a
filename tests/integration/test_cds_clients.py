"""CDS client registrations and the shared JWT replay table, on every configured engine."""

from __future__ import annotations

import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from app.config import load_settings
from app.security.client_jwt import InvalidClientJwt
from app.services.cds_clients import CdsClients, TrustedIssuer
from app.services.tenants import TenantError, Tenants
from app.store import replay
from app.store.tables import audit_events, jwt_replay

ISS = "https://ehr.example.org"


def _settings(migrated_target, tmp_path, **overrides):
    return load_settings({"mode": "test", "data_dir": str(tmp_path), "database_url": migrated_target.database_url,
                          "linkage_database_url": migrated_target.linkage_database_url, **overrides}, environ={})


@pytest.fixture
def settings(migrated_target, tmp_path):
    return _settings(migrated_target, tmp_path)


def test_a_jti_is_recorded_once_per_issuer(store):
    with store.unit_of_work() as uow:
        assert replay.record_jti(uow.conn, ISS, "a" * 64, 100)
        assert not replay.record_jti(uow.conn, ISS, "a" * 64, 100)
        assert replay.record_jti(uow.conn, "https://other.example", "a" * 64, 100)


def test_concurrent_replays_admit_exactly_one(store, settings):
    clients = CdsClients(store, settings)
    exp = int(time.time()) + 300
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def attempt():
        barrier.wait()
        results.append(clients.record_jti(ISS, "b" * 64, exp))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_expired_rows_are_purged(store, settings):
    now = int(time.time())
    with store.unit_of_work() as uow:
        replay.record_jti(uow.conn, ISS, "c" * 64, now - 3600)
        replay.record_jti(uow.conn, ISS, "d" * 64, now - 5)  # still within the leeway: kept
    CdsClients(store, settings).record_jti(ISS, "e" * 64, now + 300)
    with store.reading() as conn:
        left = set(conn.execute(select(jwt_replay.c.jti_hash)).scalars())
    assert left == {"d" * 64, "e" * 64}


def test_registrations_come_from_enabled_ehr_tenants(store, settings):
    tenants = Tenants(store, settings)
    row, _token = tenants.add("City Hospital", "ehr", issuer=ISS, jwks_url=ISS + "/jwks.json")
    tenants.add("Genome Lab", "lab", issuer="https://lab.example")
    clients = CdsClients(store, settings)
    registration = clients.registration(ISS)
    assert registration is not None
    assert (registration.submitter_id, registration.name, registration.jwks_urls) == (
        row.id, "City Hospital", (ISS + "/jwks.json",))
    assert registration.algorithms() == {"ES384", "RS384"}
    assert clients.registration(ISS + "/") is None
    assert clients.registration("https://lab.example") is None  # not an EHR
    tenants.set_disabled("City Hospital", True)
    assert clients.registration(ISS) is None


def test_an_issuer_belongs_to_one_tenant(store, settings):
    tenants = Tenants(store, settings)
    tenants.add("City Hospital", "ehr", issuer=ISS)
    with pytest.raises(TenantError, match="issuer"):
        tenants.add("Town Hospital", "ehr", issuer=ISS)


def test_extra_algorithms_per_issuer(store, migrated_target, tmp_path):
    settings = _settings(migrated_target, tmp_path, jwt_extra_alg_issuers=f"{ISS}, https://x.example")
    Tenants(store, settings).add("City Hospital", "ehr", issuer=ISS)
    assert CdsClients(store, settings).registration(ISS).algorithms() == {"ES384", "RS384", "ES256", "RS256"}


def test_configured_issuers_only_in_sandbox_mode(store, migrated_target, tmp_path, settings):
    Tenants(store, settings).add("Demo EHR", "ehr")
    trusted = [TrustedIssuer("https://demo.example", "Demo EHR", {"keys": []})]
    assert CdsClients(store, settings, trusted=trusted).registration("https://demo.example") is None
    sandbox = _settings(migrated_target, tmp_path, mode="sandbox")
    found = CdsClients(store, sandbox, trusted=trusted).registration("https://demo.example")
    assert found is not None and found.name == "Demo EHR" and found.jwks == {"keys": []}


def test_failures_of_a_known_client_are_audited_unknown_callers_are_not(store, settings):
    Tenants(store, settings).add("City Hospital", "ehr", issuer=ISS, jwks_url=ISS + "/jwks.json")
    with store.reading() as conn:
        before = conn.execute(select(func.count()).select_from(audit_events)).scalar()
    clients = CdsClients(store, settings, fetch=lambda url: {"keys": []})
    key = ec.generate_private_key(ec.SECP384R1())
    now = int(time.time())
    for iss in (ISS, "https://unknown.example"):
        token = jwt.encode({"iss": iss, "aud": "x", "iat": now, "exp": now + 60, "jti": "j"}, key, algorithm="ES384",
                           headers={"kid": "k"})
        with pytest.raises(InvalidClientJwt):
            clients.verify(token, "x")
    with store.reading() as conn:
        rows = conn.execute(select(audit_events).where(audit_events.c.type == "110114")).mappings().all()
        total = conn.execute(select(func.count()).select_from(audit_events)).scalar()
    assert total == before + 1
    assert rows[-1]["agent_client"] == ISS and rows[-1]["outcome"] == "4"
