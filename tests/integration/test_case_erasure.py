"""`varshare case erase`: one institution's patient loses links and case data; classifications stay; other
institutions' cases of the same person are untouched; the erasure is a store version."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.config import load_settings
from app.services.audit import verify_chain
from app.services.ingest import Ingest
from app.services.tenants import Tenants
from app.store.tables import (
    audit_events,
    case_facts,
    case_phenotypes,
    case_relatives,
    cases,
    store_versions,
    submissions,
)
from app.store.vault_tables import patient_links
from tests.data.canary.bundles import CANARY, MRN_SYSTEM, SSN, canary_bundle

KEY = "e" * 40


@pytest.fixture
def world(store, migrated_target, tmp_path):
    env = {"VARSHARE_DATABASE_URL": migrated_target.database_url, "VARSHARE_LINKAGE_KEY": KEY,
           "VARSHARE_LINKAGE_DATABASE_URL": migrated_target.linkage_database_url, "VARSHARE_DATA_DIR": str(tmp_path)}
    settings = load_settings(environ=env)
    tenants = Tenants(store, settings)
    ingest = Ingest(store, tenants, settings)
    for name in ("Lab A", "Lab B"):
        tenants.add(name, "lab")
        ingest.submit(tenants.caller_named(name), canary_bundle())
    return env


def _count(store, table, vault=False) -> int:
    with (store.reading_vault() if vault else store.reading()) as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _erase(env, tenant, identifier):
    return CliRunner().invoke(main, ["case", "erase", "--tenant", tenant, "--patient-identifier", identifier],
                              env=env, catch_exceptions=False)


def test_erasure_removes_one_institutions_case_data_and_keeps_classifications(world, store):
    assert (_count(store, cases), _count(store, case_facts), _count(store, submissions)) == (2, 2, 2)
    links_before = _count(store, patient_links, vault=True)
    assert links_before == 8  # four identifiers per institution

    result = _erase(world, "Lab A", f"http://hl7.org/fhir/sid/us-ssn|{SSN}")  # any identifier finds the case
    assert result.exit_code == 0, result.output
    assert "erased 1 case(s)" in result.output and "4 vault link(s)" in result.output
    assert SSN not in result.output and CANARY["MRN"] not in result.output
    assert (_count(store, cases), _count(store, case_facts), _count(store, case_relatives)) == (1, 1, 1)
    assert _count(store, case_phenotypes) == 2 and _count(store, submissions) == 2  # Lab B's; both labs' SCVs
    assert _count(store, patient_links, vault=True) == 4  # Lab B's links are untouched
    with store.reading() as conn:
        assert conn.execute(select(store_versions.c.kind).order_by(store_versions.c.version.desc())).scalar() \
            == "erasure"
        erasure_event = conn.execute(select(audit_events).order_by(audit_events.c.id.desc())).mappings().first()
    assert (erasure_event["type"], erasure_event["subtype"], erasure_event["action"]) == ("rest", "delete", "D")
    assert [e["type"] for e in erasure_event["entities"]] == ["case", "erasure"]
    assert SSN not in str(erasure_event) and CANARY["MRN"] not in str(erasure_event)
    assert verify_chain(store).intact

    again = _erase(world, "Lab A", f"{MRN_SYSTEM}|{CANARY['MRN']}")
    assert again.exit_code == 0 and "nothing was erased" in again.output


def test_erasure_refuses_malformed_identifiers_and_unknown_tenants(world):
    bad = _erase(world, "Lab A", "no-bar-here")
    assert bad.exit_code != 0 and "SYSTEM|VALUE" in bad.output
    unknown = _erase(world, "Nobody", f"{MRN_SYSTEM}|x")
    assert unknown.exit_code != 0 and "no tenant named" in unknown.output
