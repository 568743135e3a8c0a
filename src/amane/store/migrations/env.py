"""Alembic environment: run by :func:`amane.store.migrate.upgrade` with a live connection."""

from __future__ import annotations

from alembic import context

from amane.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through amane.store.migrate.upgrade(url), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
