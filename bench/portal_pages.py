"""Benchmark (not a test): median and p95 server time of the dashboard, the chargers list, one
charger's page and the users list (first page, a search, page 50) with 200 chargers (mostly online,
some charging, faulted and offline), 5,000 members, 4,000 sessions this month and a few orphaned
messages, on SQLite and PostgreSQL in one run.

    PYTHONPATH=. .venv/bin/python bench/portal_pages.py                # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/portal_pages.py sqlite postgresql+asyncpg://postgres@127.0.0.1:5432/lp_bench

A PostgreSQL database named in the arguments is dropped and created afresh.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

os.environ.setdefault("LADEPORTAL_RUN_WORKER_IN_PROCESS", "false")

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url
from tests.factories import make_charger, make_org, make_site

from ladeportal.auth.models import PortalSession
from ladeportal.auth.sessions import _hash
from ladeportal.chargers.history_models import ConnectorStatusEvent
from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.orgs.models import Organization
from ladeportal.sessions.models import ChargingSession, OrphanMessage, SessionState
from ladeportal.settings import load_settings
from ladeportal.web.app import create_app

RUNS = 60
WARMUP = 5
CHARGERS = 200
MEMBERS = 5000
SESSIONS = 4000


async def _seed_chargers(db: Database, org_id: uuid.UUID) -> list[uuid.UUID]:
    async with db.session() as session:
        org = await session.get(Organization, org_id)
        assert org is not None
        sites = [await make_site(session, org) for _ in range(4)]
        ids = [(await make_charger(session, sites[n % 4], f"BENCH-{n:04d}")).charge_point.id for n in range(CHARGERS)]
        now = utcnow()
        rng = random.Random(7)
        # 5% offline (never seen), the rest seen within the last minute; 20% charging, 2% faulted.
        for n, cp_id in enumerate(ids):
            seen = None if n % 20 == 0 else now - timedelta(seconds=rng.randint(0, 60))
            await session.execute(update(ChargePoint).where(ChargePoint.id == cp_id).values(last_seen_at=seen))
            status = "Faulted" if n % 50 == 1 else "Charging" if n % 5 == 2 else "Available"
            await session.execute(
                update(Connector)
                .where(Connector.charge_point_id == cp_id, Connector.number == 1)
                .values(status=status, status_changed_at=now - timedelta(minutes=n))
            )
            await session.execute(
                update(Connector)
                .where(Connector.charge_point_id == cp_id, Connector.number == 2)
                .values(status="Available", status_changed_at=now - timedelta(hours=2))
            )
        await session.execute(
            insert(ConnectorStatusEvent),
            [
                {
                    "charge_point_id": cp_id,
                    "connector_number": 1 + k % 2,
                    "status": "Available",
                    "error_code": "NoError",
                    "reported_at": now - timedelta(minutes=k),
                    "received_at": now - timedelta(minutes=k),
                }
                for cp_id in ids
                for k in range(30)
            ],
        )
        await session.commit()
        return ids


async def _seed_sessions(db: Database, org_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    async with db.session() as session:
        pairs = (await session.execute(select(ChargePoint.id, ChargePoint.site_id))).all()
        site_of = {cp_id: site_id for cp_id, site_id in pairs}
        now = utcnow()
        rows = []
        for n in range(SESSIONS):
            cp_id = ids[n % len(ids)]
            started = now - timedelta(minutes=10 * n)
            running = n < 40
            rows.append(
                {
                    "organization_id": org_id,
                    "site_id": site_of[cp_id],
                    "charge_point_id": cp_id,
                    "connector_number": 1,
                    "id_tag": f"TAG{n:05d}",
                    "auth_status": "Accepted",
                    "state": SessionState.active if running else SessionState.stopped,
                    "started_at": started,
                    "stopped_at": None if running else started + timedelta(minutes=90),
                    "meter_start_wh": 1000 * n,
                    "meter_stop_wh": None if running else 1000 * n + 7500,
                    "meter_last_wh": 1000 * n + 7500,
                    "segment_start_wh": 1000 * n,
                    "energy_carried_wh": 0,
                    "energy_wh": None if running else 7500,
                    "anomalies": ["meter_reset"] if n % 400 == 3 else [],
                    "cost_total_minor": None if running else 2250,
                    "currency": "NOK",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await session.execute(insert(ChargingSession), rows)
        await session.execute(
            insert(OrphanMessage),
            [
                {
                    "charge_point_id": ids[k],
                    "action": "StopTransaction",
                    "transaction_id": 900000 + k,
                    "reason": "unknown_transaction",
                    "payload": {},
                    "received_at": now,
                }
                for k in range(3)
            ],
        )
        await session.commit()


async def seed(db: Database) -> tuple[uuid.UUID, uuid.UUID, str]:
    async with db.session() as session:
        org = await make_org(session)
        org_id = org.id
    ids = await _seed_chargers(db, org_id)
    await _seed_sessions(db, org_id, ids)
    async with db.session() as session:
        now = utcnow()
        users = [
            {"id": uuid.uuid4(), "phone": f"+479{n:07d}", "language": "nb", "created_at": now, "updated_at": now}
            for n in range(MEMBERS)
        ]
        await session.execute(insert(User), users)
        await session.execute(
            insert(Membership),
            [
                {
                    "id": uuid.uuid4(),
                    "organization_id": org_id,
                    "user_id": u["id"],
                    "role": Role.org_admin if i == 0 else Role.member,
                    "state": MembershipState.active,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, u in enumerate(users)
            ],
        )
        token = uuid.uuid4().hex
        session.add(
            PortalSession(
                token_hash=_hash(token),
                user_id=users[0]["id"],
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
        await session.commit()
    return org_id, ids[2], token


async def measure(url: str) -> list[str]:
    db = Database(url)
    org_id, charger_id, token = await seed(db)
    app = create_app(load_settings(database_url=url, run_worker_in_process=False), db=db)
    lines = []
    pages = (
        ("dashboard", f"/portal/o/{org_id}/"),
        ("chargers", f"/portal/o/{org_id}/chargers"),
        ("charger", f"/portal/o/{org_id}/chargers/{charger_id}"),
        ("users", f"/portal/o/{org_id}/users"),
        ("users?q=", f"/portal/o/{org_id}/users?q=4790001"),
        ("users p50", f"/portal/o/{org_id}/users?page=50"),
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", cookies={"lp_session": token}
        ) as client,
    ):
        for name, path in pages:
            timings = []
            for n in range(WARMUP + RUNS):
                start = time.perf_counter()
                response = await client.get(path)
                if n >= WARMUP:
                    timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
            p95 = statistics.quantiles(timings, n=20)[18]
            median = statistics.median(timings)
            lines.append(f"{db.engine.dialect.name:10} {name:10} median {median:7.1f} ms  p95 {p95:7.1f} ms")
            print(lines[-1], flush=True)
    await db.dispose()
    return lines


async def _recreate_pg(url: str) -> None:
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


def main(targets: list[str]) -> None:
    for target in targets or ["sqlite"]:
        if target == "sqlite":
            target = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
        elif target.startswith("postgresql"):
            asyncio.run(_recreate_pg(target))
        upgrade(target)  # Alembic runs its own event loop, so before ours
        asyncio.run(measure(target))


if __name__ == "__main__":
    main(sys.argv[1:])
