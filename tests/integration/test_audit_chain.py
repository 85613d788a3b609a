"""The audit log: events are written with the changes they describe, hash-chained, and tampering is found."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from app import create_app
from app.cli import main
from app.services.audit import verify_chain
from app.store.tables import audit_event_subjects, audit_events
from tests.api.fhir_client import fixture
from tests.conftest import empty_all_tables, settings_for


@pytest.fixture
def world(migrated_target, tmp_path):
    app = create_app(settings_for(migrated_target, tmp_path))
    empty_all_tables(app.extensions["varshare"].store)
    yield app.extensions["varshare"]
    app.extensions["varshare"].store.dispose()


def _events(store) -> list[dict]:
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(select(audit_events).order_by(audit_events.c.id)).mappings()]


def test_changes_are_audited_and_the_chain_verifies(world):
    tenants, ingest = world.tenants, world.ingest
    tenants.add("Lab A", "lab")
    lab = tenants.caller_named("Lab A")
    accepted = ingest.submit(lab, fixture("synthetic/grch38-spdi.json"))
    with pytest.raises(Exception, match="rejected"):
        ingest.submit(lab, fixture("synthetic/unknown-element.json"))
    events = _events(world.store)
    kinds = [(e["type"], e["subtype"], e["action"], e["outcome"]) for e in events]
    assert kinds == [("rest", "create", "C", "0"), ("110107", "disclose", "C", "0"), ("rest", "create", "C", "4")]
    imported = events[1]
    assert imported["agent_submitter_id"] == lab.submitter_id
    assert {"type": "report", "id": accepted.receipt["report"]}.items() <= imported["entities"][0].items()
    assert any(e["type"] == "case" for e in imported["entities"])
    assert events[2]["entities"][0]["path"].startswith("Bundle.entry[2]")
    report = verify_chain(world.store)
    assert report.intact and report.events == 3


def test_tampering_with_any_row_is_detected(world, migrated_target, tmp_path):
    tenants = world.tenants
    for name in ("Lab A", "Lab B", "Lab C"):
        tenants.add(name, "lab")
    events = _events(world.store)
    with world.store.engine.begin() as conn:
        conn.execute(update(audit_events).where(audit_events.c.id == events[1]["id"]).values(outcome="8"))
    report = verify_chain(world.store)
    assert not report.intact and report.broken_at == events[1]["id"] and "changed" in report.reason
    env = {"VARSHARE_DATABASE_URL": migrated_target.database_url, "VARSHARE_MODE": "test",
           "VARSHARE_LINKAGE_DATABASE_URL": migrated_target.linkage_database_url, "VARSHARE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert result.exit_code == 1 and f"BROKEN at event {events[1]['id']}" in result.output

    with world.store.engine.begin() as conn:  # restore, then remove a row instead
        conn.execute(update(audit_events).where(audit_events.c.id == events[1]["id"]).values(outcome="0"))
    assert verify_chain(world.store).intact
    assert "intact: 3 events" in CliRunner().invoke(main, ["audit", "verify"], env=env).output
    with world.store.engine.begin() as conn:  # its subject rows first: they reference the event
        conn.execute(audit_event_subjects.delete().where(audit_event_subjects.c.event_id == events[1]["id"]))
        conn.execute(audit_events.delete().where(audit_events.c.id == events[1]["id"]))
    report = verify_chain(world.store)
    assert report.broken_at == events[2]["id"] and "removed" in report.reason


def test_subjects_are_written_with_their_event_or_not_at_all(world):
    from app.audit.events import SEARCH, AuditEvent, submitter
    from app.services.audit import record_disclosure, record_event

    tenants = world.tenants
    tenants.add("Lab A", "lab")
    lab = tenants.caller_named("Lab A")
    record_disclosure(world.store, AuditEvent.of(SEARCH, "E", submitter_id="reader-id", client="Reader",
                                                 entities=[submitter(lab.submitter_id), submitter(lab.submitter_id),
                                                           submitter("*")]))
    with pytest.raises(RuntimeError), world.store.unit_of_work() as uow:
        record_event(uow, AuditEvent.of(SEARCH, "E", entities=[submitter("someone")]))
        raise RuntimeError("the change fails: its event and subjects go with it")
    with world.store.reading() as conn:
        subjects = conn.execute(select(audit_event_subjects.c.submitter_id)).scalars().all()
    assert sorted(subjects) == sorted(["*", lab.submitter_id, lab.submitter_id])  # its creation, and the read
    report = verify_chain(world.store)
    assert report.intact and report.events == 2
