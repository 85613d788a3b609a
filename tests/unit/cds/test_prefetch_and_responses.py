"""Prefetch states, template rendering and the allowed query subset; the no-empty-elements serializer."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from app.cds.prefetch import State, check_template, classify, entries_of, render
from app.cds.responses import cards_body, compact
from app.cds.services import SERVICES


def test_four_states():
    prefetch = {"a": None, "b": {"resourceType": "OperationOutcome"}, "c": {"resourceType": "Patient", "id": "1"},
                "d": {"resourceType": "Bundle", "type": "searchset", "entry": []}}
    assert classify(prefetch, "missing").state == State.ABSENT
    assert classify(prefetch, "a").state == State.NO_DATA
    assert classify(prefetch, "b").state == State.UNAVAILABLE
    assert classify(prefetch, "c").resources == [{"resourceType": "Patient", "id": "1"}]
    empty = classify(prefetch, "d")
    assert empty.state == State.DATA and empty.resources == [] and not empty.partial


def test_bundle_entries_skip_outcomes_and_note_next_pages():
    bundle = {"resourceType": "Bundle", "link": [{"relation": "next", "url": "https://x/fhir/O?p=2"}], "entry": [
        {"resource": {"resourceType": "Observation", "id": "1"}, "search": {"mode": "match"}},
        {"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}},
        {"resource": {"resourceType": "Observation", "id": "2"}, "search": {"mode": "outcome"}},
        "junk", {"resource": "junk"}, {}]}
    resources, next_url = entries_of(bundle)
    assert [r["id"] for r in resources] == ["1"] and next_url == "https://x/fhir/O?p=2"


def test_render_fills_context_and_user_tokens():
    context = {"patientId": "p1", "userId": "Practitioner/dr"}
    assert render("Patient/{{context.patientId}}", context) == "Patient/p1"
    assert render("Practitioner/{{userPractitionerId}}", context) == "Practitioner/dr"
    assert render("Encounter/{{context.encounterId}}", context) is None
    assert render("RelatedPerson/{{userRelatedPersonId}}", context) is None


def test_every_published_template_is_in_the_allowed_subset():
    for service in SERVICES:
        for _, template in service.prefetch:
            assert check_template(template) == [], template


def test_templates_outside_the_subset_are_named():
    for bad in ("Observation?patient={{context.patientId}}&_include=Observation:subject",
                "Observation?subject.name=x", "Observation?code:text=x", "Observation?date=sa2020-01-01",
                "Observation?patient={{context.draftOrders}}", "Patient/{{context.patientId}}/x",
                "Observation?_has:Patient:link:id=1", "Observation?component-code-value-concept=a$b"):
        assert check_template(bad), bad
    assert check_template("Observation?date=ge2020-01-01&_count=50&_sort=-date&code:in=http://v|s") == []


json_values = st.recursive(st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=3),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                      max_size=3), max_leaves=20)


def _has_empty(value) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict):
        return any(_has_empty(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_empty(v) for v in value)
    return False


@given(st.lists(st.dictionaries(st.text(max_size=3), json_values, max_size=4), max_size=4))
def test_serialised_cards_never_hold_empty_elements(cards):
    body = orjson.loads(cards_body(cards))
    assert set(body) == {"cards"}
    assert not any(_has_empty(card) for card in body["cards"])


def test_no_advice_is_an_empty_cards_array_and_false_and_zero_survive():
    assert cards_body([]) == b'{"cards":[]}'
    assert compact({"a": False, "b": 0, "c": [None, {}, ""], "d": {"e": None}}) == {"a": False, "b": 0}
