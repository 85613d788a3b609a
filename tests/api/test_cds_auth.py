"""CDS Hooks client authentication and CORS over real HTTP, on a throwaway route protected by the decorator.

A registered EHR's JWK Set is served by a loopback HTTP server that counts requests, so tests can show that
unknown issuers and unregistered ``jku`` values cause no outbound request at all.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Blueprint, jsonify

from app import create_app
from app.api.cds_auth import cds_client_required, current_cds_client
from app.sandbox.demo_keys import DEMO_ES384_KID, sign_demo_jwt
from app.sandbox.demo_tenants import seed_demo_tenants
from app.sandbox.trusted_clients import CDS_HOOKS_SANDBOX_ISSUER, CDS_HOOKS_SANDBOX_JWKS_URL
from tests.conftest import LiveServer, empty_all_tables, settings_for

BASE = "https://cds.example.org"  # the configured public base URL: never the address the test server listens on
ROUTE = "/cds-services/auth-probe"
AUD = BASE + ROUTE
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _probe_blueprint() -> Blueprint:
    bp = Blueprint(f"cds_auth_probe_{uuid.uuid4().hex}", __name__)

    @bp.route(ROUTE, methods=["GET", "POST"])
    @bp.route(ROUTE + "/feedback", methods=["POST"])
    @cds_client_required
    def probe():
        client = current_cds_client()
        return jsonify(name=client.name, issuer=client.issuer, kid=client.kid, tenant=client.tenant)

    return bp


class JwksServer:
    """A loopback HTTP server publishing a JWK Set and counting the requests it gets."""

    def __init__(self, key_set: dict) -> None:
        self.key_set = key_set
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                body = json.dumps(outer.key_set).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self.url = self.issuer + "/.well-known/jwks.json"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def jwks_server():
    keys = [{**jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key(), as_dict=True), "kid": "ec-1", "use": "sig",
             "alg": "ES384"},
            {**jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key(), as_dict=True), "kid": "rsa-1", "use": "sig",
             "alg": "RS384"}]
    server = JwksServer({"keys": keys})
    yield server
    server.stop()


def _serve(migrated_target, tmp_path, **overrides):
    application = create_app(settings_for(migrated_target, tmp_path, public_base_url=BASE, **overrides))
    empty_all_tables(application.extensions["varshare"].store)
    application.register_blueprint(_probe_blueprint())
    return application, LiveServer(application).start()


@pytest.fixture
def served(migrated_target, tmp_path):
    """Factory: a fresh app (any mode and settings) with the probe route, served over HTTP."""
    running = []

    def make(**overrides):
        application, server = _serve(migrated_target, tmp_path, **overrides)
        running.append(server)
        return application, server

    yield make
    for server in running:
        server.stop()
        server.app.extensions["varshare"].store.dispose()


def sign(key=EC_KEY, alg="ES384", kid="ec-1", *, iss, jku=None, aud=AUD, lifetime=300, **claims) -> str:
    now = int(time.time())
    headers = {"kid": kid, "typ": "JWT", **({"jku": jku} if jku else {})}
    payload = {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4()), **claims}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def call(server, token=None, *, path=ROUTE, method="POST", headers=None):
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return requests.request(method, server.url + path, headers=sent, json={} if method == "POST" else None, timeout=10)


def assert_bare_401(response):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.content == b""
    assert "Content-Type" not in response.headers


def _register(application, jwks_server, name="City Hospital", role="ehr"):
    return application.extensions["varshare"].tenants.add(name, role, issuer=jwks_server.issuer,
                                                          jwks_url=jwks_server.url)[0]


def test_missing_or_malformed_authorization_is_a_bare_401(served):
    _app, server = served()
    for value in (None, "Basic eA==", "Bearer", "Bearer not.a.jwt", "Bearer vs_demo_ehr_hospital_PUBLIC_DEMO_TOKEN"):
        headers = {"Authorization": value} if value else {}
        assert_bare_401(call(server, headers=headers))


def test_registered_ehr_tenant_with_a_jwks_url(served, jwks_server):
    application, server = served()
    _register(application, jwks_server)
    ok = call(server, sign(iss=jwks_server.issuer, jku=jwks_server.url))
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"name": "City Hospital", "issuer": jwks_server.issuer, "kid": "ec-1", "tenant": None}
    rs = call(server, sign(RSA_KEY, "RS384", "rsa-1", iss=jwks_server.issuer), method="GET")
    assert rs.status_code == 200 and rs.json()["kid"] == "rsa-1"
    feedback = sign(iss=jwks_server.issuer, aud=AUD + "/feedback")
    assert call(server, feedback, path=ROUTE + "/feedback").status_code == 200
    assert jwks_server.requests == ["/.well-known/jwks.json"]  # fetched once, then cached


def test_replayed_jti_is_refused_across_calls(served, jwks_server):
    application, server = served()
    _register(application, jwks_server)
    token = sign(iss=jwks_server.issuer)
    assert call(server, token).status_code == 200
    assert_bare_401(call(server, token))


def test_audience_comes_from_the_configured_base_url_only(served, jwks_server):
    application, server = served()
    _register(application, jwks_server)
    for aud in (server.url + ROUTE, BASE + "/cds-services", AUD + "/", AUD.upper()):
        assert_bare_401(call(server, sign(iss=jwks_server.issuer, aud=aud)))
    spoofed = {"Host": "cds.example.org", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    assert_bare_401(call(server, sign(iss=jwks_server.issuer, aud="https://evil.example" + ROUTE), headers=spoofed))
    assert call(server, sign(iss=jwks_server.issuer, aud=[AUD])).status_code == 200


def test_untrusted_callers_cause_no_outbound_request(served, jwks_server):
    application, server = served()
    _register(application, jwks_server)
    assert_bare_401(call(server, sign(iss="https://unknown.example", jku=jwks_server.url)))
    assert_bare_401(call(server, sign(iss=jwks_server.issuer, jku=jwks_server.issuer + "/other-jwks.json")))
    assert_bare_401(call(server, sign(iss=jwks_server.issuer + "/", jku=jwks_server.url)))
    assert jwks_server.requests == []


def test_refused_tenants_and_roles(served, jwks_server):
    application, server = served()
    _register(application, jwks_server, name="Not An EHR", role="lab")
    assert_bare_401(call(server, sign(iss=jwks_server.issuer)))
    assert jwks_server.requests == []


def test_disabled_tenant_is_refused(served, jwks_server):
    application, server = served()
    _register(application, jwks_server)
    application.extensions["varshare"].tenants.set_disabled("City Hospital", True)
    assert_bare_401(call(server, sign(iss=jwks_server.issuer)))


def test_expired_and_wrongly_signed_tokens(served, jwks_server):
    application, server = served()
    _register(application, jwks_server)
    assert_bare_401(call(server, sign(iss=jwks_server.issuer, lifetime=-100)))
    assert_bare_401(call(server, sign(ec.generate_private_key(ec.SECP384R1()), iss=jwks_server.issuer)))
    none_token = jwt.encode({"iss": jwks_server.issuer, "aud": AUD}, None, algorithm="none",
                            headers={"kid": "ec-1"})
    assert_bare_401(call(server, none_token))


def test_demo_keys_work_in_sandbox_mode(served):
    application, server = served(mode="sandbox")
    seed_demo_tenants(application.extensions["varshare"].tenants)
    for alg in ("ES384", "RS384"):
        response = call(server, sign_demo_jwt(AUD, alg=alg))
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Demo EHR Hospital"
        assert response.json()["issuer"] == BASE + "/sandbox"
    published = requests.get(server.url + "/sandbox/.well-known/jwks.json", timeout=10)
    assert published.status_code == 200
    assert DEMO_ES384_KID in {k["kid"] for k in published.json()["keys"]}
    assert all("d" not in k for k in published.json()["keys"])  # public halves only


def test_demo_keys_and_the_public_sandbox_are_not_trusted_outside_sandbox_mode(served):
    application, server = served()
    seed_demo_tenants(application.extensions["varshare"].tenants)
    assert_bare_401(call(server, sign_demo_jwt(AUD)))
    assert requests.get(server.url + "/sandbox/.well-known/jwks.json", timeout=10).status_code == 404
    impostor = sign(kid=SANDBOX_KID, iss=CDS_HOOKS_SANDBOX_ISSUER, jku=CDS_HOOKS_SANDBOX_JWKS_URL)
    assert_bare_401(call(server, impostor))


def test_public_cds_hooks_sandbox_is_trusted_with_its_published_key_in_sandbox_mode(served):
    application, server = served(mode="sandbox")
    seed_demo_tenants(application.extensions["varshare"].tenants)
    registration = application.extensions["varshare"].cds_clients.registration(CDS_HOOKS_SANDBOX_ISSUER)
    assert registration is not None and registration.name == "Demo EHR Hospital"
    assert registration.jwks_urls == (CDS_HOOKS_SANDBOX_JWKS_URL,)
    assert [k["kid"] for k in registration.jwks["keys"]] == [SANDBOX_KID]
    # Only the Sandbox's own key verifies: the same kid with another key is refused, and nothing is fetched.
    impostor = sign(kid=SANDBOX_KID, iss=CDS_HOOKS_SANDBOX_ISSUER, jku=CDS_HOOKS_SANDBOX_JWKS_URL)
    assert_bare_401(call(server, impostor))


@pytest.mark.parametrize("path", ["/cds-services", "/cds-services/variant-check",
                                  "/cds-services/variant-check/feedback", ROUTE])
def test_cors_preflight_needs_no_jwt(served, path):
    _app, server = served(cds_allowed_origins="https://sandbox.cds-hooks.org, https://ehr.example")
    preflight = {"Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    response = requests.options(server.url + path, headers=preflight, timeout=10)
    assert response.status_code == 204 and response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == "https://sandbox.cds-hooks.org"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert "Origin" in response.headers["Vary"]
    other = requests.options(server.url + path, headers={**preflight, "Origin": "https://evil.example"}, timeout=10)
    assert other.status_code == 204 and "Access-Control-Allow-Origin" not in other.headers


def test_cors_headers_on_refusals_and_sandbox_default(served):
    _app, server = served()  # test mode: no origin allowed by default
    refused = call(server, headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert_bare_401(refused)
    assert "Access-Control-Allow-Origin" not in refused.headers
    _app, sandbox = served(mode="sandbox")
    refused = call(sandbox, headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert_bare_401(refused)
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    other = requests.get(sandbox.url + "/healthz", headers={"Origin": "https://x.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers  # CORS only on the CDS routes


def test_tokens_never_reach_the_log(served, jwks_server, caplog):
    caplog.set_level(logging.DEBUG)
    application, server = served()
    _register(application, jwks_server)
    good = sign(iss=jwks_server.issuer)
    wrong_audience = sign(iss=jwks_server.issuer, aud="https://elsewhere.example" + ROUTE)
    unknown = sign(iss="https://unknown.example")
    for token in (good, good, wrong_audience, unknown):
        call(server, token)
    records = [r for r in caplog.records if not r.name.startswith("urllib3")]
    text = "\n".join(r.getMessage() + json.dumps(getattr(r, "fields", ""), default=str) for r in records)
    assert "cds client jwt refused" in text and "replay" in text
    for token in (good, wrong_audience, unknown):
        for part in token.split("."):
            assert part not in text
        assert jwt.decode(token, options={"verify_signature": False})["jti"] not in text
