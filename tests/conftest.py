"""Test fixtures: a freshly migrated database per test run (SQLite by default, PostgreSQL when
LADEPORTAL_TEST_DATABASE_URL says so), emptied after every test that used it.

Migrations build the schema (never create_all). Each pytest-xdist worker gets its own database.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

os.environ.setdefault("LADEPORTAL_MODE", "test")
os.environ.setdefault("LADEPORTAL_RUN_WORKER_IN_PROCESS", "false")

from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade

# Property tests state what must hold, not how fast: Hypothesis's per-example deadline and its
# "too slow" health check measure wall-clock time, so on a busy machine they fail by chance.
# Loaded here, before any test module is imported, so every @settings(...) inherits it.
# HYPOTHESIS_PROFILE=thorough runs ten times the examples when hunting for a counterexample.
hypothesis_settings.register_profile(
    "ladeportal", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile("thorough", hypothesis_settings.get_profile("ladeportal"), max_examples=1000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ladeportal"))


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def _recreate_pg_database(url: str) -> None:
    import asyncpg

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("LADEPORTAL_TEST_DATABASE_URL")
    if base and base.startswith("postgresql"):
        parsed = make_url(base)
        url = parsed.set(database=f"{parsed.database}_{_worker_suffix()}").render_as_string(hide_password=False)
        asyncio.run(_recreate_pg_database(url))
    else:
        path: Path = tmp_path_factory.mktemp("db") / "ladeportal-test.db"
        url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    os.environ["LADEPORTAL_DATABASE_URL"] = url
    yield url


@pytest.fixture(scope="session")
async def _database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def _empty_all_tables(database: Database) -> None:
    import ladeportal.models as models

    tables = [t.name for t in reversed(models.Base.metadata.sorted_tables)]
    async with database.engine.begin() as conn:
        if database.is_sqlite:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608
        else:
            quoted = ", ".join(f'"{n}"' for n in tables)
            await conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(_database: Database) -> AsyncIterator[Database]:
    """The test database; every table is emptied after the test."""
    try:
        yield _database
    finally:
        await _empty_all_tables(_database)


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.session() as s:
        yield s


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app (JSON API and portal) in-process on the test database, without the worker."""
    from ladeportal.settings import load_settings
    from ladeportal.web.app import create_app

    app = create_app(load_settings(run_worker_in_process=False), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c
