"""The CDS Hooks response rules as one reusable check (cds-hooks.md §16, rules 15-21)."""

from __future__ import annotations

import uuid

INDICATORS = {"info", "warning", "critical"}
SELECTION = {"at-most-one", "any"}
LINK_TYPES = {"absolute", "smart"}


def assert_no_empty_elements(value, path: str = "$") -> None:
    """No null, "", [] or {} anywhere below the top level."""
    assert value is not None and value != "" and value != [] and value != {}, f"empty element at {path}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_empty_elements(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_no_empty_elements(item, f"{path}[{i}]")


def assert_cds_response(body: dict) -> None:
    """A valid CDS Hooks 2.0 service response as varshare promises it."""
    assert set(body) == {"cards"} and isinstance(body["cards"], list)
    uuids = []
    for card in body["cards"]:
        assert_no_empty_elements(card)
        uuids.append(str(uuid.UUID(card["uuid"], version=4)))
        assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
        assert "\n" not in card["summary"] and "**" not in card["summary"]
        assert card["indicator"] in INDICATORS
        assert card["source"]["label"] == "varshare shared variant store"
        assert card["source"]["url"].startswith(("https://", "http://"))
        if "detail" in card:
            assert card["detail"].strip() and "<script" not in card["detail"].lower()
        if "suggestions" in card:
            assert card["selectionBehavior"] in SELECTION
            assert sum(1 for s in card["suggestions"] if s.get("isRecommended")) <= 1
            for suggestion in card["suggestions"]:
                assert suggestion["label"]
                uuids.append(str(uuid.UUID(suggestion["uuid"], version=4)))
                for action in suggestion.get("actions", []):
                    assert action["type"] in ("create", "update", "delete") and action["description"]
                    if action["type"] == "delete":
                        assert "/" in action["resourceId"]
                    else:
                        assert isinstance(action["resource"], dict)
        else:
            assert "selectionBehavior" not in card
        for reason in card.get("overrideReasons", []):
            assert reason["system"] and reason["code"] and reason["display"]
        if card["indicator"] in ("warning", "critical"):
            assert card["overrideReasons"]
        for link in card.get("links", []):
            assert link["label"] and link["url"].startswith(("https://", "http://"))
            assert link["type"] in LINK_TYPES
            assert link["type"] == "smart" or "appContext" not in link
    assert len(uuids) == len(set(uuids)), "card and suggestion uuids must be unique in a response"
