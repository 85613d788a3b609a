"""Per-institution linkage keys derived from the deployment's master key (HKDF-SHA256).

Each institution's key is derived, never stored: the same patient's identifiers hash to the same link for
one institution and to unrelated values for any other.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"varshare-linkage-v1"


def derive_linkage_key(master_key: str, submitter_id: str) -> bytes:
    """The 32-byte linkage key of one institution."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=submitter_id.encode("utf-8"))
    return hkdf.derive(master_key.encode("utf-8"))


def link_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of ``value`` under an institution's linkage key, hex-encoded."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
