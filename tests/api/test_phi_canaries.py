"""The PHI canary suite (deidentification.md §10) over real HTTP, on SQLite and PostgreSQL.

Canary bundles (tests/data/canary) carry a unique string in every PHI-bearing field. They are ingested, a
forced internal error and negative bundles (a name hidden in an allowlisted field) are sent too, and then
every surface is searched: all tables of both databases, the raw SQLite files, files under the data folder,
every captured log line and every HTTP response body. Zero canaries may be found; the vault holds only HMACs.
"""

from __future__ import annotations

import logging
import re

import pytest
import requests
from sqlalchemy import select, text

from app.store import cases as case_repo
from app.store.tables import case_facts, case_relatives, reports, submissions
from app.store.vault_tables import patient_links
from tests.api.fhir_client import counts, parameters, post
from tests.data.canary.bundles import CANARY, canaries, canary_bundle, elderly_bundle, negative_bundles
from tests.phi_scanner import (
    LogCapture,
    Surface,
    find_canaries,
    folder_surfaces,
    sqlite_file_surfaces,
    table_surfaces,
)


@pytest.fixture
def logs():
    handler = LogCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def tokens(app):
    tenants = app.extensions["varshare"].tenants
    return {name: tenants.add(name, "lab")[1] for name in ("Lab A", "Lab B")}


def _surfaces(app, tmp_path, logs, bodies: list[str]) -> list[Surface]:
    services = app.extensions["varshare"]
    store, settings = services.store, services.settings
    surfaces = table_surfaces(store.engine, "store") + table_surfaces(store.vault_engine, "vault")
    store.dispose()  # release pooled SQLite connections so the files are complete
    surfaces += sqlite_file_surfaces(settings.database_url) + sqlite_file_surfaces(settings.linkage_database_url)
    surfaces += folder_surfaces(tmp_path)
    surfaces.append(logs.surface())
    surfaces += [Surface(f"response[{i}]", body) for i, body in enumerate(bodies)]
    return surfaces


def test_no_canary_reaches_any_surface(app, live, tokens, logs, tmp_path, monkeypatch):
    store = app.extensions["varshare"].store
    bodies: list[str] = []

    def send(bundle, token, path="/fhir/Bundle"):
        response = post(live, path, bundle, token)
        bodies.append(response.text)
        return response

    first = send(canary_bundle(), tokens["Lab A"])
    assert first.status_code == 201, first.text
    assert send(elderly_bundle(), tokens["Lab A"]).status_code == 201
    assert send(canary_bundle(), tokens["Lab B"]).status_code == 201
    transaction = {**canary_bundle(), "type": "transaction"}
    for entry in transaction["entry"]:
        entry["request"] = {"method": "POST", "url": f"{entry['resource']['resourceType']}?identifier="
                                                    f"{CANARY['MRN']}"}
    transaction["entry"][-1]["resource"]["identifier"][0]["value"] += "T"
    assert send(transaction, tokens["Lab B"], "/fhir").status_code == 200
    receipt = parameters(first.json())
    bodies.append(requests.get(f"{live.url}/api/reports/{receipt['report']}", timeout=10,
                               headers={"Authorization": f"Bearer {tokens['Lab A']}"}).text)
    stored = counts(store)

    for name, bundle in negative_bundles().items():
        refused = send(bundle, tokens["Lab A"])
        assert refused.status_code == 422, f"{name}: {refused.text}"
        issues = refused.json()["issue"]
        assert all(i["expression"][0].startswith("Bundle.entry[") for i in issues), name
        assert counts(store) == stored, f"{name} stored something"

    def failing(*_args, **_kwargs):
        raise RuntimeError(f"forced failure while storing {CANARY['FAM']} {CANARY['MRN']}")

    monkeypatch.setattr(case_repo, "insert_case_facts", failing)
    changed = canary_bundle()
    changed["entry"][-1]["resource"]["identifier"][0]["value"] += "X"
    assert send(changed, tokens["Lab A"]).status_code == 500
    monkeypatch.undo()
    assert counts(store) == stored

    surfaces = _surfaces(app, tmp_path, logs, bodies)
    hits = find_canaries(surfaces, canaries())
    assert hits == [], f"canaries leaked: {hits}"
    # In-run control: what was legitimately stored is found, so the surfaces really were read.
    stored_key = {h.surface for h in find_canaries(surfaces, {"KEY": ["GRCh38:17:43045712:G:A"]})}
    assert any(name.startswith("store:") and name.endswith(".variants") for name in stored_key)

    with store.reading() as conn:
        ages = sorted(conn.execute(select(case_facts.c.age_at_report, case_facts.c.report_year)).all())
        relatives = conn.execute(select(case_relatives.c.relationship, case_relatives.c.sex)).all()
        precisions = set(conn.execute(select(submissions.c.date_last_evaluated_precision)).scalars())
        report_years = set(conn.execute(select(reports.c.report_year)).scalars())
    assert ("62", 2024) in ages and ("90+", None) in ages  # 1961 -> 62; 1930 -> "90+" and no year
    assert set(relatives) == {("MTH", "female")}
    assert precisions == {"year"} and report_years == {2024, None}
    with store.reading_vault() as vault:
        hashes = vault.execute(select(patient_links.c.link_hash)).scalars().all()
    assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)


def test_the_scanner_finds_planted_canaries(app, logs, tmp_path):
    """Positive control: a canary planted in a throwaway table row, a log line (plain and base64+zlib) and a
    file is reported on each surface; an empty result of the real scan therefore means something."""
    store = app.extensions["varshare"].store
    planted = {"PLANTED": [CANARY["FAM"]], "SSN": ["999417309"]}
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE phi_control (value TEXT)"))
        conn.execute(text("INSERT INTO phi_control (value) VALUES (:v)"), {"v": f"x {CANARY['FAM']} x"})
    try:
        import base64
        import zlib

        packed = base64.b64encode(zlib.compress(f"ssn 999417309 of {CANARY['FAM']}".encode())).decode()
        logging.getLogger("varshare.test").info("control line %s", packed)
        (tmp_path / "export.ndjson").write_text(f'{{"n": "{CANARY["FAM"]}"}}')
        hits = find_canaries(_surfaces(app, tmp_path, logs, []), planted)
        surfaces = {h.surface for h in hits}
        assert any(s.endswith(".phi_control") for s in surfaces)
        assert "logs" in surfaces and any(s.endswith("export.ndjson") for s in surfaces)
        assert {h.label for h in hits if h.surface == "logs"} == {"PLANTED", "SSN"}
    finally:
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE phi_control"))


def test_reports_link_by_any_identifier_within_one_institution_only(app, live, tokens):
    """Same patient, two reports from one lab -> one case (the second gives only the SSN); the same identifiers
    from another lab -> its own, unlinked case."""
    store = app.extensions["varshare"].store
    later = canary_bundle()
    for entry in later["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["identifier"] = [i for i in resource["identifier"] if i["value"] == "999-41-7309"]
        if resource["resourceType"] == "DiagnosticReport":
            resource["identifier"][0]["value"] += "L"
    for bundle, token in ((canary_bundle(), "Lab A"), (later, "Lab A"), (canary_bundle(), "Lab B")):
        assert post(live, "/fhir/Bundle", bundle, tokens[token]).status_code == 201
    with store.reading() as conn:
        per_case = conn.execute(select(case_facts.c.case_id, reports.c.submitter_id)
                                .join(reports, reports.c.id == case_facts.c.report_id)).all()
    by_lab: dict[str, set[str]] = {}
    for case_id, submitter in per_case:
        by_lab.setdefault(submitter, set()).add(case_id)
    assert sorted(len(ids) for ids in by_lab.values()) == [1, 1] and len(per_case) == 3
    assert len({c for ids in by_lab.values() for c in ids}) == 2
