"""Shared fuzzing material: random JSON values and single-node mutations of a valid document."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st


def json_values(extra_leaves: list[Any] = (), big_integers: int = 2**40) -> st.SearchStrategy:
    """Small random JSON: scalars (plus ``extra_leaves``), lists and objects, at most 8 leaves."""
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-big_integers, big_integers), st.text(max_size=12),
                     st.floats(allow_nan=False, allow_infinity=False),
                     *([st.sampled_from(list(extra_leaves))] if extra_leaves else []))
    return st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                        max_leaves=8)


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def mutated(document: Any, choice: int, replacement: Any, delete: bool) -> Any:
    """A copy of ``document`` with one node (picked by ``choice``) deleted or replaced by ``replacement``."""
    copied = copy.deepcopy(document)
    paths = [p for p in _paths(copied) if p]
    if not paths:
        return replacement
    path = paths[choice % len(paths)]
    parent = copied
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return copied
