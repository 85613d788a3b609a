"""CDS client JWT verification in isolation: generated keys, an in-memory registry, a recording fetcher."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.security.client_jwt import ClientJwtVerifier, ClientRegistration, InvalidClientJwt, hash_jti

ISS = "https://ehr.example.org"
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"
AUD = "https://cds.example.org/cds-services/variant-check"

EC_KEY = ec.generate_private_key(ec.SECP384R1())
EC256_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC_KEY = ec.generate_private_key(ec.SECP384R1())


def public_jwk(key, kid: str, alg: str) -> dict:
    algorithm = jwt.algorithms.ECAlgorithm if alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
    return {**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": alg}


JWKS = {"keys": [public_jwk(EC_KEY, "ec-1", "ES384"), public_jwk(RSA_KEY, "rsa-1", "RS384")]}


def sign(*, key=EC_KEY, alg="ES384", kid: str | None = "ec-1", jku: str | None = JWKS_URL, typ: str | None = "JWT",
         iss=ISS, aud=AUD, lifetime=300, iat_offset=0, drop=(), **claims) -> str:
    now = int(time.time()) + iat_offset
    payload = {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4()), **claims}
    for name in drop:
        payload.pop(name)
    headers = {k: v for k, v in {"kid": kid, "jku": jku, "typ": typ}.items() if v is not None}
    token = jwt.encode(payload, key, algorithm=alg, headers=headers)
    if typ is None:  # PyJWT adds typ by default: rebuild the header without it
        head, body, sig = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        header.pop("typ", None)
        token = ".".join((_b64(json.dumps(header).encode()), body, sig))
    return token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Harness:
    """A verifier with recording doubles for the registry, replay guard and fetcher."""

    def __init__(self, registration: ClientRegistration | None = None, jwks: dict | None = None, **options) -> None:
        self.registrations = {ISS: registration or ClientRegistration("sub-1", "City Hospital", ISS, (JWKS_URL,))}
        self.jwks = jwks if jwks is not None else JWKS
        self.fetched: list[str] = []
        self.looked_up: list[str] = []
        self.seen: set[tuple[str, str]] = set()
        self.offset = 0.0
        self.verifier = ClientJwtVerifier(self.lookup, self.replay, self.fetch, clock=self.clock, **options)

    def clock(self) -> float:
        return time.time() + self.offset

    def lookup(self, issuer: str):
        self.looked_up.append(issuer)
        return self.registrations.get(issuer)

    def replay(self, issuer: str, jti_hash: str, exp: int) -> bool:
        if (issuer, jti_hash) in self.seen:
            return False
        self.seen.add((issuer, jti_hash))
        return True

    def fetch(self, url: str) -> dict:
        self.fetched.append(url)
        return self.jwks

    def verify(self, token: str, audience: str = AUD):
        return self.verifier.verify(token, audience)

    def refuses(self, token: str, audience: str = AUD) -> str:
        with pytest.raises(InvalidClientJwt) as caught:
            self.verify(token, audience)
        return caught.value.reason


def test_valid_es384_is_accepted():
    harness = Harness()
    token = sign(tenant="ignored-without-a-tenant-list")
    client = harness.verify(token)
    assert (client.submitter_id, client.name, client.issuer, client.kid) == ("sub-1", "City Hospital", ISS, "ec-1")
    assert client.tenant == "ignored-without-a-tenant-list"
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert client.jti_hash == hash_jti(jti) == hashlib.sha256(jti.encode()).hexdigest()
    assert harness.fetched == [JWKS_URL]


def test_valid_rs384_is_accepted_and_keys_are_cached():
    harness = Harness()
    harness.verify(sign())
    assert harness.verify(sign(key=RSA_KEY, alg="RS384", kid="rsa-1")).kid == "rsa-1"
    assert harness.fetched == [JWKS_URL]  # one fetch for both tokens


def test_rs256_and_es256_only_when_the_registration_allows_them():
    jwks = {"keys": [public_jwk(RSA_KEY, "rsa-256", "RS256"), public_jwk(EC256_KEY, "ec-256", "ES256")]}
    rs256, es256 = (sign(key=RSA_KEY, alg="RS256", kid="rsa-256"), sign(key=EC256_KEY, alg="ES256", kid="ec-256"))
    strict = Harness(jwks=jwks)
    assert "not allowed" in strict.refuses(rs256)
    assert "not allowed" in strict.refuses(es256)
    assert strict.fetched == []
    lenient = Harness(ClientRegistration("sub-1", "City Hospital", ISS, (JWKS_URL,), extra_algorithms=("RS256",
                                                                                                        "ES256")),
                      jwks=jwks)
    assert lenient.verify(rs256).kid == "rsa-256"
    assert lenient.verify(es256).kid == "ec-256"


def test_audience_must_be_the_exact_endpoint_url():
    harness = Harness()
    assert "InvalidAudience" in harness.refuses(sign(aud="https://cds.example.org/cds-services"))
    harness.refuses(sign(aud=AUD + "/"))
    harness.refuses(sign(aud="https://internal-host:8080/cds-services/variant-check"))
    assert harness.verify(sign(aud=[AUD])).issuer == ISS  # a one-element array containing it is fine


def test_time_claims():
    harness = Harness()
    assert "Expired" in harness.refuses(sign(iat_offset=-400))
    harness.refuses(sign(iat_offset=120))  # iat beyond the 30 s leeway
    assert harness.verify(sign(iat_offset=20))  # within the leeway
    assert "lifetime" in harness.refuses(sign(lifetime=301))
    harness.refuses(sign(nbf=int(time.time()) + 120))
    for claim in ("exp", "iat", "jti", "aud", "iss"):
        harness.refuses(sign(drop=(claim,)))


def test_max_lifetime_is_configurable_up_to_an_hour():
    assert Harness(max_lifetime_s=3600).verify(sign(lifetime=3600))
    with pytest.raises(ValueError):
        Harness(max_lifetime_s=3601)


def test_replayed_jti_is_refused_and_only_recorded_after_every_check():
    harness = Harness()
    token = sign()
    harness.verify(token)
    assert "replay" in harness.refuses(token)
    jti = "same-jti"
    harness.refuses(sign(jti=jti, aud="https://elsewhere.example/cds-services"))
    assert harness.verify(sign(jti=jti))  # the refused token did not burn its jti


def test_unknown_issuer_makes_no_request():
    harness = Harness()
    reason = harness.refuses(sign(iss="https://evil.example", jku="https://evil.example/jwks.json"))
    assert reason == "issuer is not registered"
    assert harness.looked_up == ["https://evil.example"] and harness.fetched == []


def test_issuer_is_matched_exactly():
    harness = Harness()
    for variant in (ISS + "/", ISS.upper(), "http://ehr.example.org"):
        harness.refuses(sign(iss=variant))
    assert harness.fetched == []


def test_unregistered_jku_makes_no_request():
    harness = Harness()
    for jku in ("https://evil.example/jwks.json", JWKS_URL + "?x=1", "http://169.254.169.254/latest"):
        assert "jku" in harness.refuses(sign(jku=jku))
    assert harness.fetched == []


def test_without_jku_the_registered_key_source_is_used():
    harness = Harness()
    assert harness.verify(sign(jku=None))
    assert harness.fetched == [JWKS_URL]


def test_inline_key_set_is_never_fetched_but_jku_must_still_be_allowlisted():
    harness = Harness(ClientRegistration("sub-1", "City Hospital", ISS, (JWKS_URL,), jwks=JWKS))
    assert harness.verify(sign())
    assert harness.verify(sign(jku=None))
    harness.refuses(sign(jku="https://evil.example/jwks.json"))
    assert harness.fetched == []


def test_alg_none_is_refused():
    harness = Harness()
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "ec-1"}).encode())
    now = int(time.time())
    body = _b64(json.dumps({"iss": ISS, "aud": AUD, "iat": now, "exp": now + 60, "jti": "x"}).encode())
    assert "not allowed" in harness.refuses(f"{header}.{body}.")
    assert harness.looked_up == [] and harness.fetched == []


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_public_key_as_secret_is_refused(alg):
    harness = Harness()
    secret = EC_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    signing_input = ".".join((
        _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "ec-1"}).encode()),
        _b64(json.dumps({"iss": ISS, "aud": AUD, "iat": now, "exp": now + 60, "jti": "x"}).encode())))
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    token = signing_input + "." + _b64(hmac.new(secret, signing_input.encode(), digest).digest())
    assert "not allowed" in harness.refuses(token)
    assert harness.fetched == []


def test_header_alg_must_fit_the_key_type():
    harness = Harness()
    token = sign(key=RSA_KEY, alg="RS384", kid="ec-1")  # claims the EC key's kid
    assert "key type" in harness.refuses(token)


def test_bad_signature_is_refused():
    harness = Harness()
    assert "InvalidSignature" in harness.refuses(sign(key=OTHER_EC_KEY))
    head, body, sig = sign().split(".")
    tampered = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    tampered["aud"] = "https://cds.example.org/cds-services/other"
    harness.refuses(".".join((head, _b64(json.dumps(tampered).encode()), sig)), audience=tampered["aud"])


def test_header_requirements():
    harness = Harness()
    assert harness.refuses(sign(kid=None)) == "kid missing"
    assert "typ" in harness.refuses(sign(typ=None))
    assert "typ" in harness.refuses(sign(typ="at+jwt"))
    harness.refuses(jwt.encode({"iss": ISS}, EC_KEY, algorithm="ES384", headers={"kid": "ec-1", "crit": ["exp"]}))
    for garbage in ("", "abc", "a.b.c", "a.b", "ey.ey.ey.ey"):
        harness.refuses(garbage)
    assert harness.looked_up == []


def test_token_over_8_kib_is_refused_before_anything_else():
    harness = Harness()
    token = sign(padding="x" * 8200)
    assert "8 KiB" in harness.refuses(token)
    assert harness.looked_up == []


def test_unknown_kid_refreshes_once_then_respects_the_cooldown():
    harness = Harness()
    harness.verify(sign())  # the key set is cached
    assert harness.refuses(sign(kid="rotated-1")) == "unknown kid"
    assert harness.fetched == [JWKS_URL, JWKS_URL]  # exactly one refresh
    harness.refuses(sign(kid="rotated-2"))
    assert len(harness.fetched) == 2  # within the cooldown: no request
    harness.offset = 31
    harness.jwks = {"keys": [*JWKS["keys"], public_jwk(OTHER_EC_KEY, "rotated-3", "ES384")]}
    assert harness.verify(sign(key=OTHER_EC_KEY, kid="rotated-3")).kid == "rotated-3"  # rotation picked up
    assert len(harness.fetched) == 3


def test_unknown_kid_on_a_fresh_fetch_does_not_fetch_twice():
    harness = Harness()
    harness.refuses(sign(kid="nope"))
    assert harness.fetched == [JWKS_URL]


def test_key_set_expires_after_its_lifespan():
    harness = Harness(jwks_cache_s=300)
    harness.verify(sign())
    harness.offset = 301
    harness.verify(sign())
    assert len(harness.fetched) == 2


@pytest.mark.filterwarnings("ignore:The RSA key is 1024 bits")
def test_ambiguous_or_unusable_keys_are_refused():
    duplicate = Harness(jwks={"keys": [public_jwk(EC_KEY, "ec-1", "ES384"), public_jwk(OTHER_EC_KEY, "ec-1",
                                                                                        "ES384")]})
    assert "unique" in duplicate.refuses(sign())
    private = Harness(jwks={"keys": [{**jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY, as_dict=True), "kid": "ec-1"}]})
    assert "public" in private.refuses(sign())
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak = Harness(jwks={"keys": [public_jwk(small, "rsa-1", "RS384")]})
    assert "2048" in weak.refuses(sign(key=small, alg="RS384", kid="rsa-1"))
    p256 = {k: v for k, v in public_jwk(EC256_KEY, "ec-1", "ES256").items() if k != "alg"}
    assert "key type" in Harness(jwks={"keys": [p256]}).refuses(sign())


def test_fetch_failures_are_refusals():
    harness = Harness()

    def failing(url):
        harness.fetched.append(url)
        raise OSError("connection refused")

    harness.verifier._keys._fetch = failing
    assert "fetch failed" in harness.refuses(sign())
    assert "backing off" in harness.refuses(sign())
    assert harness.fetched == [JWKS_URL]  # no second request within the back-off
    harness.offset = 6
    harness.verifier._keys._fetch = lambda url: {"not": "a key set"}
    assert "fetch failed" in harness.refuses(sign())


def test_a_failing_jwks_endpoint_keeps_the_last_good_keys_in_use():
    harness = Harness()
    harness.verify(sign())
    harness.offset = 301  # the cached set has expired

    def failing(url):
        harness.fetched.append(url)
        raise OSError("down")

    harness.verifier._keys._fetch = failing
    assert harness.verify(sign()).kid == "ec-1"
    assert harness.verify(sign()).kid == "ec-1"
    assert len(harness.fetched) == 2  # one failed attempt, then the back-off
    harness.offset = 301 * 12
    harness.refuses(sign())  # too stale to trust


def test_tenant_claim_rules():
    harness = Harness(ClientRegistration("sub-1", "City Hospital", ISS, (JWKS_URL,), tenants=("north", "south")))
    assert harness.verify(sign(tenant="north")).tenant == "north"
    assert "tenant" in harness.refuses(sign())
    assert "tenant" in harness.refuses(sign(tenant="west"))
    assert "tenant" in harness.refuses(sign(tenant=["north"]))


def test_failures_after_registration_name_the_submitter_for_audit():
    harness = Harness()
    with pytest.raises(InvalidClientJwt) as caught:
        harness.verify(sign(aud="https://elsewhere.example/cds-services"))
    assert caught.value.submitter_id == "sub-1" and caught.value.issuer == ISS and caught.value.kid == "ec-1"
    with pytest.raises(InvalidClientJwt) as unknown:
        harness.verify(sign(iss="https://nobody.example"))
    assert unknown.value.submitter_id is None


def test_a_kid_whose_key_changed_verifies_with_the_new_key_only():
    # Loaded keys are remembered by their content, not by kid: a rotated key under the same kid is loaded anew.
    harness = Harness(jwks={"keys": [public_jwk(EC_KEY, "same-kid", "ES384")]})
    harness.verify(sign(kid="same-kid"))
    harness.jwks = {"keys": [public_jwk(OTHER_EC_KEY, "same-kid", "ES384")]}
    harness.offset = 301  # the cached key set expires
    assert harness.verify(sign(key=OTHER_EC_KEY, kid="same-kid")).kid == "same-kid"
    assert "Signature" in harness.refuses(sign(kid="same-kid"))  # the old key's signature no longer passes


@pytest.mark.filterwarnings("ignore:The RSA key is 1024 bits")
def test_a_refused_key_is_refused_every_time():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak = Harness(jwks={"keys": [public_jwk(small, "rsa-1", "RS384")]})
    for _ in range(2):
        assert "2048" in weak.refuses(sign(key=small, alg="RS384", kid="rsa-1"))
