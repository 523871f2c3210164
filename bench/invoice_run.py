"""Benchmark: the database part of a monthly invoice run, for 10,000 members with 30 finished sessions each,
beside one SQL aggregate over the same rows (the floor: what reading them once costs).

Steps timed (no Stripe: that is the outbox task's part, billing/invoice_execution.py):
- collect_items: 300,000 finished priced sessions -> billable items (anti-join, batched inserts);
- drafts: every member's invoice draft (member_drafts, as the preview and the approval build them);
- claim: one invoice row + its invoiced items per member, 200 members a transaction (claim_next_invoices);
  with --one-by-one also member by member, one transaction each (next_unclaimed_member,
  claim_member_invoice), printed apart;
- aggregate: SELECT membership_id, SUM(cost_total_minor), SUM(energy_wh) ... GROUP BY membership_id.

    PYTHONPATH=. .venv/bin/python bench/invoice_run.py                       # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/invoice_run.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/lp_bench_invoicing

A PostgreSQL database named by --database-url is dropped and created afresh. Sessions are written with
Core inserts and a stored price breakdown made by the real cost engine (the gateway's pricing hook
would store the same shape), so the run reads what production reads.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import make_url

from ladeportal.billing.invoice_models import Invoice, InvoicedItem, InvoiceRun, RunState
from ladeportal.billing.invoice_preview import member_drafts
from ladeportal.billing.invoice_runs import claim_member_invoice, claim_next_invoices, next_unclaimed_member
from ladeportal.billing.items import collect_items
from ladeportal.chargers.services import add_charge_point
from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.members.groups import default_group
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.orgs.services import OrganizationInput, SiteInput, create_organization, create_site
from ladeportal.platform.audit import Actor
from ladeportal.pricing.engine import price_session
from ladeportal.pricing.models import SessionPricing
from ladeportal.pricing.plans import FixedEnergyPrice, PlanVersion
from ladeportal.pricing.snapshot import breakdown_json
from ladeportal.sessions.models import ChargingSession, SessionState

ACTOR = Actor.system("bench")
MONTH = date(2026, 10, 1)
NOW = datetime(2026, 11, 5, 8, tzinfo=UTC)
PLAN = PlanVersion(energy=FixedEnergyPrice(Decimal("2.50")), vat_rate_bp=2500, prices_include_vat=True)
BATCH = 5000


def org_number() -> str:
    seed = int(time.time() * 1000)
    while True:
        base = f"9{seed % 10**7:07d}"
        remainder = sum(int(d) * w for d, w in zip(base, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        check = 0 if remainder == 0 else 11 - remainder
        if check != 10:
            return base + str(check)
        seed += 1


def snapshot(energy_wh: int, started: datetime, stopped: datetime) -> tuple[dict[str, object], int]:
    breakdown = price_session(
        PLAN,
        meter_readings=[(started, 0), (stopped, energy_wh)],
        connected_at=started,
        disconnected_at=stopped,
        time_zone="Europe/Oslo",
        spot_prices=[],
    )
    return {"format": 1, "status": "priced", "time_zone": "Europe/Oslo", **breakdown_json(breakdown)}, breakdown.total


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


async def provision(db: Database, members: int, sessions_each: int) -> uuid.UUID:
    async with db.session() as session:
        org = await create_organization(
            session, ACTOR, OrganizationInput(legal_name="Bench Borettslag", org_number=org_number())
        )
        site = await create_site(session, ACTOR, org.id, SiteInput(name="Garasjen", price_area="NO1"))
        cp = (await add_charge_point(session, ACTOR, org.id, site.id, "CP-BENCH", connectors=2)).charge_point
        group = await default_group(session, org.id)
        org_id, site_id, cp_id, group_id = org.id, site.id, cp.id, group.id
        await session.commit()
    ids = [uuid.uuid4() for _ in range(members)]
    users = [{"id": uuid.uuid4(), "phone": f"+4790{n:06d}", "language": "nb"} for n in range(members)]
    memberships = [
        {
            "id": ids[n],
            "organization_id": org_id,
            "user_id": users[n]["id"],
            "role": Role.member,
            "state": MembershipState.active,
            "name": f"Beboer {n}",
            "created_at": datetime(2025, 1, 1, tzinfo=UTC),
        }
        for n in range(members)
    ]
    async with db.session() as session:
        for start in range(0, members, BATCH):
            await session.execute(insert(User), users[start : start + BATCH])
            await session.execute(insert(Membership), memberships[start : start + BATCH])
        await session.commit()
    shapes = {}
    for energy in range(5_000, 35_000, 1_000):
        started = datetime(2026, 10, 1, 17, tzinfo=UTC)
        shapes[energy] = snapshot(energy, started, started + timedelta(hours=2))
    rows, prices = [], []
    sid = 0
    async with db.session() as session:
        for n, membership_id in enumerate(ids):
            for k in range(sessions_each):
                sid += 1
                energy = 5_000 + ((n + k) % 30) * 1_000
                started = datetime(2026, 10, 1, 6, tzinfo=UTC) + timedelta(days=k % 30, minutes=n % 600)
                stopped = started + timedelta(hours=2)
                shape, total = shapes[energy]
                rows.append(
                    {
                        "id": sid,
                        "organization_id": org_id,
                        "site_id": site_id,
                        "charge_point_id": cp_id,
                        "connector_number": 1 + sid % 2,
                        "id_tag": f"{sid:08X}",
                        "membership_id": membership_id,
                        "group_id": group_id,
                        "auth_status": "Accepted",
                        "state": SessionState.stopped,
                        "started_at": started,
                        "stopped_at": stopped,
                        "meter_start_wh": sid * 100_000,
                        "meter_stop_wh": sid * 100_000 + energy,
                        "meter_last_wh": sid * 100_000 + energy,
                        "segment_start_wh": sid * 100_000,
                        "energy_carried_wh": 0,
                        "energy_wh": energy,
                        "anomalies": [],
                        "cost_snapshot": shape,
                        "cost_total_minor": total,
                        "currency": "NOK",
                    }
                )
                prices.append(
                    {"session_id": sid, "organization_id": org_id, "started_at": started, "needs_review": False}
                )
                if len(rows) >= BATCH:
                    await session.execute(insert(ChargingSession), rows)
                    await session.execute(insert(SessionPricing), prices)
                    rows, prices = [], []
        if rows:
            await session.execute(insert(ChargingSession), rows)
            await session.execute(insert(SessionPricing), prices)
        await session.commit()
        if not db.is_sqlite:
            await session.execute(
                text("SELECT setval('charging_sessions_id_seq', (SELECT max(id) FROM charging_sessions))")
            )
            await session.commit()
    return org_id


async def run(url: str, members: int, sessions_each: int, one_by_one: bool) -> None:
    if url.startswith("postgresql"):
        await _fresh_pg(url)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        began = time.perf_counter()
        org_id = await provision(db, members, sessions_each)
        if not db.is_sqlite:
            async with db.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()
        print(f"provisioned {members} members x {sessions_each} sessions in {time.perf_counter() - began:.1f} s")
        timings: list[tuple[str, float, str]] = []
        timings_apart: list[tuple[str, float, str]] = []
        async with db.session() as session:
            began = time.perf_counter()
            written = await collect_items(session, org_id, until=NOW, fee_months_from=MONTH)
            timings.append(("collect_items", time.perf_counter() - began, f"{written} items"))
            # No ANALYZE here: in production the run follows the collect before autovacuum has looked at
            # the new items, so the queries must not depend on fresh statistics.

            run_row = InvoiceRun(
                id=uuid.uuid4(),
                organization_id=org_id,
                period_month=MONTH,
                state=RunState.running,
                cutoff_at=datetime.now(UTC),
                currency="NOK",
            )
            session.add(run_row)
            await session.commit()
            began = time.perf_counter()
            drafts = await member_drafts(session, run_row)
            await session.commit()
            total = sum(d.total_minor for d in drafts)
            timings.append(("drafts (all members)", time.perf_counter() - began, f"{len(drafts)} drafts, {total} øre"))

            began = time.perf_counter()
            claimed = 0
            while batch := await claim_next_invoices(session, run_row, limit=200):
                claimed += len(batch)
            timings.append(("claim all (200 a batch)", time.perf_counter() - began, f"{claimed} invoices"))

            if one_by_one:
                # The same claims member by member (one transaction each), on a second run of the month's
                # items: the invoiced items of the first are removed again, as if it had never happened.
                await session.execute(delete(InvoicedItem))
                await session.execute(delete(Invoice))
                await session.commit()
                began = time.perf_counter()
                claimed, after = 0, None
                while (member := await next_unclaimed_member(session, run_row, after=after)) is not None:
                    if await claim_member_invoice(session, run_row, member) is not None:
                        claimed += 1
                    after = member
                timings_apart.append(("claim one by one", time.perf_counter() - began, f"{claimed} invoices"))

            began = time.perf_counter()
            sums = (
                await session.execute(
                    select(
                        ChargingSession.membership_id,
                        func.sum(ChargingSession.cost_total_minor),
                        func.sum(ChargingSession.energy_wh),
                    )
                    .where(ChargingSession.organization_id == org_id)
                    .group_by(ChargingSession.membership_id)
                )
            ).all()
            aggregate = time.perf_counter() - began
            assert sum(int(s[1]) for s in sums) == total, "the drafts do not add up to the sessions"
        database_part = sum(t[1] for t in timings)
        print(f"\n{url.split(':')[0]}: {members} members x {sessions_each} sessions")
        print(f"{'step':<24}{'seconds':>10}  result")
        for name, seconds, result in timings:
            print(f"{name:<24}{seconds:>10.2f}  {result}")
        print(f"{'database part (total)':<24}{database_part:>10.2f}  target < 60 s")
        print(f"{'SQL aggregate (floor)':<24}{aggregate:>10.2f}  {len(sums)} members, GROUP BY membership_id")
        for name, seconds, result in timings_apart:
            print(f"{name:<24}{seconds:>10.2f}  {result} (instead of the batches)")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--one-by-one", action="store_true", help="also claim member by member (slower)")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(run(args.database_url, args.members, args.sessions, args.one_by_one))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.members, args.sessions, args.one_by_one))


if __name__ == "__main__":
    main()
