"""JSON depth limit."""

from app.security.limits import exceeds_depth


def _nested(depth: int):
    node: object = 1
    for i in range(depth):
        node = {"x": node} if i % 2 else [node]
    return node


def test_depth_boundary():
    assert not exceeds_depth(_nested(100), 100)
    assert exceeds_depth(_nested(101), 100)
    assert not exceeds_depth("scalar", 1)
    assert not exceeds_depth({}, 1) and exceeds_depth({"a": {}}, 1)
    assert exceeds_depth([1, [2, [3]]], 2) and not exceeds_depth([1, [2, [3]]], 3)
