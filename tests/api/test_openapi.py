"""The OpenAPI document matches the routes the app really serves (both ways)."""

import re

import requests


def test_openapi_documents_every_api_route_and_nothing_else(live):
    document = requests.get(live.url + "/api/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    documented = {(re.sub(r"\{[^}]+\}", "<>", path), method.upper())
                  for path, operations in document["paths"].items() for method in operations}
    served = set()
    for rule in live.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule == "/api/openapi.json" or rule.endpoint.startswith(
                "privacy."):
            continue
        path = re.sub(r"<[^>]+>", "<>", rule.rule)
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served
