"""The PHI guard: scan every string about to leave the request (store, vault-free tables, receipts, logs) for
the identifying values the submission itself carries, and fail closed.

Matching (deidentification.md D5): token sequences of folded text (so punctuation and case do not hide a
value), long letter-bearing values also inside longer tokens, and base64-looking runs decoded (and inflated
when they are zlib/Flate streams) and scanned again. A hit names the field and the kind of value, never the
value itself.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from app.deid.deny_list import DenyList, fold, tokens_of

_NUMBER_SEPARATORS = re.compile(r"(?<=\d)[\s().+/-]+(?=\d)")  # "(202) 555-0143" is also "2025550143"
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_MAX_DECODE_DEPTH = 2


@dataclass(frozen=True)
class PhiHit:
    """One refused field: where it came from in the input, what it is, and what kind of value it carried."""

    location: str
    field: str
    category: str


def _decoded_texts(text: str) -> list[str]:
    out = []
    for run in _BASE64_RUN.findall(text):
        padded = run + "=" * (-len(run) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(padded)
            except (binascii.Error, ValueError):
                continue
            candidates = [raw]
            for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
                with contextlib.suppress(zlib.error):
                    candidates.append(zlib.decompress(raw, wbits))
            out.extend(t for t in (c.decode("utf-8", errors="ignore") for c in candidates) if _looks_like_text(t))
            out.extend(_inflated_streams(raw))
            break
    return out


def _looks_like_text(text: str) -> bool:
    """Decoded noise (an identifier that merely looks like base64) is not scanned: it would match by chance."""
    if not text:
        return False
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    return printable / len(text) >= 0.85


def _inflated_streams(raw: bytes) -> list[str]:
    """Text of Flate-compressed streams embedded in a decoded document (PDF ``stream ... endstream``)."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.DOTALL):
        try:
            out.append(zlib.decompress(match.group(1)).decode("utf-8", errors="ignore"))
        except zlib.error:
            continue
    return out


def _token_category(deny: DenyList, text: str, longest: int) -> str | None:
    tokens = tokens_of(text)
    for i in range(len(tokens)):
        for length in range(1, longest + 1):
            if i + length > len(tokens):
                break
            category = deny.forms.get(tokens[i:i + length])
            if category is not None:
                return category
    return None


def _category_in(deny: DenyList, text: str, longest: int, depth: int = 0) -> str | None:
    for variant in dict.fromkeys((text, _NUMBER_SEPARATORS.sub("", text))):
        category = _token_category(deny, variant, longest)
        if category is not None:
            return category
    if deny.substrings:
        compact = "".join(c for c in fold(text) if c.isalnum())
        for value, category in deny.substrings.items():
            if value in compact:
                return category
    if depth < _MAX_DECODE_DEPTH:
        for decoded in _decoded_texts(text):
            category = _category_in(deny, decoded, longest, depth + 1)
            if category is not None:
                return category
    return None


def find_phi(deny: DenyList, fields: Iterable[tuple[str, str, str | None]]) -> list[PhiHit]:
    """The fields ``(input location, field name, outgoing string)`` that carry a deny-list value, once each."""
    if not deny.forms and not deny.substrings:
        return []
    hits: dict[tuple[str, str], PhiHit] = {}
    longest = max(map(len, deny.forms), default=0)
    seen: dict[str, str | None] = {}  # outgoing strings repeat a lot (terms, condition keys): scan each once
    for location, name, text in fields:
        if not text or (location, name) in hits:
            continue
        if text not in seen:
            seen[text] = _category_in(deny, text, longest)
        category = seen[text]
        if category is not None:
            hits[(location, name)] = PhiHit(location, name, category)
    return list(hits.values())
