"""Mutated official bundles never make map_submission raise: it always returns a MappedReport."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.reports import MappedReport
from app.ingest import build_operation_outcome, map_submission

OFFICIAL = Path(__file__).resolve().parents[2] / "data" / "genomics-reporting"
BUNDLES = [orjson.loads(p.read_bytes()) for p in sorted(OFFICIAL.rglob("*.json"))]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["#x", "urn:uuid:1", "Observation/x", "LA9633-4", "69548-6"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _nodes(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _nodes(child, (*path, i))


def _mutate(document, path, action, replacement):
    if not path:
        return replacement
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if action == "delete":
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    else:
        parent[path[-1]] = replacement
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_bundles_never_raise(data):
    document = copy.deepcopy(data.draw(st.sampled_from(BUNDLES)))
    for _ in range(data.draw(st.integers(1, 4))):
        nodes = list(_nodes(document))
        path = data.draw(st.sampled_from(nodes))
        action = data.draw(st.sampled_from(["delete", "replace"]))
        document = _mutate(document, path, action, data.draw(json_values))
    report = map_submission(document)
    assert isinstance(report, MappedReport)
    assert all(issue.code != "exception" for issue in report.issues), report.issues
    build_operation_outcome(report.issues)
