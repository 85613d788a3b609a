"""Resource limits on parsed input: nesting depth (deep JSON is a denial-of-service vector)."""

from __future__ import annotations


def exceeds_depth(value: object, max_depth: int) -> bool:
    """True when ``value`` nests objects/arrays deeper than ``max_depth`` (iterative: no recursion limit)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
