"""The varshare command: db, tenant administration, and the sandbox serving /healthz from scratch."""

import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from app.cli import main
from tests.conftest import ENGINES

KEY = "k" * 40


@pytest.fixture
def cli_env(new_target, request, tmp_path):
    target = new_target(request.param)
    return {"VARSHARE_DATABASE_URL": target.database_url, "VARSHARE_LINKAGE_DATABASE_URL": target.linkage_database_url,
            "VARSHARE_LINKAGE_KEY": KEY, "VARSHARE_DATA_DIR": str(tmp_path)}


def _run(env, *args):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize("cli_env", ENGINES, indirect=True)
def test_db_and_tenant_commands(cli_env):
    current = _run(cli_env, "db", "current")
    assert current.exit_code == 1 and "varshare db upgrade" in current.output
    assert _run(cli_env, "db", "upgrade").exit_code == 0
    assert _run(cli_env, "db", "current").exit_code == 0

    added = _run(cli_env, "tenant", "add", "--name", "Genome Lab", "--role", "lab")
    assert added.exit_code == 0
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("vs_") and added.stdout.count(token) == 1
    duplicate = _run(cli_env, "tenant", "add", "--name", "Genome Lab", "--role", "lab")
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output

    listing = _run(cli_env, "tenant", "list")
    assert "Genome Lab" in listing.output and token not in listing.output and "active" in listing.output

    rotated = _run(cli_env, "tenant", "rotate-token", "--name", "Genome Lab").stdout.strip().splitlines()[-1]
    assert rotated != token and rotated.startswith("vs_")
    assert _run(cli_env, "tenant", "disable", "--name", "Genome Lab").exit_code == 0
    assert "disabled" in _run(cli_env, "tenant", "list").output
    missing = _run(cli_env, "tenant", "disable", "--name", "Nobody")
    assert missing.exit_code != 0 and "no tenant named" in missing.output

    assert _run(cli_env, "db", "downgrade", "base").exit_code != 0  # needs --yes
    assert _run(cli_env, "db", "downgrade", "base", "--yes").exit_code == 0
    assert _run(cli_env, "db", "current").exit_code == 1


def test_serve_without_a_linkage_key_fails_fast(tmp_path):
    result = CliRunner().invoke(main, ["serve"], env={"VARSHARE_DATA_DIR": str(tmp_path), "VARSHARE_LINKAGE_KEY": "",
                                                      "VARSHARE_MODE": "production"})
    assert result.exit_code != 0 and "VARSHARE_LINKAGE_KEY" in result.output


def test_help_explains_each_command():
    output = _run({}, "--help").output
    for command in ("serve", "sandbox", "db", "tenant"):
        assert command in output
    assert "rotate-token" in _run({}, "tenant", "--help").output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sandbox_serves_healthz_from_an_empty_data_dir_within_a_minute(tmp_path):
    """What `make run` does: migrate a fresh SQLite store, seed demo tenants, print credentials, serve."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSHARE_")}
    env["VARSHARE_DATA_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "sandbox", "--port", str(port), "--workers", "1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, "sandbox exited early"
                assert time.monotonic() < deadline, "sandbox did not answer /healthz within a minute"
                time.sleep(0.2)
        assert response.status_code == 200
        me = requests.get(f"http://127.0.0.1:{port}/api/whoami", timeout=5,
                          headers={"Authorization": "Bearer vs_demo_lab_alpha_PUBLIC_DEMO_TOKEN"})
        assert me.status_code == 200 and me.json()["demo"] is True
        assert (tmp_path / "var" / "varshare.db").exists() and (tmp_path / "var" / "linkage-vault.db").exists()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "vs_demo_lab_alpha_PUBLIC_DEMO_TOKEN" in output and f"http://127.0.0.1:{port}/" in output


@pytest.mark.parametrize("cli_env", ENGINES, indirect=True)
def test_bulk_ingest_of_a_directory_with_a_summary(cli_env, tmp_path):
    from tests.api.fhir_client import DATA

    assert _run(cli_env, "db", "upgrade").exit_code == 0
    assert _run(cli_env, "tenant", "add", "--name", "Bulk Lab", "--role", "lab").exit_code == 0
    loaded = CliRunner().invoke(main, ["ingest", str(DATA / "genomics-reporting"), "--tenant", "Bulk Lab"],
                                env=cli_env, catch_exceptions=False)
    assert loaded.exit_code == 0, loaded.output
    assert "accepted 24 " in loaded.stdout and "rejected 0" in loaded.stdout
    assert "report" in loaded.stderr  # the progress bar

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    good = (DATA / "synthetic" / "grch38-spdi.json").read_bytes()
    (mixed / "a-good.json").write_bytes(good)
    (mixed / "b-broken.json").write_bytes(b"{not json")
    (mixed / "c-invalid.json").write_bytes((DATA / "synthetic" / "unknown-element.json").read_bytes())
    (mixed / "d-lines.ndjson").write_bytes(good.replace(b"\n", b"") + b"\n\n" + b'{"resourceType": "Patient"}\n')
    result = CliRunner().invoke(main, ["ingest", str(mixed), "--tenant", "Bulk Lab", "--quiet"], env=cli_env,
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "accepted 1 " in result.stdout and "unchanged re-sends 1" in result.stdout and "rejected 3" in result.stdout
    assert "b-broken.json: 400" in result.stdout and "not valid JSON" in result.stdout
    assert "c-invalid.json: 422 at Bundle.entry[2].resource.component[1].valueStringg" in result.stdout
    assert "d-lines.ndjson:3: 422" in result.stdout

    nobody = CliRunner().invoke(main, ["ingest", str(mixed), "--tenant", "Nobody"], env=cli_env)
    assert nobody.exit_code != 0 and "no tenant named" in nobody.output


@pytest.mark.parametrize("cli_env", ENGINES, indirect=True)
def test_release_and_rebuild_commands(cli_env, tmp_path):
    from tests.api.fhir_client import DATA

    assert _run(cli_env, "db", "upgrade").exit_code == 0
    assert _run(cli_env, "tenant", "add", "--name", "Bulk Lab", "--role", "lab").exit_code == 0
    result = CliRunner().invoke(main, ["ingest", str(DATA / "synthetic" / "every-term.json"), "--tenant", "Bulk Lab",
                                       "--quiet"], env=cli_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rebuilt = _run(cli_env, "aggregates", "rebuild")
    assert rebuilt.exit_code == 0 and "0 aggregates differed" in rebuilt.output
    assert "checked 13 variants" in rebuilt.output
    created = _run(cli_env, "release", "create", "first")
    assert created.exit_code == 0 and "variant_summary.tsv" in created.output and "sha256" in created.output
    assert "first" in _run(cli_env, "release", "list").output
    assert _run(cli_env, "release", "verify", "first").exit_code == 0
    again = CliRunner().invoke(main, ["release", "create", "first"], env=cli_env)
    assert again.exit_code != 0 and "immutable" in again.output
    # Tampering with a file is detected.
    tsv = tmp_path / "releases" / "first" / "variant_summary.tsv"
    tsv.chmod(0o644)
    tsv.write_text(tsv.read_text() + "tampered\n")
    broken = CliRunner().invoke(main, ["release", "verify", "first"], env=cli_env)
    assert broken.exit_code != 0 and "checksum differs" in broken.output


@pytest.mark.parametrize("cli_env", ENGINES, indirect=True)
def test_db_recount_repairs_the_kept_counts(cli_env):
    from sqlalchemy import update

    from app.store.database import Store
    from app.store.tables import store_counters
    from tests.api.lab_bundles import BRCA1_A, BRCA2_A, lab_report

    assert _run(cli_env, "db", "upgrade").exit_code == 0
    token = _run(cli_env, "tenant", "add", "--name", "Genome Lab", "--role", "lab").stdout.strip().splitlines()[-1]
    assert token.startswith("vs_")
    store = Store(cli_env["VARSHARE_DATABASE_URL"], cli_env["VARSHARE_LINKAGE_DATABASE_URL"])
    try:
        from app.config import load_settings
        from app.services.ingest import Ingest
        from app.services.tenants import Tenants

        settings = load_settings({"mode": "test"}, environ={})
        tenants = Tenants(store, settings)
        Ingest(store, tenants, settings).submit(tenants.caller_named("Genome Lab"),
                                                lab_report([(BRCA1_A, "P"), (BRCA2_A, "B")], report_id="r-1"))
        fine = _run(cli_env, "db", "recount")
        assert fine.exit_code == 0 and "variants: 2" in fine.output and "was" not in fine.output
        with store.engine.begin() as conn:
            conn.execute(update(store_counters).where(store_counters.c.name == "variants").values(value=7))
        repaired = _run(cli_env, "db", "recount")
        assert repaired.exit_code == 0 and "variants: 2 (was 7)" in repaired.output
        assert "current_submissions: 2" in repaired.output and "aggregate_conflicts: 0" in repaired.output
    finally:
        store.dispose()
