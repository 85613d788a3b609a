"""Serialising CDS Hooks responses: no null or empty JSON element anywhere, except ``"cards": []``.

CDS Hooks 2.0 §Use of JSON: "null, "", [], or {} are prohibited" for optional elements without a value.
"""

from __future__ import annotations

from typing import Any

import orjson


def compact(value: Any) -> Any:
    """``value`` with every None, "", [] and {} dropped recursively (from objects and arrays alike).

    Hot path (every card of every hook answer passes through it): the leaf tests are inlined."""
    kind = type(value)
    if kind is dict:
        out: dict = {}
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                if item:
                    out[key] = item
            elif kind is dict or kind is list or kind is tuple:
                item = compact(item)
                if item:
                    out[key] = item
            elif item is not None:
                out[key] = item
        return out
    if kind is list or kind is tuple:
        kept = []
        for item in value:
            kind = type(item)
            if kind is str:
                if item:
                    kept.append(item)
            elif kind is dict or kind is list or kind is tuple:
                item = compact(item)
                if item:
                    kept.append(item)
            elif item is not None:
                kept.append(item)
        return kept
    return value


def cards_body(cards: list[dict]) -> bytes:
    """``{"cards": [...]}`` as JSON bytes; ``"cards": []`` when there is no advice."""
    return orjson.dumps({"cards": compact(cards)})


def json_body(document: dict) -> bytes:
    """Any other CDS Hooks document (discovery, errors) compacted to JSON bytes."""
    return orjson.dumps(compact(document))
