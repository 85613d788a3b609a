"""Card builders, order recognition, card uuids and feedback rules, without the store."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from app.cds.card_ids import kind_of_uuid, mint_uuid
from app.cds.cards import CardSettings, patient_view_cards, shorten
from app.cds.feedback import FeedbackError, read_feedback
from app.cds.orders import genetic_orders, recognised_test_codes
from app.cds.responses import compact
from app.cds.views import SubmitterLine, VariantView
from app.domain.aggregation import Aggregate
from tests.cds_contract import assert_cds_response

KEY = b"k" * 32
SETTINGS = CardSettings(KEY, "https://vs.example", smart_app_url="https://vs.example/smart/launch")


def _aggregate(classification, stars=2, conflict=False, explanation=None, count=2):
    return Aggregate(classification, "criteria provided, multiple submitters, no conflicts", stars, conflict,
                     explanation, count, dt.date(2024, 5, 1))


def _line(name, term, role="lab"):
    return SubmitterLine(name, role, term, "criteria provided, single submitter", 1, dt.date(2024, 1, 1))


def test_card_uuids_carry_their_kind_and_cannot_be_forged():
    minted = mint_uuid(KEY, "conflict")
    assert uuid.UUID(minted).version == 4 and kind_of_uuid(KEY, minted) == "conflict"
    assert kind_of_uuid(b"x" * 32, minted) is None
    assert kind_of_uuid(KEY, str(uuid.uuid4())) is None and kind_of_uuid(KEY, "not a uuid") is None
    assert len({mint_uuid(KEY, "summary") for _ in range(1000)}) == 1000


def test_patient_view_cards_obey_the_contract_and_escape_lab_text():
    hostile = "BRCA1 <script>alert(1)</script> | [x](javascript:y) " + "x" * 200
    views = [
        VariantView(hostile, "BRCA1", "vs1", "Uncertain significance", 2020, _aggregate("Pathogenic"),
                    (_line("Lab <b>A</b>", "Pathogenic"),)),
        VariantView("BRCA2 c.1A>G", "BRCA2", "vs2", "Pathogenic", 2019,
                    _aggregate("Conflicting classifications of pathogenicity", 1, True,
                               "Pathogenic(1); Uncertain significance(1)"),
                    (_line("Lab A", "Pathogenic"), _line("Panel", "Uncertain significance", "expert-panel"))),
        VariantView("CFTR c.2T>C", "CFTR", None, "Likely pathogenic", 2018),
        VariantView("CFTR c.3T>C", "CFTR", None, "Uncertain significance", 2018),
    ]
    cards = compact(patient_view_cards(views, SETTINGS))
    assert_cds_response({"cards": cards})
    assert [c["indicator"] for c in cards] == ["critical", "warning", "info"]
    assert "<script" not in str(cards) and "<b>" not in str(cards)
    assert not any(re.search(r"(?<!\\)\]\(javascript", card.get("detail", "")) for card in cards)
    assert len(cards[0]["summary"]) <= 120
    assert "An expert panel" in cards[1]["detail"] and "1 submitter" in cards[1]["detail"]
    assert "unshared" in cards[2]["detail"] and "CFTR c.3T" not in cards[2]["detail"]
    smart = [link for link in cards[0]["links"] if link["type"] == "smart"]
    assert smart == [{"label": "Open the varshare app", "url": "https://vs.example/smart/launch", "type": "smart",
                      "appContext": "variant=vs1"}]


def test_no_cards_for_agreeing_or_unknown_variants():
    views = [VariantView("A", "A", None, "Uncertain significance", 2020),
             VariantView("B", "B", "vs3", "Benign", 2020, _aggregate("Benign"))]
    assert patient_view_cards(views, SETTINGS) == []
    assert shorten("x" * 200).endswith("…") and len(shorten("x" * 200)) == 120


def test_genetic_orders_are_recognised_leniently():
    codes = recognised_test_codes('{"http://lab.example/tests|BRCA": ["brca1", "BRCA2"]}')
    drafts = {"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "ServiceRequest", "id": "a",
                      "code": {"coding": [{"system": "http://lab.example/tests", "code": "BRCA"}]}}},
        {"resource": {"resourceType": "ServiceRequest", "id": "b",
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                                "code": "GE"}]}],
                      "code": {"text": "Hereditary colon panel"},
                      "orderDetail": [{"coding": [{"system": "http://www.genenames.org", "code": "HGNC:7127",
                                                   "display": "MLH1"}]}]}},
        {"resource": {"resourceType": "ServiceRequest", "id": "c", "code": {"text": "CBC"}}},
        {"resource": {"resourceType": "MedicationRequest", "id": "d"}}, {"resource": None}, "junk"]}
    found = genetic_orders(drafts, None, codes)
    assert [(o.reference, sorted(o.genes)) for o in found] == [("ServiceRequest/a", ["BRCA1", "BRCA2"]),
                                                               ("ServiceRequest/b", ["MLH1"])]
    assert [o.reference for o in genetic_orders(drafts, ["ServiceRequest/b"], codes)] == ["ServiceRequest/b"]


def test_feedback_rules():
    good = {"card": "c", "outcome": "overridden", "outcomeTimestamp": "1985-04-12T23:20:50.52Z",
            "overrideReason": {"userComment": "free text with PHI"}}
    [item] = read_feedback({"feedback": [good]})
    assert item.override_reason == {"system": None, "code": None, "comment": True}
    assert item.outcome_at == dt.datetime(1985, 4, 12, 23, 20, 50, 520000, tzinfo=dt.UTC)
    for bad in ({"feedback": "x"}, [], {"feedback": [{**good, "outcome": "accepted"}]},
                {"feedback": [{**good, "overrideReason": {"userComment": "  "}}]}):
        with pytest.raises(FeedbackError):
            read_feedback(bad)
