"""``varshare release``, ``aggregates``, ``audit`` and ``ingest``: the store's records in bulk."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli import main, settings_from, store_for


@main.group(help="Releases: named, immutable snapshots of the store with checksummed export files.")
def release() -> None:
    """Release commands."""


def _releases():
    from app.services.releases import Releases

    settings = settings_from()
    return Releases(store_for(settings), settings.release_dir)


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

    settings = settings_from()
    try:
        rules = rules_from_settings(settings)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc
    store = store_for(settings)
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

    store = store_for(settings_from())
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

    settings = settings_from()
    store = store_for(settings)
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
