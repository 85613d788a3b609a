"""Alembic environment for the shared database; run through app.store.schema, which passes the connection."""

from alembic import context

from app.store.tables import metadata as target_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
