"""Benchmark: a quarter's subscription run for 5,000 organisations with 1-5 chargers each, against the
project's Stripe stand-in (run in this process, on its own thread: it shares the interpreter, so the figure
is on the slow side of a real deployment, where Stripe's latency dominates instead).

Timed apart:
- count: every organisation counted onto its invoice row (batches of 500 a transaction: plan, units,
  chargers added last quarter, the quote);
- stripe: each invoice made at Stripe (customer, draft, lines, finalize, send), one after another;
- rerun: the same quarter started again, which adds nothing (one query per batch and nothing to make).

    PYTHONPATH=. .venv/bin/python bench/bench_subscriptions.py                  # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/bench_subscriptions.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/lp_bench_subscriptions

A PostgreSQL database named by --database-url is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from ladeportal.billing.stripe_gateway import gateway
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.orgs.models import Organization, OrgKind, Site
from ladeportal.platform.audit import Actor
from ladeportal.settings import get_settings
from ladeportal.stripe_standin.server import StandinConfig, StandinServer
from ladeportal.subscriptions import runs
from ladeportal.subscriptions.execution import work_on_run
from ladeportal.subscriptions.models import SubscriptionInvoice
from ladeportal.subscriptions.plans import PlanInput, create_plan
from ladeportal.subscriptions.quarters import Quarter

ACTOR = Actor.system("bench")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def _fresh_pg(url: str) -> None:
    import asyncpg

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


async def provision(db: Database, orgs: int) -> int:
    rng = random.Random(15)
    org_rows, site_rows, charger_rows = [], [], []
    for n in range(orgs):
        org_id, site_id = uuid.uuid4(), uuid.uuid4()
        org_rows.append(
            {
                "id": org_id,
                "kind": OrgKind.housing_cooperative,
                "legal_name": f"Borettslag {n:05d}",
                "org_number": f"9{n:08d}",
                "country": "NO",
                "currency": "NOK",
                "vat_rate_bp": 2500,
                "time_zone": "Europe/Oslo",
                "contact_email": f"styret{n}@example.no",
                "created_at": LONG_AGO,
                "updated_at": LONG_AGO,
            }
        )
        site_rows.append(
            {
                "id": site_id,
                "organization_id": org_id,
                "name": "Garasje",
                "time_zone": "Europe/Oslo",
                "price_area": "NO1",
                "grid_phases": 3,
                "created_at": LONG_AGO,
                "updated_at": LONG_AGO,
            }
        )
        for c in range(rng.randint(1, 5)):
            charger_rows.append(
                {
                    "id": uuid.uuid4(),
                    "organization_id": org_id,
                    "site_id": site_id,
                    "ocpp_id": f"CP-{n:05d}-{c}",
                    "commissioning_state": CommissioningState.active,
                    "created_at": LONG_AGO,
                    "updated_at": LONG_AGO,
                }
            )
    async with db.session() as session:
        for table, rows in ((Organization, org_rows), (Site, site_rows), (ChargePoint, charger_rows)):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table), rows[start : start + 2000])
        await session.commit()
        await create_plan(
            session,
            ACTOR,
            PlanInput("Standard", "charger", "NOK", [(10, 9900), (None, 7900)], 50000, "prorate", is_default=True),
        )
    return len(charger_rows)


async def run(url: str, orgs: int) -> None:
    if url.startswith("postgresql"):
        await _fresh_pg(url)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    config = StandinConfig(
        webhook_url=None,
        platform_webhook_secret=f"whsec_{uuid.uuid4().hex}",
        connect_webhook_secret=f"whsec_{uuid.uuid4().hex}",
        verify_delay_seconds=0.0,
        state_file=None,
    )
    try:
        with StandinServer(config) as standin:
            os.environ["LADEPORTAL_STRIPE_API_KEY"] = standin.api_key
            os.environ["LADEPORTAL_STRIPE_API_BASE"] = standin.url
            get_settings.cache_clear()
            chargers = await provision(db, orgs)
            print(f"{db.engine.dialect.name}: {orgs} organisations, {chargers} chargers")
            quarter = Quarter(2027, 1)
            async with db.session() as session:
                began = time.perf_counter()
                run_row = await runs.start_run(session, ACTOR, quarter)
                while await runs.count_next_batch(session, run_row):
                    pass
                counted = time.perf_counter() - began
            print(f"  count   {counted:7.2f} s  ({orgs / counted:,.0f} organisations/s)", flush=True)
            began = time.perf_counter()
            while not await work_on_run(db, gateway(), run_row.id, budget=60):
                async with db.session() as session:
                    so_far = await session.scalar(select(func.count(SubscriptionInvoice.finalized_at)))
                spent = time.perf_counter() - began
                print(
                    f"    ... {so_far} made in {spent:.0f} s ({1000 * spent / max(so_far or 0, 1):.1f} ms each)",
                    flush=True,
                )
            made = time.perf_counter() - began
            print(f"  stripe  {made:7.2f} s  ({orgs / made:,.1f} invoices/s, {1000 * made / orgs:.1f} ms each)")
            began = time.perf_counter()
            async with db.session() as session:
                await runs.start_run(session, ACTOR, quarter)
            assert await work_on_run(db, gateway(), run_row.id)
            rerun = time.perf_counter() - began
            async with db.session() as session:
                rows = await session.scalar(select(func.count()).select_from(SubscriptionInvoice))
                made_rows = await session.scalar(select(func.count(SubscriptionInvoice.finalized_at)))
            invoices = len(standin.events("invoice.finalized"))
            print(f"  rerun   {rerun:7.2f} s  (rows {rows}, made {made_rows}, invoices at Stripe {invoices})")
            assert rows == made_rows == invoices == orgs
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--orgs", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(run(url, args.orgs))


if __name__ == "__main__":
    main()
