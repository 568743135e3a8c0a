"""Helpers for tests and benchmarks: a throw-away PostgreSQL schema, so runs are repeatable."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
from psycopg import sql


@contextmanager
def scratch_postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL at ``url``: yields a URL whose search_path is it; dropped after."""
    schema = f"amane_test_{secrets.token_hex(6)}"
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in plain else "?"
    try:
        yield f"{plain}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
