"""Benchmark (not a test): reports on two years of one large organisation. 200 chargers on 10 sites, about
300,000 finished sessions with meter samples every --sample-minutes, 1,000 members in 4 groups (five
residents per charger do most of its sessions) and spot
prices for every hour. Times the rebuild of the aggregates, then p95 of each report read from the
aggregates beside the same report computed from the raw tables (sessions and their meter samples,
split the same way), and the XLSX export of a year; checks the two give the same totals.

    PYTHONPATH=. .venv/bin/python bench/reports.py                 # SQLite in a temp dir
    PYTHONPATH=. .venv/bin/python bench/reports.py sqlite postgresql+asyncpg://postgres@127.0.0.1:5432/lp_bench
    PYTHONPATH=. .venv/bin/python bench/reports.py --sessions 30000 sqlite   # a quicker run

A PostgreSQL database named in the arguments is dropped and created afresh.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

os.environ.setdefault("LADEPORTAL_RUN_WORKER_IN_PROCESS", "false")

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from tests.factories import make_charger, make_org, make_site

from ladeportal.db.engine import Database
from ladeportal.db.migrate import upgrade
from ladeportal.members.groups import create_group
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.orgs.models import Site
from ladeportal.platform.audit import Actor
from ladeportal.pricing.models import SpotPriceInterval
from ladeportal.reports.aggregates import rebuild
from ladeportal.reports.export import export_report
from ladeportal.reports.periods import Period, PeriodKind, ReportFilter, period_of
from ladeportal.reports.report import build_report
from ladeportal.reports.split import Sample, split_session
from ladeportal.sessions.models import ChargingSession, MeterReading, SessionState

CHARGERS = 200
SITES = 10
MEMBERS = 1000
DAYS = 730
FIRST_DAY = date(2024, 12, 1)
RUNS = 20
WARMUP = 2
RAW_RUNS = 3
CHUNK = 5000


async def _seed(db: Database, sessions_wanted: int, sample_minutes: int) -> tuple[uuid.UUID, list[uuid.UUID], int]:
    rng = random.Random(11)
    async with db.session() as session:
        org = await make_org(session, legal_name="Bench Borettslag")
        org_id = org.id
        sites = [await make_site(session, org, name=f"Garasje {n:02d}") for n in range(SITES)]
        site_ids = [s.id for s in sites]
        chargers = [
            ((await make_charger(session, sites[n % SITES], f"REP-{n:04d}")).charge_point.id, site_ids[n % SITES])
            for n in range(CHARGERS)
        ]
        groups = [(await create_group(session, Actor(label="bench"), org_id, f"Gruppe {g}")).id for g in range(4)]
        now = datetime.now(UTC)
        users = [
            {"id": uuid.uuid4(), "phone": f"+479{n:07d}", "language": "nb", "created_at": now, "updated_at": now}
            for n in range(MEMBERS)
        ]
        await session.execute(insert(User), users)
        members = [(uuid.uuid4(), groups[i % 4]) for i in range(MEMBERS)]
        await session.execute(
            insert(Membership),
            [
                {
                    "id": m_id,
                    "organization_id": org_id,
                    "user_id": u["id"],
                    "role": Role.member,
                    "state": MembershipState.active,
                    "group_id": g_id,
                    "name": f"Person {i}",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, ((m_id, g_id), u) in enumerate(zip(members, users, strict=True))
            ],
        )
        # Hourly spot prices for NO1 over the whole span.
        start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC) - timedelta(days=1)
        prices = [
            {
                "area": "NO1",
                "currency": "NOK",
                "starts_at": start + timedelta(hours=h),
                "ends_at": start + timedelta(hours=h + 1),
                "price_nano_per_kwh": rng.randint(200_000_000, 2_000_000_000),
                "fetched_at": now,
            }
            for h in range((DAYS + 2) * 24)
        ]
        for i in range(0, len(prices), CHUNK):
            await session.execute(insert(SpotPriceInterval), prices[i : i + CHUNK])
        await session.commit()
        area = (await session.execute(select(Site.price_area).where(Site.id == site_ids[0]))).scalar_one()
        assert area == "NO1", area

    per_charger_day = sessions_wanted / (CHARGERS * DAYS)
    session_rows: list[dict[str, Any]] = []
    reading_rows: list[dict[str, Any]] = []
    next_id, samples = 1, 0
    begin = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)

    async def flush(force: bool = False) -> None:
        nonlocal session_rows, reading_rows
        if not force and len(session_rows) < CHUNK:
            return
        async with db.session() as s:
            if session_rows:
                await s.execute(insert(ChargingSession), session_rows)
            for i in range(0, len(reading_rows), CHUNK * 4):
                await s.execute(insert(MeterReading), reading_rows[i : i + CHUNK * 4])
            await s.commit()
        session_rows, reading_rows = [], []

    for day in range(DAYS):
        for n, (cp_id, site_id) in enumerate(chargers):
            count = int(per_charger_day) + (1 if rng.random() < per_charger_day % 1 else 0)
            for k in range(count):
                started = begin + timedelta(days=day, hours=rng.choice((6, 15, 16, 17, 18, 19, 20, 21)) + 3 * k)
                started += timedelta(minutes=rng.randint(0, 59))
                minutes = rng.randint(30, 14 * 60)
                stopped = started + timedelta(minutes=minutes)
                kw = rng.choice((3.6, 7.4, 11.0))
                full_after = rng.randint(20, max(21, minutes))
                energy = int(kw * 1000 * min(minutes, full_after) / 60)
                # Five residents per charger (their parking spot) do nine in ten of its sessions.
                home = rng.randrange(5) * CHARGERS + n if rng.random() < 0.9 else rng.randrange(MEMBERS)
                member_id, group_id = members[home % MEMBERS]
                net = energy * 2 // 10 + 500
                vat = net // 4
                start_wh = 1_000_000 + day * 1000
                session_rows.append(
                    {
                        "id": next_id,
                        "organization_id": org_id,
                        "site_id": site_id,
                        "charge_point_id": cp_id,
                        "connector_number": 1 + k % 2,
                        "id_tag": f"T{next_id:08d}",
                        "membership_id": member_id,
                        "group_id": group_id,
                        "auth_status": "Accepted",
                        "state": SessionState.stopped,
                        "started_at": started,
                        "stopped_at": stopped,
                        "meter_start_wh": start_wh,
                        "meter_stop_wh": start_wh + energy,
                        "meter_last_wh": start_wh + energy,
                        "segment_start_wh": start_wh,
                        "energy_carried_wh": 0,
                        "energy_wh": energy,
                        "anomalies": [],
                        "cost_snapshot": {"net": net, "vat": vat, "total": net + vat, "currency": "NOK"},
                        "cost_total_minor": net + vat,
                        "currency": "NOK",
                        "created_at": stopped,
                        "updated_at": stopped,
                    }
                )
                for m in range(sample_minutes, minutes, sample_minutes):
                    reading_rows.append(
                        {
                            "charge_point_id": cp_id,
                            "connector_number": 1 + k % 2,
                            "session_id": next_id,
                            "taken_at": started + timedelta(minutes=m),
                            "energy_wh": start_wh + int(energy * min(1.0, m / full_after)),
                            "samples": [],
                        }
                    )
                    samples += 1
                next_id += 1
            await flush()
    await flush(force=True)
    return org_id, [s for s in site_ids], samples


async def _raw_report(db: Database, org_id: uuid.UUID, period: Period, site_id: uuid.UUID | None) -> dict[str, int]:
    """The report's totals and rollups straight from sessions and samples, split the same way."""
    cs = ChargingSession
    start, end = period.bounds("Europe/Oslo")
    async with db.session() as s:
        query = select(cs).where(
            cs.organization_id == org_id,
            cs.state == SessionState.stopped,
            cs.started_at < end,
            cs.started_at >= start - timedelta(days=2),
        )
        if site_id is not None:
            query = query.where(cs.site_id == site_id)
        rows = (await s.scalars(query)).all()
        readings: dict[int, list[Sample]] = defaultdict(list)
        ids = [r.id for r in rows]
        for i in range(0, len(ids), 20_000):
            for sid, taken, wh in await s.execute(
                select(MeterReading.session_id, MeterReading.taken_at, MeterReading.energy_wh).where(
                    MeterReading.session_id.in_(ids[i : i + 20_000])
                )
            ):
                readings[sid].append(Sample(taken, wh))
    totals: dict[str, int] = defaultdict(int)
    by: dict[Any, int] = defaultdict(int)
    for r in rows:
        snap = r.cost_snapshot or {}
        for share in split_session(
            started_at=r.started_at,
            stopped_at=r.stopped_at,
            energy_wh=r.energy_wh or 0,
            meter_start_wh=r.meter_start_wh,
            meter_stop_wh=r.meter_stop_wh,
            samples=readings.get(r.id, ()),
            time_zone="Europe/Oslo",
            net_minor=snap.get("net", 0),
            vat_minor=snap.get("vat", 0),
        ):
            if period.start <= share.day <= period.end:
                totals["energy_wh"] += share.energy_wh
                totals["gross_minor"] += share.gross_minor
                totals["sessions"] += int(share.started_here)
                by[(r.site_id, r.charge_point_id, r.group_id, r.membership_id)] += share.energy_wh
    return dict(totals)


def _p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[18] if len(timings) >= 2 else timings[0]


async def measure(url: str, sessions_wanted: int, sample_minutes: int) -> list[str]:
    db = Database(url)
    name = db.engine.dialect.name
    lines: list[str] = []

    def say(text: str) -> None:
        lines.append(f"{name:10} {text}")
        print(lines[-1], flush=True)

    t0 = time.perf_counter()
    org_id, site_ids, samples = await _seed(db, sessions_wanted, sample_minutes)
    async with db.session() as s:
        count = await s.scalar(select(func.count()).select_from(ChargingSession))
    say(f"seeded {count:,} sessions, {samples:,} meter samples in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    async with db.session() as s:
        done = await rebuild(s, org_id)
    say(f"rebuild of the aggregates: {done:,} sessions in {time.perf_counter() - t0:.0f} s")

    last = FIRST_DAY + timedelta(days=DAYS - 1)
    cases: list[tuple[str, Period, ReportFilter]] = [
        ("day", period_of(PeriodKind.day, last - timedelta(days=40)), ReportFilter()),
        ("month", period_of(PeriodKind.month, last - timedelta(days=40)), ReportFilter()),
        ("month, site", period_of(PeriodKind.month, last - timedelta(days=40)), ReportFilter(site_id=site_ids[3])),
        ("quarter", period_of(PeriodKind.quarter, last - timedelta(days=100)), ReportFilter()),
        ("year", period_of(PeriodKind.year, date(2025, 6, 1)), ReportFilter()),
        ("year, site", period_of(PeriodKind.year, date(2025, 6, 1)), ReportFilter(site_id=site_ids[3])),
    ]
    for label, period, flt in cases:
        timings = []
        report = None
        for n in range(WARMUP + RUNS):
            start = time.perf_counter()
            async with db.session() as s:
                report = await build_report(s, org_id, period, flt)
            if n >= WARMUP:
                timings.append((time.perf_counter() - start) * 1000)
        assert report is not None
        raw_timings = []
        raw: dict[str, int] = {}
        for _ in range(RAW_RUNS if period.days <= 100 else 1):  # a raw year takes minutes
            start = time.perf_counter()
            raw = await _raw_report(db, org_id, period, flt.site_id)
            raw_timings.append((time.perf_counter() - start) * 1000)
        same = raw.get("energy_wh", 0) == report.totals.energy_wh and raw.get("sessions", 0) == report.totals.sessions
        say(
            f"{label:12} aggregates p95 {_p95(timings):8.1f} ms (median {statistics.median(timings):7.1f})   "
            f"raw tables median {statistics.median(raw_timings):9.1f} ms   "
            f"{report.totals.sessions:,} sessions {report.totals.energy_wh / 1000:,.0f} kWh "
            f"{'same totals' if same else f'DIFFERENT: raw {raw}'}"
        )
    year = period_of(PeriodKind.year, date(2025, 6, 1))
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        async with db.session() as s:
            report = await build_report(s, org_id, year)
        content = await export_report(report, "xlsx", "nb")
        timings.append((time.perf_counter() - start) * 1000)
    say(f"export of a year (XLSX, {len(content) // 1024} KiB): median {statistics.median(timings):.0f} ms")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", default=["sqlite"])
    parser.add_argument("--sessions", type=int, default=300_000)
    parser.add_argument("--sample-minutes", type=int, default=30, help="one meter sample every so many minutes")
    args = parser.parse_args()
    for target in args.targets:
        if target == "sqlite":
            target = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
        elif target.startswith("postgresql"):
            asyncio.run(_recreate_pg(target))
        upgrade(target)  # Alembic runs its own event loop, so before ours
        asyncio.run(measure(target, args.sessions, args.sample_minutes))


if __name__ == "__main__":
    main()
