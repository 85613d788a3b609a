"""The ``varshare`` command: serve, sandbox, db, tenant administration, ingest and case erasure."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from app.config import ConfigError, Settings, load_settings


def _settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    try:
        return load_settings(overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _store(settings: Settings):
    from app.store.database import Store

    return Store(settings.database_url, settings.linkage_database_url, pool_size=settings.db_pool_size,
                 busy_timeout_ms=settings.sqlite_busy_timeout_ms)


@click.group(help="varshare: shared genomic variant store, ClinVar-style aggregation and CDS Hooks services.\n\n"
                  "Settings come from VARSHARE_* environment variables (see README).")
def main() -> None:
    """Entry point."""


def _forget_worker_metrics(_server, worker) -> None:
    """gunicorn child_exit hook: drop an exited worker's live gauges from the shared metrics directory."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _run_server(settings_overrides: dict[str, Any], host: str, port: int, workers: int, threads: int,
                dev: bool) -> None:
    from app import StartupError, create_app

    try:
        app = create_app(settings_overrides) if dev else None
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from exc
    if dev:
        assert app is not None
        app.run(host=host, port=port, debug=False, threaded=True)
        return
    from gunicorn.app.base import BaseApplication

    # Fail fast in the parent, with a readable message, before gunicorn forks workers.
    try:
        create_app(settings_overrides).extensions["varshare"].store.dispose()
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from exc

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 30)
            # SIGTERM: stop accepting, let in-flight requests finish for up to 20 s, then stop the workers.
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", None)
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # metrics summed over workers (README)
                self.cfg.set("child_exit", _forget_worker_metrics)

        def load(self):
            return create_app(settings_overrides)

    _Server().run()


@main.command(help="Serve the API with gunicorn (or Flask's development server with --dev).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Flask development server, single process.")
def serve(host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    _settings()
    _run_server({}, host, port, workers, threads, dev)


def _seed_world(overrides: dict[str, Any]) -> str:
    """Seed the synthetic world through the app's public ingest path; the one-line summary."""
    from app import StartupError, create_app
    from app.sandbox.seeding import SeedingError, seed_world
    from app.sandbox.world import build_world

    try:
        # Seeding replays hundreds of reports through the public ingest path at once: not a client to throttle.
        app = create_app({**overrides, "rate_limit_enabled": False})
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        return seed_world(app).line(build_world())
    except SeedingError as exc:
        raise click.ClickException(f"seeding the synthetic world failed: {exc}\n(if the store holds an older "
                                   "sandbox world, start again with `varshare sandbox --reset`)") from exc
    finally:
        app.extensions["varshare"].store.dispose()


@main.command(help="Set up and serve the integrator sandbox: migrate, seed demo tenants and data, print "
                   "URLs and demo credentials, then serve.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Drop all sandbox data first and start from a clean store.")
@click.option("--no-serve", is_flag=True, help="Only prepare the sandbox store; do not start the server.")
def sandbox(host: str, port: int, workers: int, reset: bool, no_serve: bool) -> None:
    from app.sandbox.demo_tenants import seed_demo_tenants
    from app.services.tenants import Tenants

    base_url = f"http://{host}:{port}"
    overrides: dict[str, Any] = {"mode": "sandbox"}
    settings = _settings(overrides)
    if settings.public_base_url == Settings().public_base_url:
        overrides["public_base_url"] = base_url
        settings = _settings(overrides)
    store = _store(settings)
    if reset:
        click.echo("resetting the sandbox store")
        store.downgrade("base")
        shutil.rmtree(settings.release_dir, ignore_errors=True)  # the releases of the dropped store
    store.upgrade()
    demos = seed_demo_tenants(Tenants(store, settings))
    store.dispose()
    click.echo(_seed_world(overrides))
    click.echo(f"\nvarshare sandbox (synthetic data, demo credentials) at {settings.public_base_url}/")
    click.echo(f"  store overview   {settings.public_base_url}/")
    click.echo(f"  try CDS Hooks    {settings.public_base_url}/sandbox")
    click.echo(f"  submit a report  {settings.public_base_url}/sandbox/submit")
    click.echo(f"  guide            {settings.public_base_url}/sandbox/help  (endpoints, credentials, curl)")
    click.echo(f"  liveness         {settings.public_base_url}/healthz")
    click.echo(f"  readiness        {settings.public_base_url}/readyz")
    click.echo(f"  who am I         {settings.public_base_url}/api/whoami")
    click.echo(f"  EHR FHIR server  {settings.public_base_url}/sandbox/fhir  (synthetic patients: /Patient)")
    click.echo("\ndemo tenants (public demo tokens; they work only in sandbox mode):")
    for demo in demos:
        click.echo(f"  {demo.name:<20} {demo.role:<19} {demo.token}")
    click.echo(f"\ntry: curl -H 'Authorization: Bearer {demos[0].token}' {settings.public_base_url}/api/whoami\n")
    if not no_serve:
        _run_server(overrides, host, port, workers, 4, dev=False)


@main.group(help="Database schema: both the shared store and the linkage vault.")
def db() -> None:
    """Schema commands."""


@db.command("upgrade", help="Migrate both databases to the newest schema.")
def db_upgrade() -> None:
    settings = _settings()
    store = _store(settings)
    store.upgrade()
    for state in store.schema_states():
        click.echo(f"{state.database}: at {state.current}")
    store.dispose()


@db.command("downgrade", help="Migrate both databases down to REVISION ('base' removes every table).")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Confirm; downgrading can delete data.")
def db_downgrade(revision: str, yes: bool) -> None:
    if not yes:
        raise click.ClickException("downgrading can delete data; repeat with --yes to confirm")
    store = _store(_settings())
    store.downgrade(revision)
    store.dispose()
    click.echo(f"downgraded to {revision}")


@db.command("current", help="Show each database's schema revision against the code's head.")
def db_current() -> None:
    store = _store(_settings())
    states = store.schema_states()
    store.dispose()
    for state in states:
        click.echo(f"{state.database}: {state.current or 'empty'} (head {state.head})"
                   f"{'' if state.is_current else '  <- run `varshare db upgrade`'}")
    if not all(s.is_current for s in states):
        sys.exit(1)


@main.group(help="Registered institutions (tenants) and their credentials.")
def tenant() -> None:
    """Tenant commands."""


def _tenants():
    from app.services.tenants import Tenants

    settings = _settings()
    return Tenants(_store(settings), settings)


def _tenant_errors():
    from app.services.tenants import TenantError

    return TenantError


@tenant.command("add", help="Register an institution and print its API token once.")
@click.option("--name", required=True)
@click.option("--role", required=True,
              type=click.Choice(["lab", "expert-panel", "practice-guideline", "ehr", "curator", "reader", "admin"]))
@click.option("--jwks-url", default=None, help="Where the institution publishes its JWT signing keys.")
@click.option("--issuer", default=None, help="The `iss` its CDS Hooks JWTs carry.")
def tenant_add(name: str, role: str, jwks_url: str | None, issuer: str | None) -> None:
    try:
        row, token = _tenants().add(name, role, jwks_url=jwks_url, issuer=issuer)
    except _tenant_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"registered {row.name} ({row.role}), id {row.id}", err=True)
    click.echo("its API token follows; it is shown only this once:", err=True)
    click.echo(token)


@tenant.command("list", help="List institutions with role, state and submission counts.")
def tenant_list() -> None:
    rows = _tenants().list()
    click.echo(f"{'name':<30} {'role':<19} {'state':<9} {'token':<12} submissions")
    for row, count in rows:
        state = "disabled" if row.disabled else ("demo" if row.is_demo else "active")
        click.echo(f"{row.name:<30} {row.role:<19} {state:<9} {(row.token_hint or '-') + '…':<12} {count}")


@tenant.command("rotate-token", help="Issue a new token for an institution; the old one stops working.")
@click.option("--name", required=True)
def tenant_rotate(name: str) -> None:
    try:
        token = _tenants().rotate_token(name)
    except _tenant_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"new token for {name}; shown only this once:", err=True)
    click.echo(token)


@tenant.command("disable", help="Disable an institution: all its calls are refused.")
@click.option("--name", required=True)
def tenant_disable(name: str) -> None:
    try:
        _tenants().set_disabled(name, True)
    except _tenant_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"disabled {name}")


@tenant.command("enable", help="Re-enable a disabled institution.")
@click.option("--name", required=True)
def tenant_enable(name: str) -> None:
    try:
        _tenants().set_disabled(name, False)
    except _tenant_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"enabled {name}")


@main.group(help="De-identified cases: erasure on an institution's request.")
def case() -> None:
    """Case commands."""


@case.command("erase", help="Erase a patient's case data for one institution: its vault links, case facts, "
                            "phenotypes and relatives. Its classifications of variants remain. The identifier "
                            "is never printed or logged.")
@click.option("--tenant", "tenant_name", required=True, help="Name of the institution the patient belongs to.")
@click.option("--patient-identifier", "identifier", required=True, metavar="SYSTEM|VALUE",
              help="Any identifier the institution's reports gave for the patient, e.g. http://hospital.example/mrn|123.")
def case_erase(tenant_name: str, identifier: str) -> None:
    from app.services.erasure import Erasure, ErasureError, parse_patient_identifier
    from app.services.tenants import TenantError, Tenants

    settings = _settings()
    store = _store(settings)
    try:
        system, value = parse_patient_identifier(identifier)
        result = Erasure(store, Tenants(store, settings)).erase_patient(tenant_name, system, value)
    except (ErasureError, TenantError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.dispose()
    if result.store_version is None:
        click.echo(f"no case of {tenant_name} is linked to that identifier; nothing was erased")
        return
    click.echo(f"erased {result.cases} case(s) of {tenant_name}: {result.links} vault link(s), "
               f"{result.case_facts} case fact(s), {result.phenotypes} phenotype(s), {result.relatives} relative(s); "
               f"store version {result.store_version}. Classifications of variants were kept.")


@main.group(help="Releases: named, immutable snapshots of the store with checksummed export files.")
def release() -> None:
    """Release commands."""


def _releases():
    from app.services.releases import Releases

    settings = _settings()
    return Releases(_store(settings), settings.release_dir)


@release.command("create", help="Freeze the current store version as NAME and write its export files.")
@click.argument("name")
def release_create(name: str) -> None:
    from app.services.releases import ReleaseError

    try:
        created = _releases().create(name)
    except ReleaseError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"release {created['name']} at store version {created['version']}")
    for entry in created["files"]:
        click.echo(f"  {entry['name']}  {entry['bytes']} bytes  sha256 {entry['sha256']}")


@release.command("list", help="List releases, newest first.")
def release_list() -> None:
    for item in _releases().list():
        click.echo(f"{item['name']:<30} version {item['version']:<8} {item['created_at']}")


@release.command("verify", help="Re-check a release's files against their recorded checksums.")
@click.argument("name")
def release_verify(name: str) -> None:
    from app.services.releases import ReleaseError

    try:
        problems = _releases().verify(name)
    except ReleaseError as exc:
        raise click.ClickException(exc.message) from exc
    if problems:
        for problem in problems:
            click.echo(f"  {problem}")
        raise click.ClickException(f"release {name} does not verify")
    click.echo(f"release {name}: every file matches its checksum")


@main.group(help="Aggregate classifications.")
def aggregates() -> None:
    """Aggregate commands."""


@aggregates.command("rebuild", help="Recompute every aggregate from the current submissions; any difference "
                                    "from the stored ones is corrected under a new store version and reported.")
def aggregates_rebuild() -> None:
    from app.services.aggregation import RulesError, rebuild_aggregates, rules_from_settings

    settings = _settings()
    try:
        rules = rules_from_settings(settings)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
    store = _store(settings)
    summary = rebuild_aggregates(store, rules)
    store.dispose()
    click.echo(f"checked {summary.variants} variants: {summary.changed} aggregates differed"
               + (f" and were corrected at store version {summary.version}" if summary.version else ""))


@main.group(help="The append-only, hash-chained audit log.")
def audit() -> None:
    """Audit commands."""


@audit.command("verify", help="Walk the audit chain and report the first broken link (exit 1 if any).")
def audit_verify() -> None:
    from app.services.audit import verify_chain

    store = _store(_settings())
    report = verify_chain(store)
    store.dispose()
    if report.intact:
        click.echo(f"audit chain intact: {report.events} events")
        return
    click.echo(f"audit chain BROKEN at event {report.broken_at}: {report.reason}")
    sys.exit(1)


@main.command("ingest", help="Bulk-load report files (FHIR JSON, or NDJSON with one resource per line) as a tenant. "
                             "Directories are searched recursively for .json/.ndjson/.jsonl files. Exits non-zero "
                             "when anything is rejected.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--tenant", "tenant_name", required=True, help="Name of the submitting tenant.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def ingest_files(paths: tuple[Path, ...], tenant_name: str, quiet: bool) -> None:
    from tqdm import tqdm

    from app.ingest.validation import warm_up
    from app.services.bulk_ingest import LoadSummary, collect_sources, load_sources
    from app.services.ingest import Ingest
    from app.services.tenants import TenantError, Tenants

    settings = _settings()
    store = _store(settings)
    tenants = Tenants(store, settings)
    try:
        caller = tenants.caller_named(tenant_name)
    except TenantError as exc:
        raise click.ClickException(str(exc)) from exc
    if not caller.may("submit"):
        raise click.ClickException(f"tenant {tenant_name!r} has the {caller.role} role, which does not submit")
    warm_up()
    sources = collect_sources(list(paths))
    summary = LoadSummary()
    with tqdm(total=len(sources), unit="report", disable=quiet, file=sys.stderr) as bar:
        for summary in load_sources(Ingest(store, tenants, settings), caller, sources, settings.max_json_depth):
            bar.update(1)
            bar.set_postfix(accepted=summary.accepted, rejected=len(summary.rejected))
    store.dispose()
    click.echo(f"accepted {summary.accepted} ({summary.variants} variants), unchanged re-sends {summary.replayed}, "
               f"rejected {len(summary.rejected)}")
    for label, reason in summary.rejected:
        click.echo(f"  rejected {label}: {reason}")
    if summary.rejected:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
