"""CDS clients' JWK Sets: fetching over HTTP (the only outbound request client verification makes) and caching.

Fetched only from URLs a registration allowlists (the verifier checks that first): short timeouts, no
redirects (a redirect would leave the allowlist), a small response cap, JSON only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import requests

CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
MAX_JWKS_BYTES = 64 * 1024


class JwksFetchError(RuntimeError):
    """The key set could not be fetched or is not a JWK Set."""


def fetch_jwks(url: str, *, session: requests.Session | None = None) -> dict:
    """GET the JWK Set at ``url`` (an allowlisted URL) and return it parsed."""
    getter = session or requests
    with getter.get(url, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), allow_redirects=False, stream=True,
                    headers={"Accept": "application/json"}) as response:
        if response.status_code != 200:
            raise JwksFetchError(f"JWKS answered HTTP {response.status_code}")
        body = b""
        for chunk in response.iter_content(chunk_size=8192):
            body += chunk
            if len(body) > MAX_JWKS_BYTES:
                raise JwksFetchError("JWKS response is larger than 64 KiB")
    try:
        key_set = json.loads(body)
    except ValueError as exc:
        raise JwksFetchError("JWKS response is not JSON") from exc
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise JwksFetchError("JWKS response has no 'keys' array")
    return key_set


class JwksCache:
    """Key sets per allowlisted URL, kept ``lifespan_s``.

    A forced refresh (unknown ``kid``) happens at most once per cooldown per URL, so random ``kid`` values
    cannot make the service hammer a client's JWKS endpoint. When a fetch fails, the last good set is kept
    in use (for up to ``STALE_FACTOR`` lifespans) and the URL is not tried again for ``FAILURE_BACKOFF_S``.
    """

    STALE_FACTOR = 12
    FAILURE_BACKOFF_S = 5.0

    def __init__(self, fetch: Callable[[str], dict], *, lifespan_s: float = 300, refresh_cooldown_s: float = 30,
                 clock: Callable[[], float] = time.time) -> None:
        self._fetch = fetch
        self._lifespan_s = lifespan_s
        self._cooldown_s = refresh_cooldown_s
        self._clock = clock
        self._sets: dict[str, tuple[float, dict]] = {}
        self._refreshed: dict[str, float] = {}
        self._failed: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> tuple[dict, bool]:
        """The key set at ``url`` and whether it was fetched just now."""
        with self._lock:
            cached = self._sets.get(url)
        if cached is not None and self._clock() - cached[0] < self._lifespan_s:
            return cached[1], False
        return self._load(url), True

    def refresh(self, url: str) -> dict | None:
        """Fetch ``url`` again unless a refresh was forced within the cooldown (then None)."""
        now = self._clock()
        with self._lock:
            last = self._refreshed.get(url)
            if last is not None and now - last < self._cooldown_s:
                return None
            self._refreshed[url] = now  # claimed before fetching: concurrent unknown kids share one refresh
        return self._load(url)

    def _stale(self, url: str) -> dict | None:
        with self._lock:
            cached = self._sets.get(url)
        if cached is not None and self._clock() - cached[0] < self._lifespan_s * self.STALE_FACTOR:
            return cached[1]
        return None

    def _load(self, url: str) -> dict:
        with self._lock:
            failed = self._failed.get(url)
        if failed is not None and self._clock() - failed < self.FAILURE_BACKOFF_S:
            stale = self._stale(url)
            if stale is None:
                raise JwksFetchError("JWKS fetch failed recently (backing off)")
            return stale
        try:
            key_set = self._fetch(url)
            if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
                raise ValueError("not a JWK Set")
        except Exception as exc:  # any failure means no new keys; the reason names the type only
            with self._lock:
                self._failed[url] = self._clock()
            stale = self._stale(url)
            if stale is None:
                raise JwksFetchError(f"JWKS fetch failed ({type(exc).__name__})") from exc
            return stale
        with self._lock:
            self._sets[url] = (self._clock(), key_set)
            self._failed.pop(url, None)
        return key_set
