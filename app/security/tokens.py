"""API bearer tokens: generation, hashing for storage, constant-time verification.

Tokens are 256-bit random values, so a plain SHA-256 is the right storage hash (no password stretching
needed); only the hash and a short hint are stored, the token itself is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_PREFIX = "vs_"  # noqa: S105 - a prefix, not a secret
DEMO_TOKEN_PREFIX = "vs_demo_"  # noqa: S105 - a prefix, not a secret
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{16,200}$")


def generate_token() -> str:
    """A new random API token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_hint(token: str) -> str:
    """A short, non-secret prefix that lets an operator tell tokens apart."""
    return token[:10]


def is_well_formed(token: str) -> bool:
    """Cheap shape check before any lookup (bounded length, URL-safe alphabet)."""
    return bool(_TOKEN_SHAPE.match(token))


def hashes_match(stored_hash: str, token: str) -> bool:
    """Constant-time comparison of a stored hash with a presented token."""
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_token(token).encode("ascii"))
