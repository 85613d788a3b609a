"""Schema migrations of both databases (Alembic, configured in code) and the "is it current?" check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

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


def upgrade(engine: Engine, tree: str, revision: str = "head") -> None:
    """Migrate one database (``shared`` or ``vault``) up to ``revision``."""
    config = _config(tree)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, tree: str, revision: str = "base") -> None:
    """Migrate one database down to ``revision`` (``base`` removes every table)."""
    config = _config(tree)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def schema_state(engine: Engine, tree: str) -> SchemaState:
    """Read the database's current revision and the code's head revision."""
    head = ScriptDirectory.from_config(_config(tree)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return SchemaState(database=tree, current=current, head=head or "")
