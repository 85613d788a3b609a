"""Schema migrations of both databases (Alembic, configured in code) and the "is it current?" check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from app.store.engines import is_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"
TREES = ("shared", "vault")


@dataclass(frozen=True)
class SchemaState:
    """Where one database stands against its migration head."""

    database: str
    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head


def _config(tree: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS / tree))
    return config


class BrokenForeignKeys(RuntimeError):
    """A migration left rows whose foreign keys point nowhere (SQLite; rolled back)."""


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for a migration run. On SQLite, foreign keys are off while it runs and checked before it
    commits, as SQLite's procedure for rebuilding a table requires (a batch rebuild drops and renames tables that
    other tables reference; with the checks on, dropping a referenced table fails once it has rows)."""
    with engine.connect() as connection:
        driver = connection.connection.driver_connection if is_sqlite(engine) else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")  # outside the transaction: SQLite ignores it inside one
        try:
            with connection.begin():
                yield connection
                if driver is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise BrokenForeignKeys(f"the migration left {len(broken)} rows with broken foreign keys, "
                                                f"first in table {broken[0][0]}: rolled back")
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, tree: str, revision: str = "head") -> None:
    """Migrate one database (``shared`` or ``vault``) up to ``revision``."""
    config = _config(tree)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, tree: str, revision: str = "base") -> None:
    """Migrate one database down to ``revision`` (``base`` removes every table)."""
    config = _config(tree)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def schema_state(engine: Engine, tree: str) -> SchemaState:
    """Read the database's current revision and the code's head revision."""
    head = ScriptDirectory.from_config(_config(tree)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return SchemaState(database=tree, current=current, head=head or "")
