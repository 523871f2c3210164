"""Migration 0009 copies what organisations could see of a person into each of their memberships,
on SQLite and on PostgreSQL (when the tests run against it)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from ladeportal.db import migrate
from ladeportal.db.base import UtcDateTime
from tests.conftest import _recreate_pg_database, _worker_suffix

BEFORE, AFTER = "0008_charger_local_lists", "0009_membership_profile"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("LADEPORTAL_TEST_DATABASE_URL")
    if base and base.startswith("postgresql"):
        parsed = make_url(base)
        url = parsed.set(database=f"{parsed.database}_{_worker_suffix()}_mig").render_as_string(hide_password=False)
        asyncio.run(_recreate_pg_database(url))
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/migration.db"
    yield url


UUID, TEXT, AT = sa.Uuid(), sa.String(), UtcDateTime()
ORGS = sa.table(
    "organizations",
    *(
        sa.column(n, t)
        for n, t in (
            ("id", UUID),
            ("kind", TEXT),
            ("legal_name", TEXT),
            ("org_number", TEXT),
            ("country", TEXT),
            ("currency", TEXT),
            ("vat_rate_bp", sa.Integer()),
            ("time_zone", TEXT),
            ("created_at", AT),
            ("updated_at", AT),
        )
    ),
)
USERS = sa.table(
    "users",
    *(
        sa.column(n, t)
        for n, t in (
            ("id", UUID),
            ("phone", TEXT),
            ("name", TEXT),
            ("email", TEXT),
            ("language", TEXT),
            ("last_login_at", AT),
            ("created_at", AT),
            ("updated_at", AT),
        )
    ),
)
MEMBERSHIPS = sa.table(
    "memberships",
    *(
        sa.column(n, t)
        for n, t in (
            ("id", UUID),
            ("organization_id", UUID),
            ("user_id", UUID),
            ("role", TEXT),
            ("state", TEXT),
            ("invite_count", sa.Integer()),
            ("created_at", AT),
            ("updated_at", AT),
        )
    ),
)


async def _seed(url: str, rows: list[tuple[sa.TableClause, list[dict[str, object]]]]) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for table, values in rows:
            await conn.execute(sa.insert(table), values)
    await engine.dispose()


async def _profiles(url: str) -> dict[uuid.UUID, tuple[object, ...]]:
    engine = create_async_engine(url)
    query = sa.select(
        *(
            sa.column(n, t)
            for n, t in (("id", UUID), ("name", TEXT), ("email", TEXT), ("notes", TEXT), ("activated_at", AT))
        )
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query.select_from(sa.table("memberships")))).all()
    await engine.dispose()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_names_and_emails_are_copied_into_every_membership(fresh_url: str) -> None:
    migrate.upgrade(fresh_url, BEFORE)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    kari, nameless = uuid.uuid4(), uuid.uuid4()
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    active, invited, empty = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    stamps = {"created_at": now, "updated_at": now}
    asyncio.run(
        _seed(
            fresh_url,
            [
                (
                    ORGS,
                    [
                        {
                            "id": org,
                            "kind": "company",
                            "legal_name": f"Org {i}",
                            "org_number": f"91000000{i}",
                            "country": "NO",
                            "currency": "NOK",
                            "vat_rate_bp": 2500,
                            "time_zone": "Europe/Oslo",
                            **stamps,
                        }
                        for i, org in enumerate((org_a, org_b))
                    ],
                ),
                (
                    USERS,
                    [
                        {
                            "id": kari,
                            "phone": "+4791234567",
                            "name": "Kari",
                            "email": "kari@example.no",
                            "language": "nb",
                            "last_login_at": now,
                            **stamps,
                        },
                        {
                            "id": nameless,
                            "phone": "+4791234568",
                            "name": None,
                            "email": None,
                            "language": "nb",
                            "last_login_at": None,
                            **stamps,
                        },
                    ],
                ),
                (
                    MEMBERSHIPS,
                    [
                        {
                            "id": m_id,
                            "organization_id": org,
                            "user_id": who,
                            "role": "member",
                            "state": state,
                            "invite_count": 0,
                            **stamps,
                        }
                        for m_id, org, who, state in (
                            (active, org_a, kari, "active"),
                            (invited, org_b, kari, "invited"),
                            (empty, org_a, nameless, "invited"),
                        )
                    ],
                ),
            ],
        )
    )
    migrate.upgrade(fresh_url, AFTER)
    rows = asyncio.run(_profiles(fresh_url))
    # Every organisation starts with what it saw; only the membership accepted by signing in is activated.
    assert rows[active] == ("Kari", "kari@example.no", None, now)
    assert rows[invited] == ("Kari", "kari@example.no", None, None)
    assert rows[empty] == (None, None, None, None)
    migrate.downgrade(fresh_url, BEFORE)
    migrate.upgrade(fresh_url, AFTER)
