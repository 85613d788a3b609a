"""DEMO — NOT SECRET: the sandbox's demo EHR signing keys, and a helper that signs CDS Hooks JWTs with them.

These private keys are published in the source on purpose, so anyone can act as the sandbox's demo EHR
("Demo EHR Hospital"). Their issuer is trusted only while the service runs in sandbox mode; never register
these keys, or this issuer, anywhere else.
"""

from __future__ import annotations

import time
import uuid
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

DEMO_TENANT_NAME = "Demo EHR Hospital"
DEMO_ISSUER_PATH = "/sandbox"
DEMO_JWKS_PATH = "/sandbox/.well-known/jwks.json"
DEMO_ES384_KID = "varshare-demo-ehr-es384-1"
DEMO_RS384_KID = "varshare-demo-ehr-rs384-1"

DEMO_NOT_SECRET_EC_P384_PRIVATE_KEY_PEM = b"""-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDA5z8enX/OzvURtVing
q4FVHhm9cwfTBqbZCgxjRHZ1o1AOyGwSIExBHiqXWVA/O96hZANiAARR9sUsTiR7
Jot/TXKAydxBiX0t+K67da9BQw4RycC6zShoNGiTKkhkIDgzNjKBSCsiExqkli/u
u6audU0tQWG9QEI4DAjip5KsARs7kpfm6YpovIpIaliMlDtDPezigq8=
-----END PRIVATE KEY-----
"""

DEMO_NOT_SECRET_RSA_2048_PRIVATE_KEY_PEM = b"""-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCFxsamafx0sdkB
kWoel41OFOTMaoP9AI7zGTO8Zp6HsW8YcjuctMf/QJk+eCExWSYv1NrxbyV0+HPR
WUUFL9dhmrmDN96dAmO+b2gSaK8Fd8CrtSglev37tqZJ4pYVR2I1fpXfcVUI+fEq
cWIW8LXVMAiQiV6GQqgQLiy5JwherhzQeL876ayrl9jCVRGQXQZrMO3rgdbOzZ8v
B9XHn0y5NCvQKcxuSERcKMPW4dWNafhLLa6pAG+RMnypPX2aK2Y0yCIHq4CjVicj
9X9OgGoo/NUbJ1dBdyM4CYfS+CSYrbas+yT77p7SMQH9F0kmaC5jKDSToCYVBdYy
NzFVKba3AgMBAAECggEAOJ2fhN5mEZ0TEi7QkpHhI6KEEl8h7PlHhmqsEpf7j8Hw
GpB92hxIaCaWtHFy2se3+ZZD8tnvKEnd+kOlikRtCsnIqVgDxr80J2xOxzu2lsHP
sNvCWdprkxQB3FMg4XCMh8dC9oWoT1w4TJYfxUWqLsddWI5Kite6+N4R32o9iJPa
yg7+gipFhQfivk07bUf0xUsO3C4AaqO5tTJELGEmbAbNaro5/Zf4S5KkVIUXAMqm
0RrJNpPiLKpvrFTRHs7gY7J4AprQfbL1K4RrdhP5uPBWPHGRGuXU10WcwpAUT9jc
SDw92LinmBoQo3QUj6jyZYSBF23GUz4bjeBbnymEAQKBgQC5Hx6+pigzgmdq8uFZ
vvrflmqxiBiNt4HACvffMKybccrGH178fzHEgexfYZ5CFm30EYGkCr39PqAjH5I7
58F6CPEixhEyZEjBrqn4dQiS6euVbKx/lJnebO4/cOG7KfJab83dY6tvmh94+GBX
wTw4JI2CZoV0S0FM3BBxNWZu9wKBgQC4/wOIEaaGYnA6XHwepwra4Et6H/OLK8kQ
A4lXjYV1a+nwDQU/zUBiuimjYG2hvDruVZGDCYArSMhJOxASCYs7Oqe0tLEX5WFA
QeNsUXY32zfM5DyLgYfW369d3mNJ52k2kikpkf/87XnKBQpOnpFS7T5o9yNtoBTi
bGom1rBGQQKBgEdtiYhYRjSxwUOT2X2uYdA5kotTjt3Hi4nU8ZUti7wiqPHPEvBs
B4Dh/JlE6jJnwx8kThhEiNAZBOLogJ0arB1xK9GWCPafmS8aPL0AM0G0flDWcKx9
Yu1erILQBFkaM0fP0ef1WCWkmzYq58mUZq7m86737dBUZSrJ0pJL3207AoGARFs2
Wtjqx00oWuhBlLH0eNvYB9A2lX4gVSJ5ZTiNz82IK4MkJWcaG2Decdf3qoN64wYL
NngUO+ow155TWdbc843A2izKIyJGxQ+TkTqojAscm0DaflHmd6c/jVfXKD+xyNBJ
FWs1Q6gcEGG8ZUCCQjoXjYGEPcWg8elNb/x0NgECgYBomCz7q4tYZxW/V/ebwpV+
ogY9sy3d7eAeZJWgxXQg4aWoMQRl8p7+CCJGLPutguOXI2zhuANiygkHUr/HAijt
FZO4dpTckTd/q9Qo3cEJebVXobAyR8hB7NsWM76bNg79IZJ4JOnfFiNqPVzHpKaA
cvCJ+xkVGGLarj6w8nnrwA==
-----END PRIVATE KEY-----
"""

_DEMO_KEYS = {"ES384": (DEMO_ES384_KID, DEMO_NOT_SECRET_EC_P384_PRIVATE_KEY_PEM),
              "RS384": (DEMO_RS384_KID, DEMO_NOT_SECRET_RSA_2048_PRIVATE_KEY_PEM)}


def demo_issuer(public_base_url: str) -> str:
    """The ``iss`` of the sandbox's demo EHR: ``{public_base_url}/sandbox``."""
    return public_base_url.rstrip("/") + DEMO_ISSUER_PATH


def demo_jwks_url(public_base_url: str) -> str:
    """Where the sandbox publishes the demo keys' public JWK Set."""
    return public_base_url.rstrip("/") + DEMO_JWKS_PATH


@cache
def _private_key(alg: str):
    return load_pem_private_key(_DEMO_KEYS[alg][1], password=None)


@cache
def demo_public_jwks() -> dict[str, Any]:
    """The public JWK Set of the demo keys (what ``/sandbox/.well-known/jwks.json`` serves)."""
    keys = []
    for alg, (kid, _pem) in _DEMO_KEYS.items():
        public = _private_key(alg).public_key()
        algorithm = jwt.algorithms.ECAlgorithm if alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
        keys.append({**algorithm.to_jwk(public, as_dict=True), "kid": kid, "use": "sig", "alg": alg})
    return {"keys": keys}


def _base_of(audience: str) -> str:
    base, marker, _rest = audience.partition("/cds-services")
    if not marker:
        raise ValueError("pass public_base_url when the audience is not a /cds-services URL")
    return base


def sign_demo_jwt(audience: str, *, alg: str = "ES384", public_base_url: str | None = None,
                  issuer: str | None = None, lifetime_s: int = 300, jti: str | None = None,
                  tenant: str | None = None, issued_at: int | None = None, jku: bool = True,
                  extra_claims: dict[str, Any] | None = None, extra_headers: dict[str, Any] | None = None) -> str:
    """A CDS Hooks client JWT signed with a demo key, as the sandbox's demo EHR sends it.

    ``audience`` is the exact endpoint URL called; the issuer defaults to the demo issuer of the base URL
    (``public_base_url``, or the part of ``audience`` before ``/cds-services``).
    """
    if alg not in _DEMO_KEYS:
        raise ValueError(f"demo keys exist for {', '.join(_DEMO_KEYS)} only")
    base = public_base_url or _base_of(audience)
    now = int(time.time()) if issued_at is None else issued_at
    claims: dict[str, Any] = {"iss": issuer or demo_issuer(base), "aud": audience, "exp": now + lifetime_s,
                              "iat": now, "jti": jti or str(uuid.uuid4())}
    if tenant is not None:
        claims["tenant"] = tenant
    claims.update(extra_claims or {})
    headers: dict[str, Any] = {"typ": "JWT", "kid": _DEMO_KEYS[alg][0]}
    if jku:
        headers["jku"] = demo_jwks_url(base)
    headers.update(extra_headers or {})
    return jwt.encode(claims, _private_key(alg), algorithm=alg, headers=headers)
