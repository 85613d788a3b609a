"""The ingest's fast paths (memoised codings, one-coding shortcuts, resolution memos, the hook-time reading) give
exactly what the general readings give, on the usual shapes and on odd ones."""

from __future__ import annotations

import random
import re
from pathlib import Path

import orjson
import pytest

from app.domain.reports import NOT_SPECIFIED
from app.ingest import codings as codings_module
from app.ingest.bundle_index import index_submission
from app.ingest.cases import Subjects
from app.ingest.codings import (
    HGNC,
    LOINC,
    TBD,
    code_pairs,
    codings,
    normalise_system,
    routing_code,
    routing_codes,
)
from app.ingest.components import Components
from app.ingest.implications import Assertion
from app.ingest.linking import ObservationGraph
from app.ingest.mapper import map_submission, read_for_hook
from app.ingest.routing import _ROUTES, GROUPER, OTHER, VARIANT, route_observation
from app.ingest.values import date_of
from tests.json_mutation import mutated

DATA = Path(__file__).resolve().parents[2] / "data"
BUNDLES = [orjson.loads(p.read_bytes()) for p in sorted((DATA / "genomics-reporting").rglob("*.json"))]
BUNDLES += [orjson.loads(p.read_bytes()) for p in sorted((DATA / "synthetic").glob("*.json"))]


def reference_codings(concept: object) -> list[tuple[str, str, str | None]]:
    """codings() as it was written before it was memoised: the oracle."""
    if not isinstance(concept, dict):
        return []
    raw = concept.get("coding")
    if not isinstance(raw, list):
        return []
    out = []
    for coding in raw:
        if not isinstance(coding, dict):
            continue
        code = coding.get("code")
        if not isinstance(code, str) or not code.strip():
            continue
        display = coding.get("display")
        display = display if isinstance(display, str) else None
        out.append((normalise_system(coding.get("system")), code.strip(), display))
    return out


LONG = "x" * 500
ODD_VALUES = [None, "", " ", "  69548-6 ", "69548-6", "LA9633-4", 1, True, 1.0, 0, False, [], ["x"], {}, {"a": 1},
              LONG, " loinc.org/ ", "HTTP://LOINC.ORG", "https://loinc.org/", LOINC, TBD, "tbd-codes-cs",
              "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbdcodes", "www.genenames.org/geneid", HGNC]


def odd_concepts(seed: int, count: int) -> list[object]:
    """Concepts of every shape: non-dicts, bad ``coding``, non-dict codings, blank and non-string codes, aliases."""
    rng = random.Random(seed)
    concepts: list[object] = [None, "x", [], {}, {"coding": None}, {"coding": "x"}, {"coding": {}},
                              {"coding": [None, 1, "x", []]}, {"coding": []}, {"text": "Pathogenic"}]
    for _ in range(count):
        items: list[object] = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if rng.random() < 0.1:
                items.append(rng.choice([None, "coding", 3, ["nested"]]))
                continue
            coding: dict = {}
            for key in ("system", "code", "display"):
                if rng.random() < 0.85:
                    coding[key] = rng.choice(ODD_VALUES)
            items.append(coding)
        concepts.append({"coding": items})
    return concepts


@pytest.mark.parametrize("seed", range(3))
def test_codings_and_code_pairs_equal_the_unmemoised_reading(seed: int) -> None:
    for _ in range(2):  # the second pass reads from the memos
        for concept in odd_concepts(seed, 400):
            expected = reference_codings(concept)
            assert codings(concept) == expected
            assert code_pairs(concept) == [(s, c) for s, c, _ in expected]
            assert routing_codes(concept) == [c for s, c, _ in expected if s in (LOINC, TBD)]


def test_memos_keep_neither_long_values_nor_displays() -> None:
    codings({"coding": [{"system": LONG, "code": "a", "display": "Free text, never kept"}]})
    codings({"coding": [{"system": LOINC, "code": LONG}]})
    routing_code(LOINC, LONG)
    keys = list(codings_module._codes) + list(codings_module.ROUTING_MEMO)
    assert all(LONG not in key for key in keys)
    assert all("Free text, never kept" not in key for key in keys)


def test_unhashable_system_or_code_reads_like_any_other_value() -> None:
    assert routing_code(["x"], "69548-6") is None
    assert routing_codes({"coding": [{"system": ["x"], "code": "69548-6"}]}) == []
    assert routing_code(LOINC, {"a": 1}) is None
    assert codings({"coding": [{"system": {"a": 1}, "code": "c"}]}) == [("", "c", None)]


def reference_components(observation: dict) -> dict[str, list[tuple[int, dict]]]:
    by_code: dict[str, list[tuple[int, dict]]] = {}
    raw = observation.get("component")
    if not isinstance(raw, list):
        return by_code
    for i, component in enumerate(raw):
        if not isinstance(component, dict):
            continue
        for code, in [(c,) for s, c, _ in reference_codings(component.get("code")) if s in (LOINC, TBD)]:
            by_code.setdefault(code, []).append((i, component))
    return by_code


def test_components_index_equals_the_general_reading() -> None:
    rng = random.Random(7)
    concepts = odd_concepts(11, 300)
    for _ in range(300):
        components: list[object] = []
        for _ in range(rng.randint(0, 6)):
            roll = rng.random()
            if roll < 0.1:
                components.append(rng.choice([None, "x", 3, [{"code": concepts[0]}]]))
            elif roll < 0.2:
                components.append({"valueString": "no code"})
            else:
                components.append({"code": rng.choice(concepts), "valueString": "v"})
        observation = {"component": components}
        for _ in range(2):
            assert Components(observation, "Observation").codes == reference_components(observation)
    assert Components({"component": "x"}, "b").codes == {}


def test_components_lookups() -> None:
    observation = {"component": [
        {"code": {"coding": [{"system": LOINC, "code": "81259-4"}]}, "n": 0},
        {"code": {"coding": [{"system": LOINC, "code": "51967-8"}]}, "n": 1},
        {"code": {"coding": [{"system": "loinc.org", "code": "81259-4"}, {"system": TBD, "code": "x"}]}, "n": 2},
    ]}
    components = Components(observation, "Bundle.entry[0].resource")
    assert [c["n"] for _, c in components.all("51967-8", "81259-4")] == [0, 1, 2]
    assert components.first("51967-8", "81259-4")[1]["n"] == 0
    assert components.first("nope") is None and components.all("nope", "other") == []
    assert components.value("x", "n") == 2 and components.value("nope", "n") is None
    assert components.location("51967-8") == "Bundle.entry[0].resource.component[1]"
    assert components.location("nope") == "Bundle.entry[0].resource"


def reference_route(observation: dict) -> str:
    matched = [_ROUTES[(s, c)] for s, c, _ in reference_codings(observation.get("code")) if (s, c) in _ROUTES]
    if matched:
        return VARIANT if VARIANT in matched else matched[0]
    members = observation.get("hasMember")
    return GROUPER if isinstance(members, list) and members else OTHER


def test_route_observation_equals_the_general_reading() -> None:
    concepts = [
        *odd_concepts(5, 300),
        {"coding": [{"system": "loinc.org", "code": " 69548-6"}]},
        {"coding": [{"system": LOINC, "code": "53037-8"}, {"system": LOINC, "code": "69548-6"}]},
        {"coding": [{"system": TBD, "code": "diagnostic-implication"}]},
        {"coding": [{"system": LOINC, "code": "51968-6"}]},
        {"coding": [{"code": "69548-6"}]},
    ]
    for _ in range(2):
        for concept in concepts:
            for extra in ({}, {"hasMember": [{"reference": "Observation/x"}]}, {"hasMember": []}):
                observation = {"code": concept, **extra}
                assert route_observation(observation) == reference_route(observation), observation
    assert route_observation({"code": {"coding": [{"system": LOINC, "code": "69548-6"}]}}) == VARIANT


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def reference_date(value: object):
    import datetime as dt

    if not isinstance(value, str) or not value.strip():
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day = match.groups()
    try:
        return dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None


def test_date_of_equals_the_pattern_reading() -> None:
    rng = random.Random(3)
    odd = "0123456789-T:Z+ \u0663\u00b2\uff12x"
    for _ in range(20000):
        text = list(f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
                    + rng.choice(["", "T12:00:00Z", "x", " "]))
        for _ in range(rng.randint(0, 2)):
            text[rng.randrange(len(text))] = rng.choice(odd)
        value = ("  " if rng.random() < 0.2 else "") + "".join(text)
        assert date_of(value) == reference_date(value), value
    for value in (None, 5, "", " ", "2020", "2020-03", "2020-3-01", "0000-01-01", "2020-02-30", "2020-02-29T1"):
        assert date_of(value) == reference_date(value), value


def test_resolution_is_remembered_only_while_the_index_stands() -> None:
    index = index_submission({"resourceType": "Bundle", "type": "collection", "entry": []})
    assert index.resolve({"reference": "Patient/p"}, None) is None
    entry = index.add("Bundle.entry[0].resource", {"resourceType": "Patient", "id": "p"}, None, None)
    assert index.resolve({"reference": "Patient/p"}, None) is entry
    assert index.resolve("Patient/p", None) is entry


def test_subject_keys_by_text_and_by_container() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p"}},
        {"resource": {"resourceType": "Observation", "id": "a", "subject": {"reference": "Patient/p"}}},
        {"resource": {"resourceType": "Observation", "id": "b", "subject": {"reference": "Patient/q"}}},
        {"resource": {"resourceType": "Observation", "id": "c", "subject": {"reference": "#me"},
                      "contained": [{"resourceType": "Patient", "id": "me"}]}},
        {"resource": {"resourceType": "Observation", "id": "d", "subject": {"reference": "#me"}}},
        {"resource": {"resourceType": "Observation", "id": "e", "subject": {"display": "no reference"}}},
    ]}
    index = index_submission(bundle)
    subjects = Subjects(index)
    entries = {e.local_id: e for e in index.entries if e.container is None}
    patient = entries["p"]
    assert subjects.key_of(entries["a"]) is patient and subjects.key_of(entries["a"]) is patient
    assert subjects.key_of(entries["b"]) == "Patient/q" and subjects.reference_of("Patient/q") == "Patient/q"
    contained = subjects.key_of(entries["c"])
    assert contained.container is entries["c"] and subjects.key_of(entries["d"]) == "#me"
    assert subjects.key_of(entries["e"]) is None and subjects.reference_of(patient) == "Patient/p"


def reference_targets(graph: ObservationGraph, implication) -> tuple[list, bool]:
    """variant_targets' walk, without its one-Variant shortcut."""
    from collections import deque

    from app.ingest.routing import COMBINATION_KINDS

    variants, combination, seen = [], False, {implication}
    queue = deque(graph.derived_from.get(implication, ()))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        kind = graph.kinds.get(node)
        if kind == VARIANT:
            if graph.is_parent(node):
                combination = True
            else:
                variants.append(node)
        elif kind in COMBINATION_KINDS:
            combination = True
        elif kind == GROUPER:
            queue.extend(graph.members.get(node, ()))
        elif kind is not None:
            queue.extend(graph.derived_from.get(node, ()))
    return variants, combination or len(variants) > 1


@pytest.mark.parametrize("bundle", BUNDLES)
def test_variant_targets_equal_the_walk(bundle: dict) -> None:
    index = index_submission(bundle)
    observations = index.of_type("Observation")
    kinds = {e: route_observation(e.resource) for e in observations}
    graph = ObservationGraph(index, observations, kinds, [])
    for entry in observations:
        assert graph.variant_targets(entry) == reference_targets(graph, entry)
    variant = {"resourceType": "Observation", "id": "v", "code": {"coding": [{"system": LOINC, "code": "69548-6"}]},
               "derivedFrom": [{"reference": "Observation/v"}]}
    index = index_submission({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": variant}]})
    (entry,) = index.entries
    graph = ObservationGraph(index, [entry], {entry: VARIANT}, [])
    assert graph.variant_targets(entry) == reference_targets(graph, entry) == ([], False)


def hook_view(resource: dict) -> tuple[list, list]:
    """What the hook takes from map_submission: findings in case order, classifications as (key, term, date)."""
    mapped = map_submission(resource, lenient=True, validate=False)
    return ([(f.variant, f.location) for case in mapped.cases for f in case.findings],
            [(c.variant.key, c.term, c.date_last_evaluated) for c in mapped.classifications])


def hook_reading(resource: dict) -> tuple[list, list] | None:
    reading = read_for_hook(resource)
    if reading is None:
        return None
    return ([(f.variant, f.location) for f in reading.findings],
            [(f.variant.key, a.term, a.date_last_evaluated) for a, f in reading.classified])


@pytest.mark.parametrize("bundle", BUNDLES)
def test_hook_reading_equals_map_submission(bundle: dict) -> None:
    reading = hook_reading(bundle)
    has_family = '"FamilyMemberHistory"' in orjson.dumps(bundle).decode()
    assert (reading is None) == has_family
    if reading is not None:
        assert reading == hook_view(bundle)


def test_hook_reading_equals_map_submission_on_mutations() -> None:
    rng = random.Random(20240603)
    replacements = [None, "", 0, True, [], {}, "x", "Patient/other", {"reference": "#"}, ["Observation/x"],
                    {"coding": [{"system": LOINC, "code": "LA6675-8"}]}, "2020-02-30", {"coding": "x"}]
    small = [b for b in BUNDLES if len(orjson.dumps(b)) < 60000]
    for _ in range(600):
        document = mutated(rng.choice(small), rng.randrange(10**9), rng.choice(replacements), rng.random() < 0.3)
        reading = hook_reading(document) if isinstance(document, dict) else None
        if reading is not None:
            assert reading == hook_view(document)


def test_hook_reading_of_an_unreadable_submission_is_empty() -> None:
    assert read_for_hook({"resourceType": "Bundle", "type": "collection", "entry": 5}) == ([], [])
    assert read_for_hook({"no": "resourceType"}) == ([], [])
    assert read_for_hook([]) == ([], [])  # type: ignore[arg-type]


def test_assertions_are_tuples_with_named_fields() -> None:
    assertion = Assertion("Benign", True, NOT_SPECIFIED, None, None, None, "Bundle.entry[0].resource")
    assert assertion.term == "Benign" and assertion.condition is NOT_SPECIFIED
