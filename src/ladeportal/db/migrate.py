"""Alembic driven from code: `ladeportal db upgrade`, the test fixtures and the migrations check.

Migrations are the only way a schema is made; there is no create_all anywhere.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def sync_url(database_url: str) -> str:
    """The same database through a synchronous driver (for schema comparison only)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(drivername="sqlite")
    else:
        url = url.set(drivername="postgresql+psycopg") if _has("psycopg") else url
    return url.render_as_string(hide_password=False)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_heads(database_url: str) -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def schema_differences(database_url: str) -> list[object]:
    """What autogenerate would change: empty when models and migrations agree."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    import ladeportal.models as models

    async def _compare() -> list[object]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync_conn: compare_metadata(
                        MigrationContext.configure(sync_conn, opts={"compare_type": True}),
                        models.Base.metadata,
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(_compare())


__all__ = ["alembic_config", "create_engine", "current_heads", "downgrade", "schema_differences", "upgrade"]
