"""Copy a built synthetic SQLite store into migrated PostgreSQL databases, so a benchmark can run the same data on
the production engine without generating it twice.

Every non-empty table of the shared store (and of the vault) is streamed from SQLite in dependency order (parents
first, so PostgreSQL's foreign keys hold throughout) and written with PostgreSQL's ``COPY`` (psycopg); identity
sequences are moved past the copied ids, and the databases are ANALYZEd. The targets must be migrated to the same
revision as the source and hold no rows of their own beyond what migrations insert (those are replaced).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, Integer, MetaData, Table, create_engine, func, select, text

from app.store.tables import metadata
from app.store.vault_tables import vault_metadata

BATCH = 50_000  # rows streamed from SQLite at a time


def _stored(value: object) -> object:
    """A value as COPY takes it: JSON documents as text (the rest psycopg adapts)."""
    return json.dumps(value) if isinstance(value, dict | list) else value


def _copy_table(source: Connection, target: Connection, table: Table) -> int:
    columns = [column.name for column in table.columns]
    copied = 0
    driver = target.connection.driver_connection
    quoted = ", ".join(f'"{column}"' for column in columns)  # some are SQL keywords (key, conflict)
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in source.execution_options(yield_per=BATCH).execute(select(table)):
            copy.write_row(tuple(_stored(value) for value in row))
            copied += 1
    return copied


def _advance_sequence(target: Connection, table: Table) -> None:
    """Move a copied table's identity sequence past its ids (inserts after the copy must not collide)."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer) or keys[0].autoincrement is False:
        return
    sequence = target.execute(text("SELECT pg_get_serial_sequence(:table, :column)"),
                              {"table": table.name, "column": keys[0].name}).scalar()
    if sequence:
        highest = target.execute(select(func.max(keys[0]))).scalar()
        if highest is not None:
            target.execute(text("SELECT setval(:sequence, :value)"), {"sequence": sequence, "value": highest})


def _copy_database(source: Engine, target: Engine, tables: MetaData) -> dict[str, int]:
    counts: dict[str, int] = {}
    ordered: Iterable[Table] = [t for t in tables.sorted_tables if t.name != "alembic_version"]
    with source.connect() as reading, target.begin() as writing:
        filled = [t for t in ordered if reading.execute(select(func.count()).select_from(t)).scalar()]
        for table in reversed(filled):  # children first: rows the migrations inserted give way to the copy's
            writing.execute(table.delete())
        for table in filled:
            counts[table.name] = _copy_table(reading, writing, table)
            _advance_sequence(writing, table)
    with target.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    return counts


def copy_store(source_url: str, source_vault_url: str, target_url: str, target_vault_url: str) -> dict:
    """Copy both databases; the rows copied per table and the seconds it took."""
    began = time.perf_counter()
    counts = {}
    for (source, target), tables in (((source_url, target_url), metadata),
                                     ((source_vault_url, target_vault_url), vault_metadata)):
        source_engine, target_engine = create_engine(source), create_engine(target)
        try:
            counts.update(_copy_database(source_engine, target_engine, tables))
        finally:
            source_engine.dispose()
            target_engine.dispose()
    return {"rows": counts, "seconds": round(time.perf_counter() - began, 1)}
