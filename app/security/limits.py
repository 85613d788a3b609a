"""Resource limits on parsed input: nesting depth (deep JSON is a denial-of-service vector)."""

from __future__ import annotations


def exceeds_depth(value: object, max_depth: int) -> bool:
    """True when ``value`` nests objects/arrays deeper than ``max_depth`` (breadth-first: no recursion limit)."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        below: list = []
        for node in level:
            children = node.values() if type(node) is dict else node
            below.extend(c for c in children if type(c) is dict or type(c) is list)
        level = below
    return False
