"""The ``varshare`` command: the group and the helpers its subcommands share.

Subcommands live by role in ``serving`` (serve, sandbox), ``administration`` (db, tenant, case) and
``records`` (release, aggregates, audit, ingest); importing them registers them on :func:`main`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from app.config import ConfigError, Settings, load_settings


def settings_from(overrides: Mapping[str, Any] | None = None) -> Settings:
    try:
        return load_settings(overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def store_for(settings: Settings):
    from app.store.database import Store

    return Store(settings.database_url, settings.linkage_database_url, pool_size=settings.db_pool_size,
                 busy_timeout_ms=settings.sqlite_busy_timeout_ms)


@click.group(help="varshare: shared genomic variant store, ClinVar-style aggregation and CDS Hooks services.\n\n"
                  "Settings come from VARSHARE_* environment variables (see README).")
def main() -> None:
    """Entry point."""


from app.cli import administration, records, serving  # noqa: E402,F401 - registers the subcommands

