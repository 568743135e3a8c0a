"""Storage: SQLAlchemy models, engines and sessions, Alembic migrations (SQLite default, PostgreSQL)."""

from amane.store.database import Database, normalise_url
from amane.store.migrate import upgrade

__all__ = ["Database", "normalise_url", "upgrade"]
