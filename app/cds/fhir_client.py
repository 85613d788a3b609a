"""Queries to the EHR's FHIR server when prefetch data is absent (CDS Hooks 2.0 §FHIR Resource Access).

Only the ``fhirServer`` URL of the request is called, and ``next`` links only when they stay under it; no
redirects are followed; every request has connect and read timeouts inside one budget per hook call; a
response is capped in bytes; paging stops at a page cap (the result is then marked partial). The access
token goes into the Authorization header and nowhere else: errors and logs name the status, never the token
or the URL's query (which carries the patient id).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import orjson
import requests

from app.cds.prefetch import entries_of


class FhirUnavailable(Exception):
    """The FHIR server could not answer (status, timeout, connection, size, or not FHIR JSON)."""


@dataclass(frozen=True)
class FhirLimits:
    """Bounds on the fallback queries of one hook call."""

    connect_timeout_s: float = 1.0
    read_timeout_s: float = 2.0
    budget_s: float = 4.0
    max_pages: int = 5
    max_bytes: int = 5 * 1024 * 1024


@dataclass
class FhirResult:
    """The resources one query returned and whether paging stopped early."""

    resources: list[dict] = field(default_factory=list)
    partial: bool = False


class FhirClient:
    """A FHIR REST client bound to one request's fhirServer and token."""

    def __init__(self, session: requests.Session, base_url: str, access_token: str | None, limits: FhirLimits,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {"Accept": "application/fhir+json"}
        if access_token:
            self._headers["Authorization"] = f"Bearer {access_token}"
        self._limits = limits
        self._clock = clock
        self._deadline = clock() + limits.budget_s

    def url_for(self, relative: str) -> str:
        """The absolute URL of a rendered template (its query re-encoded)."""
        path, _, query = relative.partition("?")
        url = f"{self._base}/{path.lstrip('/')}"
        return f"{url}?{urlencode(parse_qsl(query, keep_blank_values=True))}" if query else url

    def _get(self, url: str) -> dict:
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise FhirUnavailable("the time budget for FHIR queries is spent")
        timeout = (min(self._limits.connect_timeout_s, remaining), min(self._limits.read_timeout_s, remaining))
        try:
            with self._session.get(url, headers=self._headers, timeout=timeout, allow_redirects=False,
                                   stream=True) as response:
                if response.status_code != 200:
                    raise FhirUnavailable(f"the FHIR server answered {response.status_code}")
                body = b""
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > self._limits.max_bytes:
                        raise FhirUnavailable("the FHIR server's answer is larger than allowed")
        except requests.Timeout:
            raise FhirUnavailable("the FHIR server did not answer in time") from None
        except requests.RequestException as exc:
            raise FhirUnavailable(f"the FHIR server could not be reached ({type(exc).__name__})") from None
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise FhirUnavailable("the FHIR server's answer is not JSON") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("resourceType"), str):
            raise FhirUnavailable("the FHIR server's answer is not a FHIR resource")
        return parsed

    def read(self, relative: str) -> dict | None:
        """One resource by ``Type/id`` (None when it is an OperationOutcome)."""
        resource = self._get(self.url_for(relative))
        return None if resource["resourceType"] == "OperationOutcome" else resource

    def search(self, relative: str) -> FhirResult:
        """All pages of a search (up to the page cap)."""
        return self.pages(self.url_for(relative))

    def pages(self, url: str, already: int = 0) -> FhirResult:
        """Follow a search from ``url`` through its ``next`` links; ``already`` pages were read elsewhere."""
        result = FhirResult()
        pages = already
        next_url: str | None = url
        while next_url is not None:
            if pages >= self._limits.max_pages or not self._within_server(next_url):
                result.partial = True
                break
            bundle = self._get(next_url)
            pages += 1
            if bundle["resourceType"] == "OperationOutcome":
                raise FhirUnavailable("the FHIR server answered with an OperationOutcome")
            resources, next_url = entries_of(bundle)
            result.resources.extend(resources)
        return result

    def _within_server(self, url: str) -> bool:
        return url == self._base or url.startswith(self._base + "/") or url.startswith(self._base + "?")
