"""``varshare db``, ``tenant`` and ``case``: schema, institutions and their credentials, erasure."""

from __future__ import annotations

import sys

import click

from app.cli import main, settings_from, store_for


@main.group(help="Database schema: both the shared store and the linkage vault.")
def db() -> None:
    """Schema commands."""


@db.command("upgrade", help="Migrate both databases to the newest schema.")
def db_upgrade() -> None:
    settings = settings_from()
    store = store_for(settings)
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
    store = store_for(settings_from())
    store.downgrade(revision)
    store.dispose()
    click.echo(f"downgraded to {revision}")


@db.command("current", help="Show each database's schema revision against the code's head.")
def db_current() -> None:
    store = store_for(settings_from())
    states = store.schema_states()
    store.dispose()
    for state in states:
        click.echo(f"{state.database}: {state.current or 'empty'} (head {state.head})"
                   f"{'' if state.is_current else '  <- run `varshare db upgrade`'}")
    if not all(s.is_current for s in states):
        sys.exit(1)


@db.command("recount", help="Recount the counts kept with the changes (variants, current submissions, conflicts, "
                             "and per institution its current submissions and variants) from the tables, and show "
                             "any difference.")
def db_recount() -> None:
    from app.services.operations import recount

    store = store_for(settings_from())
    try:
        for name, (kept, counted) in recount(store).items():
            click.echo(f"{name}: {counted}" + ("" if kept == counted else f" (was {kept})"))
    finally:
        store.dispose()


@main.group(help="Registered institutions (tenants) and their credentials.")
def tenant() -> None:
    """Tenant commands."""


def _tenants():
    from app.services.tenants import Tenants

    settings = settings_from()
    return Tenants(store_for(settings), settings)


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

    settings = settings_from()
    store = store_for(settings)
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
