"""Serialising CDS Hooks responses: no null or empty JSON element anywhere, except ``"cards": []``.

CDS Hooks 2.0 §Use of JSON: "null, "", [], or {} are prohibited" for optional elements without a value.
"""

from __future__ import annotations

from typing import Any

import orjson


def compact(value: Any) -> Any:
    """``value`` with every None, "", [] and {} dropped recursively (from objects and arrays alike)."""
    kind = type(value)
    if kind is dict:
        out: dict = {}
        for key, item in value.items():
            item = _kept(item)
            if item is not _DROP:
                out[key] = item
        return out
    if kind is list or kind is tuple:
        return [item for item in map(_kept, value) if item is not _DROP]
    return value


_DROP = object()


def _kept(item: Any) -> Any:
    """The compacted item, or _DROP when it is empty (hot path: strings are most leaves)."""
    kind = type(item)
    if kind is str:
        return item if item else _DROP
    if kind is dict or kind is list or kind is tuple:
        item = compact(item)
        return item if item else _DROP
    return _DROP if item is None else item


def cards_body(cards: list[dict]) -> bytes:
    """``{"cards": [...]}`` as JSON bytes; ``"cards": []`` when there is no advice."""
    return orjson.dumps({"cards": compact(cards)})


def json_body(document: dict) -> bytes:
    """Any other CDS Hooks document (discovery, errors) compacted to JSON bytes."""
    return orjson.dumps(compact(document))
