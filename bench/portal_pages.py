"""Benchmark (not a test): p95 render time of the dashboard and the chargers list with 200 chargers
and 5,000 members, on SQLite or PostgreSQL.

    .venv/bin/python bench/portal_pages.py                                   # SQLite in a temp dir
    .venv/bin/python bench/portal_pages.py postgresql+asyncpg://postgres@127.0.0.1:5432/lp_bench
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid

os.environ.setdefault("LADEPORTAL_RUN_WORKER_IN_PROCESS", "false")

import httpx
from sqlalchemy import insert
from tests.factories import make_charger, make_org, make_site

from ladeportal.auth.models import PortalSession
from ladeportal.auth.sessions import _hash
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.settings import load_settings
from ladeportal.web.app import create_app

RUNS = 50


async def seed(db: Database) -> tuple[uuid.UUID, str]:
    async with db.session() as session:
        org = await make_org(session)
        sites = [await make_site(session, org) for _ in range(4)]
        for n in range(200):
            await make_charger(session, sites[n % 4], f"BENCH-{n:04d}")
        now = utcnow()
        users = [{"id": uuid.uuid4(), "phone": f"+479{n:07d}", "language": "nb", "created_at": now, "updated_at": now}
                 for n in range(5000)]
        await session.execute(insert(User), users)
        await session.execute(insert(Membership), [
            {"id": uuid.uuid4(), "organization_id": org.id, "user_id": u["id"],
             "role": Role.org_admin if i == 0 else Role.member, "state": MembershipState.active,
             "created_at": now, "updated_at": now} for i, u in enumerate(users)])
        token = uuid.uuid4().hex
        from datetime import timedelta

        session.add(PortalSession(token_hash=_hash(token), user_id=users[0]["id"], created_at=now, last_seen_at=now,
                                  expires_at=now + timedelta(hours=1)))
        await session.commit()
        return org.id, token


async def main(url: str) -> None:
    db = Database(url)
    org_id, token = await seed(db)
    app = create_app(load_settings(database_url=url, run_worker_in_process=False), db=db)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=transport, base_url="http://bench", cookies={"lp_session": token}
    ) as client:
        for name, path in (("dashboard", f"/portal/o/{org_id}/"), ("chargers", f"/portal/o/{org_id}/chargers")):
            timings = []
            for _ in range(RUNS):
                start = time.perf_counter()
                response = await client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
            p95 = statistics.quantiles(timings, n=20)[18]
            median = statistics.median(timings)
            print(f"{db.engine.dialect.name:10} {name:10} median {median:7.1f} ms  p95 {p95:7.1f} ms")
    await db.dispose()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(target)  # Alembic runs its own event loop, so before ours
    asyncio.run(main(target))
