"""CDS clients the sandbox trusts without registration: its own demo EHR and the public CDS Hooks Sandbox.

Both sign with keys whose private half is public (ours in ``demo_keys``; the CDS Hooks Sandbox's in its
open-source repository), so they are trusted in sandbox mode only and act as the demo EHR tenant. The
public Sandbox's JWKS URL cannot be reached offline, so its published public key ships here as data.
"""

from __future__ import annotations

from app.config import Settings
from app.sandbox.demo_keys import DEMO_TENANT_NAME, demo_issuer, demo_jwks_url, demo_public_jwks
from app.services.cds_clients import TrustedIssuer

CDS_HOOKS_SANDBOX_ISSUER = "https://sandbox.cds-hooks.org"
CDS_HOOKS_SANDBOX_JWKS_URL = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
# Published at CDS_HOOKS_SANDBOX_JWKS_URL (source: github.com/cds-hooks/sandbox, .well-known/jwks.json);
# the Sandbox signs every call with it (ES384, kid below).
CDS_HOOKS_SANDBOX_JWKS = {
    "keys": [
        {
            "kty": "EC",
            "use": "sig",
            "crv": "P-384",
            "kid": "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f",
            "x": "dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB",
            "y": "Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy",
            "alg": "ES384",
        }
    ]
}


def sandbox_trusted_issuers(settings: Settings) -> tuple[TrustedIssuer, ...]:
    """The issuers trusted in sandbox mode (none in any other mode)."""
    if settings.mode != "sandbox":
        return ()
    base = settings.public_base_url
    return (
        TrustedIssuer(issuer=demo_issuer(base), tenant_name=DEMO_TENANT_NAME, jwks=demo_public_jwks(),
                      jwks_urls=(demo_jwks_url(base),)),
        TrustedIssuer(issuer=CDS_HOOKS_SANDBOX_ISSUER, tenant_name=DEMO_TENANT_NAME, jwks=CDS_HOOKS_SANDBOX_JWKS,
                      jwks_urls=(CDS_HOOKS_SANDBOX_JWKS_URL,)),
    )
