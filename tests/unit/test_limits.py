"""JSON depth limit on raw bytes, against a walk of the parsed document as the oracle."""

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from app.security.limits import json_exceeds_depth


def _depth(value: object) -> int:
    """Oracle: nesting depth of a parsed JSON value (a scalar is 0, ``[]`` and ``{}`` are 1)."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _nested(depth: int):
    node: object = 1
    for i in range(depth):
        node = {"x": node} if i % 2 else [node]
    return node


def _exceeds(value: object, max_depth: int) -> bool:
    return json_exceeds_depth(orjson.dumps(value), max_depth)


def test_depth_boundary():
    assert not _exceeds(_nested(100), 100)
    assert _exceeds(_nested(101), 100)
    assert not _exceeds("scalar", 1) and not _exceeds(7, 0)
    assert not _exceeds({}, 1) and _exceeds({"a": {}}, 1)
    assert _exceeds([1, [2, [3]]], 2) and not _exceeds([1, [2, [3]]], 3)
    assert _exceeds([], 0) and not _exceeds([[], {}, [[]]], 3) and _exceeds([[], {}, [[]]], 2)


def test_brackets_inside_strings_do_not_count():
    assert not _exceeds({"a": "[[[[{{{{", "b": "]]]}}}"}, 1)
    assert not _exceeds(["\"[[[", "\\", "\\\"{{", "]]\\\\"], 1)
    assert not json_exceeds_depth(b'{"k\\"[[": "v\\\\", "x": "\\u005b\\u005b"}', 1)


def test_whitespace_and_pretty_printing():
    raw = json.dumps({"a": [{"b": [1, 2, {"c": "]"}]}]}, indent=4).encode()
    assert not json_exceeds_depth(raw, 5) and json_exceeds_depth(raw, 4)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(alphabet='[]{}"\\ab\n\u00e9,:'),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(alphabet='[]{}"\\ab', max_size=4), children, max_size=4),
    max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(_JSON, st.integers(0, 12), st.booleans())
def test_matches_the_parsed_walk(value, max_depth, pretty):
    raw = json.dumps(value, indent=2).encode() if pretty else orjson.dumps(value)
    assert json_exceeds_depth(raw, max_depth) == (_depth(value) > max_depth)


def test_strings_with_brackets_next_to_plain_strings():
    # the quote-pair fast path must not pair a closing quote with the next string's opening quote
    assert not _exceeds(["x", "[", "]", "y"], 1)
    assert not _exceeds({"[": "]", "a": ["{", "", "}"]}, 2) and _exceeds({"[": "]", "a": ["{", "", "}"]}, 1)
    assert not json_exceeds_depth(b'["\\\\", "[\\\\\\"]", "\\\\\\\\"]', 1)
