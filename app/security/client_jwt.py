"""CDS Hooks client JWT verification (CDS Hooks 2.0 "Trusting CDS Clients"; security reference A2).

The verifier trusts nothing from the token until the signature is checked: the unverified header and
``iss`` only select a registration and a key. Registrations, the replay guard and the JWKS fetcher are
injected, so this module touches no store, no web framework and no network of its own. Every failure is
an ``InvalidClientJwt`` whose ``reason`` is for logs only; the caller answers a bare 401.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import orjson

from app.security.jwks import JwksCache, JwksFetchError

MAX_TOKEN_BYTES = 8 * 1024
BASE_ALGORITHMS = frozenset({"ES384", "RS384"})
OPTIONAL_ALGORITHMS = frozenset({"ES256", "RS256"})  # only for registrations that list them
MAX_LIFETIME_CEILING_S = 3600  # CDS Hooks best practice: tokens live "no more than an hour"
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
_KEY_SHAPE = {"ES384": ("EC", "P-384"), "ES256": ("EC", "P-256"), "RS384": ("RSA", None), "RS256": ("RSA", None)}
MIN_RSA_BITS = 2048
MAX_JTI_CHARS = 256
MAX_LOADED_KEYS = 256
_LOADED_KEYS: dict[tuple[bytes, str], jwt.PyJWK] = {}  # (canonical JWK, alg) -> loaded public key


class InvalidClientJwt(Exception):
    """The token is not acceptable. ``reason`` goes to logs and audit only, never to the client."""

    def __init__(self, reason: str, *, issuer: str | None = None, kid: str | None = None,
                 jti_hash: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.issuer = issuer
        self.kid = kid
        self.jti_hash = jti_hash
        self.submitter_id: str | None = None  # set once the issuer matched a registration


@dataclass(frozen=True)
class ClientRegistration:
    """A trusted CDS client: its exact issuer, where its keys come from, and what it may send.

    ``jwks_urls`` is the allowlist for the ``jku`` header and, without ``jwks``, where keys are fetched.
    ``jwks`` is a key set communicated out of band (inline); when present no fetch is ever made, and a
    ``jku`` header must still string-equal one of ``jwks_urls``.
    """

    submitter_id: str
    name: str
    issuer: str
    jwks_urls: tuple[str, ...] = ()
    jwks: dict | None = None
    extra_algorithms: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()

    def algorithms(self) -> frozenset[str]:
        return BASE_ALGORITHMS | (frozenset(self.extra_algorithms) & OPTIONAL_ALGORITHMS)


@dataclass(frozen=True)
class VerifiedClient:
    """The CDS client behind a request whose JWT passed every check."""

    submitter_id: str
    name: str
    issuer: str
    tenant: str | None
    kid: str
    jti_hash: str


def hash_jti(jti: str) -> str:
    """The stored and logged form of a ``jti`` (SHA-256 hex)."""
    return hashlib.sha256(jti.encode("utf-8")).hexdigest()


def _select_key(key_set: dict, kid: str, alg: str) -> jwt.PyJWK | None:
    """The one key with this ``kid`` whose type fits ``alg``; None when absent, an error when ambiguous."""
    kty, crv = _KEY_SHAPE[alg]
    matches = [k for k in key_set.get("keys", []) if isinstance(k, dict) and k.get("kid") == kid]
    if len(matches) > 1:
        raise InvalidClientJwt("kid is not unique in the key set", kid=kid)
    if not matches:
        return None
    jwk = matches[0]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        raise InvalidClientJwt(f"key type does not fit {alg}", kid=kid)
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg or "d" in jwk:
        raise InvalidClientJwt("key is not a public signing key for this algorithm", kid=kid)
    return _loaded_key(jwk, alg, kid)


def _loaded_key(jwk: dict, alg: str, kid: str) -> jwt.PyJWK:
    """The public key of ``jwk`` for ``alg``, loaded once per distinct key content (loading and validating an EC
    point on every call cost about 0.1 ms); keys that fail to load are not remembered."""
    content = (orjson.dumps(jwk, option=orjson.OPT_SORT_KEYS), alg)
    key = _LOADED_KEYS.get(content)
    if key is not None:
        return key
    try:
        key = jwt.PyJWK(jwk, algorithm=alg)
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise InvalidClientJwt(f"key cannot be loaded ({type(exc).__name__})", kid=kid) from exc
    if _KEY_SHAPE[alg][0] == "RSA" and key.key.key_size < MIN_RSA_BITS:
        raise InvalidClientJwt("RSA key shorter than 2048 bits", kid=kid)
    if len(_LOADED_KEYS) >= MAX_LOADED_KEYS:
        _LOADED_KEYS.clear()  # many distinct keys (rotations over a long uptime): start over
    _LOADED_KEYS[content] = key
    return key


class ClientJwtVerifier:
    """Verifies CDS client JWTs against registrations; thread-safe, one instance per process."""

    def __init__(self, lookup: Callable[[str], ClientRegistration | None], replay: Callable[[str, str, int], bool],
                 fetch_jwks: Callable[[str], dict], *, leeway_s: int = 30, max_lifetime_s: int = 300,
                 jwks_cache_s: float = 300, refresh_cooldown_s: float = 30,
                 clock: Callable[[], float] = time.time) -> None:
        """``lookup(iss)`` gives the registration of an exact issuer; ``replay(iss, jti_hash, exp)`` records a
        token id and returns False when it was already recorded; ``fetch_jwks(url)`` returns a key set."""
        if not 0 < max_lifetime_s <= MAX_LIFETIME_CEILING_S:
            raise ValueError(f"max_lifetime_s must be between 1 and {MAX_LIFETIME_CEILING_S}")
        self._lookup = lookup
        self._replay = replay
        self._keys = JwksCache(fetch_jwks, lifespan_s=jwks_cache_s, refresh_cooldown_s=refresh_cooldown_s,
                               clock=clock)
        self._leeway_s = leeway_s
        self._max_lifetime_s = max_lifetime_s
        self._clock = clock

    def verify(self, token: str, audience: str) -> VerifiedClient:
        """The client behind ``token`` when it is valid for ``audience`` (the exact endpoint URL)."""
        header, unverified = self._read_unverified(token)
        alg, kid = header["alg"], header["kid"]
        issuer = self._read_issuer(unverified)
        registration = self._lookup(issuer)
        if registration is None:
            raise InvalidClientJwt("issuer is not registered", issuer=issuer, kid=kid)
        try:
            return self._verify_registered(token, audience, registration, alg, kid, header)
        except InvalidClientJwt as exc:
            exc.submitter_id, exc.issuer, exc.kid = registration.submitter_id, issuer, kid
            raise

    def _verify_registered(self, token: str, audience: str, registration: ClientRegistration, alg: str, kid: str,
                           header: dict[str, Any]) -> VerifiedClient:
        issuer = registration.issuer
        if alg not in registration.algorithms():
            raise InvalidClientJwt(f"algorithm {alg} is not allowed for this issuer", issuer=issuer, kid=kid)
        key = self._resolve_key(registration, header)
        try:
            claims = jwt.decode(token, key, algorithms=[alg], audience=audience, issuer=registration.issuer,
                                leeway=self._leeway_s, options={"require": REQUIRED_CLAIMS})
        except jwt.PyJWTError as exc:
            raise InvalidClientJwt(f"rejected by the JWT checks ({type(exc).__name__})", issuer=issuer,
                                   kid=kid) from exc
        if claims["iss"] != registration.issuer:  # PyJWT checks it too; exactness matters enough to repeat
            raise InvalidClientJwt("iss does not match the registration", issuer=issuer, kid=kid)
        jti = claims["jti"]
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
            raise InvalidClientJwt("jti is not a string of 1-256 characters", issuer=issuer, kid=kid)
        jti_hash = hash_jti(jti)
        tenant = self._check_claims(claims, registration, kid, jti_hash)
        if not self._replay(registration.issuer, jti_hash, int(claims["exp"])):
            raise InvalidClientJwt("jti was already used (replay)", issuer=issuer, kid=kid, jti_hash=jti_hash)
        return VerifiedClient(submitter_id=registration.submitter_id, name=registration.name,
                              issuer=registration.issuer, tenant=tenant, kid=kid, jti_hash=jti_hash)

    @staticmethod
    def _read_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The header (checked) and the payload, not yet trusted: one decoding of the token (PyJWT validates each
        base64url segment character by character, so reading header and payload apart cost twice)."""
        if not isinstance(token, str) or not token or len(token.encode("utf-8", "replace")) > MAX_TOKEN_BYTES:
            raise InvalidClientJwt("token missing or larger than 8 KiB")
        if token.count(".") != 2:
            raise InvalidClientJwt("not a compact JWS")
        try:
            unverified = jwt.decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvalidClientJwt(f"unreadable header or payload ({type(exc).__name__})") from exc
        header = unverified["header"]
        kid = header.get("kid")
        kid = kid if isinstance(kid, str) and kid else None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in BASE_ALGORITHMS | OPTIONAL_ALGORITHMS:
            raise InvalidClientJwt(f"algorithm {str(alg)[:16]!r} is not allowed", kid=kid)
        if header.get("typ") != "JWT":
            raise InvalidClientJwt("typ is not JWT", kid=kid)
        if kid is None:
            raise InvalidClientJwt("kid missing")
        if "crit" in header:
            raise InvalidClientJwt("critical header extensions are not supported", kid=kid)
        jku = header.get("jku")
        if jku is not None and not isinstance(jku, str):
            raise InvalidClientJwt("jku is not a string", kid=kid)
        return header, unverified

    @staticmethod
    def _read_issuer(unverified: dict[str, Any]) -> str:
        issuer = unverified["payload"].get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise InvalidClientJwt("iss missing")
        return issuer

    def _resolve_key(self, registration: ClientRegistration, header: dict[str, Any]) -> jwt.PyJWK:
        alg, kid, jku = header["alg"], header["kid"], header.get("jku")
        issuer = registration.issuer
        if jku is not None and jku not in registration.jwks_urls:
            raise InvalidClientJwt("jku is not registered for this issuer", issuer=issuer, kid=kid)
        if registration.jwks is not None:
            key = _select_key(registration.jwks, kid, alg)
            if key is None:
                raise InvalidClientJwt("unknown kid", issuer=issuer, kid=kid)
            return key
        urls = (jku,) if jku is not None else registration.jwks_urls
        if not urls:
            raise InvalidClientJwt("issuer has no key source", issuer=issuer, kid=kid)
        for url in urls:
            try:
                key_set, fresh = self._keys.get(url)
                key = _select_key(key_set, kid, alg)
                if key is None and not fresh:
                    refreshed = self._keys.refresh(url)  # the client may have rotated its keys
                    key = _select_key(refreshed, kid, alg) if refreshed is not None else None
            except JwksFetchError as exc:
                raise InvalidClientJwt(str(exc), issuer=issuer, kid=kid) from exc
            if key is not None:
                return key
        raise InvalidClientJwt("unknown kid", issuer=issuer, kid=kid)

    def _check_claims(self, claims: dict[str, Any], registration: ClientRegistration, kid: str,
                      jti_hash: str) -> str | None:
        context = {"issuer": registration.issuer, "kid": kid, "jti_hash": jti_hash}
        now = self._clock()
        exp, iat = claims["exp"], claims["iat"]
        if isinstance(exp, bool) or isinstance(iat, bool):
            raise InvalidClientJwt("exp or iat is not a number", **context)
        if exp <= now - self._leeway_s:
            raise InvalidClientJwt("token expired", **context)
        if iat > now + self._leeway_s:
            raise InvalidClientJwt("iat is in the future", **context)
        if exp - iat > self._max_lifetime_s:
            raise InvalidClientJwt("token lifetime (exp - iat) is too long", **context)
        tenant = claims.get("tenant")
        if registration.tenants and (not isinstance(tenant, str) or tenant not in registration.tenants):
            raise InvalidClientJwt("tenant missing or not registered for this issuer", **context)
        return tenant if isinstance(tenant, str) and tenant else None
