"""Fetching a client's JWK Set: short timeouts, no redirects, a size cap, JSON key sets only."""

import pytest
import responses

from app.security.jwks import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, JwksFetchError, fetch_jwks

URL = "https://ehr.example.org/.well-known/jwks.json"


@responses.activate
def test_a_key_set_is_returned_with_short_timeouts():
    responses.get(URL, json={"keys": [{"kty": "EC", "kid": "a"}]})
    assert fetch_jwks(URL) == {"keys": [{"kty": "EC", "kid": "a"}]}
    assert responses.calls[0].request.req_kwargs["timeout"] == (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)


@responses.activate
def test_redirects_are_not_followed():
    responses.get(URL, status=302, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    with pytest.raises(JwksFetchError, match="302"):
        fetch_jwks(URL)
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize("body, message", [
    (b"x" * (64 * 1024 + 1), "64 KiB"),
    (b"<html>", "not JSON"),
    (b'{"keys": {}}', "keys"),
    (b"[]", "keys"),
])
def test_bad_responses_are_errors(body, message):
    responses.get(URL, body=body)
    with pytest.raises(JwksFetchError, match=message):
        fetch_jwks(URL)


@responses.activate
def test_http_errors_are_errors():
    responses.get(URL, status=500)
    with pytest.raises(JwksFetchError, match="500"):
        fetch_jwks(URL)
