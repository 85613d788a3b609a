"""Card and suggestion uuids that carry their card kind, so feedback can be counted per kind statelessly.

A card uuid is a valid random (version 4) UUID whose first byte encodes the card kind and whose last four
bytes are an HMAC tag over the rest, under a deployment key: feedback naming a uuid varshare never issued
is recognised as unmatched without storing every card a hook call returns (hook calls stay read-only).
82 random bits remain, ample for uniqueness within and across responses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

KINDS = ("reclassification", "conflict", "summary", "prior-results", "incomplete-data")
_CODES = {kind: index + 1 for index, kind in enumerate(KINDS)}
_KIND_OF = {code: kind for kind, code in _CODES.items()}
SUGGESTION = 0xF0


def _tag(key: bytes, head: bytes) -> bytes:
    return hmac.digest(key, head, hashlib.sha256)[:4]


def mint_uuid(key: bytes, kind: str) -> str:
    """A fresh UUIDv4 string for a card of ``kind`` (or a suggestion when kind is "suggestion")."""
    raw = bytearray(os.urandom(16))
    raw[0] = SUGGESTION if kind == "suggestion" else _CODES[kind]
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    raw[12:16] = _tag(key, bytes(raw[:12]))
    hexed = raw.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"  # str(uuid.UUID(...)) form


def kind_of_uuid(key: bytes, value: str) -> str | None:
    """The card kind a uuid was minted for, or None when varshare did not mint it under ``key``."""
    try:
        raw = uuid.UUID(value).bytes
    except (ValueError, AttributeError, TypeError):
        return None
    if not hmac.compare_digest(raw[12:16], _tag(key, raw[:12])):
        return None
    return _KIND_OF.get(raw[0])
