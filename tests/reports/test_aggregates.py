"""The report tables equal the raw sessions: after the job, after late replays and corrections, and after a
rebuild; running sessions are not counted; a day is split by the site's time zone and the samples."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.reports.aggregates import rebuild, refresh
from ladeportal.reports.models import (
    Dimension,
    ReportDaily,
    ReportMonthly,
    ReportMonthlyBy,
    ReportMonthlyHour,
    ReportSiteHour,
)
from ladeportal.sessions.models import ChargingSession, SessionState
from tests.factories import make_member, make_org, make_site
from tests.portal.ocpp_rows import charger
from tests.reports.world import add_session, cost


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def daily(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[Any, ...]]:
    d = ReportDaily
    rows = await session.execute(
        select(
            d.site_id,
            d.day,
            d.charge_point_id,
            d.connector_number,
            d.group_id,
            d.membership_id,
            d.currency,
            d.sessions,
            d.energy_wh,
            d.plugged_seconds,
            d.charging_seconds,
            d.gross_minor,
            d.net_minor,
            d.vat_minor,
        ).where(d.organization_id == org_id)
    )
    return sorted((tuple(r) for r in rows), key=repr)


async def hourly(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[Any, ...]]:
    h = ReportSiteHour
    rows = await session.execute(
        select(h.site_id, h.hour_start, h.day, h.energy_wh, h.plugged_seconds).where(h.organization_id == org_id)
    )
    return sorted(tuple(r) for r in rows)


async def monthly(session: AsyncSession, org_id: uuid.UUID) -> dict[date, tuple[int, int, int]]:
    m = ReportMonthly
    rows = await session.execute(
        select(m.month, func.sum(m.sessions), func.sum(m.energy_wh), func.sum(m.gross_minor))
        .where(m.organization_id == org_id)
        .group_by(m.month)
    )
    return {month: (int(a), int(b), int(c)) for month, a, b, c in rows}


async def monthly_from_daily(session: AsyncSession, org_id: uuid.UUID) -> dict[date, tuple[int, int, int]]:
    out: dict[date, tuple[int, int, int]] = {}
    for row in await daily(session, org_id):
        month = row[1].replace(day=1)
        a, b, c = out.get(month, (0, 0, 0))
        out[month] = (a + row[7], b + row[8], c + row[11])
    return out


async def monthly_by(session: AsyncSession, org_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[int, ...]]:
    b = ReportMonthlyBy
    rows = await session.execute(
        select(b.dimension, b.dimension_id, b.site_id, b.month, b.sessions, b.energy_wh, b.gross_minor).where(
            b.organization_id == org_id
        )
    )
    return {(d, k, s, m): (int(a), int(e), int(g)) for d, k, s, m, a, e, g in rows}


async def monthly_by_from_daily(session: AsyncSession, org_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The per-dimension monthly sums computed from the daily rows by hand."""
    d = ReportDaily
    columns = {
        Dimension.site: d.site_id,
        Dimension.charger: d.charge_point_id,
        Dimension.group: d.group_id,
        Dimension.member: d.membership_id,
        Dimension.plan: d.plan_id,
    }
    out: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for dimension, column in columns.items():
        for key, site_id, day, sessions, energy, gross in await session.execute(
            select(column, d.site_id, d.day, d.sessions, d.energy_wh, d.gross_minor).where(d.organization_id == org_id)
        ):
            slot = (dimension.value, key, site_id, day.replace(day=1))
            a, e, g = out.get(slot, (0, 0, 0))
            out[slot] = (a + sessions, e + energy, g + gross)
    return out


async def monthly_hours(session: AsyncSession, org_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[int, ...]]:
    m = ReportMonthlyHour
    rows = await session.execute(
        select(m.site_id, m.month, m.weekday, m.local_hour, m.energy_wh, m.plugged_seconds).where(
            m.organization_id == org_id, m.energy_wh + m.plugged_seconds > 0
        )
    )
    return {(s, mo, w, h): (int(e), int(p)) for s, mo, w, h, e, p in rows}


async def monthly_hours_from_hours(session: AsyncSession, org_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[int, ...]]:
    h = ReportSiteHour
    out: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for site_id, day, weekday, hour, energy, plugged in await session.execute(
        select(h.site_id, h.day, h.weekday, h.local_hour, h.energy_wh, h.plugged_seconds).where(
            h.organization_id == org_id
        )
    ):
        slot = (site_id, day.replace(day=1), weekday, hour)
        e, p = out.get(slot, (0, 0))
        out[slot] = (e + energy, p + plugged)
    return {k: v for k, v in out.items() if sum(v) > 0}


async def raw_totals(session: AsyncSession, org_id: uuid.UUID) -> tuple[int, int, int]:
    cs = ChargingSession
    count, energy, money = (
        await session.execute(
            select(
                func.count(), func.coalesce(func.sum(cs.energy_wh), 0), func.coalesce(func.sum(cs.cost_total_minor), 0)
            ).where(cs.organization_id == org_id, cs.state == SessionState.stopped)
        )
    ).one()
    return count, energy, money


async def report_totals(session: AsyncSession, org_id: uuid.UUID) -> tuple[int, int, int]:
    d = ReportDaily
    count, energy, money = (
        await session.execute(
            select(
                func.coalesce(func.sum(d.sessions), 0),
                func.coalesce(func.sum(d.energy_wh), 0),
                func.coalesce(func.sum(d.gross_minor), 0),
            ).where(d.organization_id == org_id)
        )
    ).one()
    return count, energy, money


async def test_midnight_session_split_by_samples_in_the_sites_time_zone(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org, time_zone="Europe/Oslo")
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
    # 22:00 local 14 Jan to 02:00 local 15 Jan; 9 of 10 kWh before 23:00 local.
    await add_session(
        session,
        site,
        cp,
        at(2026, 1, 14, 21),
        at(2026, 1, 15, 1),
        10_000,
        samples=[(at(2026, 1, 14, 22), 9_000), (at(2026, 1, 14, 23), 9_000)],
        net=800,
        vat=200,
    )
    running = await add_session(session, site, cp, at(2026, 1, 15, 10), None, 4_000, connector=2)
    assert await refresh(session) == 1
    rows = {r[1]: r for r in await daily(session, org.id)}
    assert sorted(rows) == [date(2026, 1, 14), date(2026, 1, 15)]
    assert (rows[date(2026, 1, 14)][7], rows[date(2026, 1, 14)][8], rows[date(2026, 1, 14)][11]) == (1, 9_000, 900)
    assert (rows[date(2026, 1, 15)][7], rows[date(2026, 1, 15)][8], rows[date(2026, 1, 15)][11]) == (0, 1_000, 100)
    hours = await hourly(session, org.id)
    assert [h[1] for h in hours] == [at(2026, 1, 14, 21), at(2026, 1, 14, 22), at(2026, 1, 14, 23), at(2026, 1, 15, 0)]
    assert [h[2] for h in hours] == [date(2026, 1, 14)] * 2 + [date(2026, 1, 15)] * 2  # 23:00 UTC is midnight

    # The running session finishes: the next run counts it; a run with nothing new changes nothing.
    assert await refresh(session) == 0
    row = await session.get(ChargingSession, running.id)
    assert row is not None
    row.state, row.stopped_at, row.energy_wh, row.meter_stop_wh = (
        SessionState.stopped,
        at(2026, 1, 15, 11),
        4_000,
        104_000,
    )
    await session.commit()
    assert await refresh(session) == 1
    assert await report_totals(session, org.id) == (2, 14_000, 1_000)


async def test_late_replay_and_correction_move_the_right_days(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org, time_zone="Europe/Oslo")
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
    first = await add_session(session, site, cp, at(2026, 3, 31, 20), at(2026, 3, 31, 21), 5_000, net=400, vat=100)
    await refresh(session)
    # A charger replays a session from January weeks later: it lands on its own day.
    await add_session(session, site, cp, at(2026, 1, 31, 22, 30), at(2026, 1, 31, 23, 30), 2_000, connector=2)
    assert await refresh(session) == 1
    days = {r[1]: r[8] for r in await daily(session, org.id)}
    # 31 Mar 20:00 UTC is 22:00 in Oslo (summer time); the replay ran 23:30-00:30 Oslo time (winter).
    assert days == {date(2026, 3, 31): 5_000, date(2026, 1, 31): 1_000, date(2026, 2, 1): 1_000}
    # A correction moves the first session's end past midnight (the month end) and re-prices it.
    row = await session.get(ChargingSession, first.id)
    assert row is not None
    row.stopped_at, row.cost_snapshot, row.cost_total_minor = at(2026, 3, 31, 23), cost(800, 200), 1_000
    await session.commit()
    assert await refresh(session) == 1
    days = {r[1]: (r[8], r[11]) for r in await daily(session, org.id)}
    assert days[date(2026, 3, 31)] == (3_333, 666)  # net 533 + VAT 133
    assert days[date(2026, 4, 1)] == (1_667, 334)  # net 267 + VAT 67
    assert await report_totals(session, org.id) == await raw_totals(session, org.id) == (2, 7_000, 1_000)
    # Another correction moves it to another month altogether: the days it left are emptied.
    row.started_at, row.stopped_at = at(2026, 5, 2, 10), at(2026, 5, 2, 11)
    await session.commit()
    assert await refresh(session) == 1
    days = {r[1]: r[8] for r in await daily(session, org.id)}
    assert days == {date(2026, 5, 2): 5_000, date(2026, 1, 31): 1_000, date(2026, 2, 1): 1_000}


async def test_rebuild_of_one_organisation_leaves_the_other_alone(session: AsyncSession) -> None:
    orgs = [await make_org(session), await make_org(session)]
    for org in orgs:
        site = await make_site(session, org)
        cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
        await add_session(session, site, cp, at(2026, 5, 1, 8), at(2026, 5, 1, 9), 1_234, net=100)
    await refresh(session)
    before = [await daily(session, o.id) for o in orgs]
    await session.execute(ReportDaily.__table__.delete().where(ReportDaily.organization_id == orgs[0].id))
    await session.commit()
    assert await daily(session, orgs[0].id) == []
    assert await rebuild(session, orgs[0].id) == 1
    assert [await daily(session, o.id) for o in orgs] == before


SESSION = st.fixed_dictionaries(
    {
        "start_minutes": st.integers(0, 60 * 24 * 40),
        "minutes": st.integers(0, 60 * 30),
        "energy": st.integers(0, 60_000),
        "samples": st.lists(st.tuples(st.floats(0, 1), st.integers(0, 60_000)), max_size=6),
        "net": st.none() | st.integers(0, 50_000),
        "vat": st.integers(0, 10_000),
        "site": st.integers(0, 1),
        "member": st.integers(0, 2),
        "plan": st.integers(0, 2),
    }
)
STEP = st.one_of(
    st.tuples(st.just("add"), SESSION),
    st.tuples(st.just("running"), SESSION),
    st.tuples(st.just("finish"), st.integers(0, 50)),
    st.tuples(st.just("correct"), st.tuples(st.integers(0, 50), SESSION)),
    st.tuples(st.just("refresh"), st.none()),
    st.tuples(st.just("refresh"), st.none()),
)
BASE = datetime(2026, 3, 10, tzinfo=UTC)  # the window holds the spring DST change and a month end


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(steps=st.lists(STEP, min_size=3, max_size=16))
async def test_aggregates_equal_the_raw_sums(db: Database, steps: list[tuple[str, Any]]) -> None:
    async with db.session() as session:
        org = await make_org(session)
        sites = [
            await make_site(session, org, time_zone="Europe/Oslo"),
            await make_site(session, org, time_zone="Europe/Stockholm"),
        ]
        cps = [await charger(session, s, f"R-{uuid.uuid4().hex[:8]}", seen=None) for s in sites]
        members = [None, (await make_member(session, org)).id, (await make_member(session, org)).id]
        plans = [None, uuid.uuid4(), uuid.uuid4()]
        made: list[int] = []

        def span(s: dict[str, Any]) -> tuple[datetime, datetime]:
            start = BASE + timedelta(minutes=s["start_minutes"])
            return start, start + timedelta(minutes=s["minutes"])

        for kind, arg in steps:
            if kind in ("add", "running"):
                start, stop = span(arg)
                samples = [(start + (stop - start) * f, wh) for f, wh in arg["samples"]]
                row = await add_session(
                    session,
                    sites[arg["site"]],
                    cps[arg["site"]],
                    start,
                    stop if kind == "add" else None,
                    arg["energy"],
                    samples=samples,
                    net=arg["net"],
                    vat=arg["vat"],
                    plan_id=plans[arg["plan"]],
                    connector=len(made) + 1,
                )
                made.append(row.id)
            elif kind == "finish" and made:
                row = await session.get(ChargingSession, made[arg % len(made)])
                assert row is not None
                if row.state == SessionState.active:
                    row.state, row.stopped_at = SessionState.stopped, row.started_at + timedelta(hours=5)
                    row.energy_wh, row.meter_stop_wh = row.meter_last_wh - row.meter_start_wh, row.meter_last_wh
                    await session.commit()
            elif kind == "correct" and made:
                row = await session.get(ChargingSession, made[arg[0] % len(made)])
                assert row is not None
                if row.state == SessionState.stopped:
                    start, stop = span(arg[1])
                    row.started_at, row.stopped_at, row.energy_wh = start, stop, arg[1]["energy"]
                    row.membership_id = members[arg[1]["member"]]
                    if arg[1]["net"] is not None:
                        row.cost_snapshot = cost(arg[1]["net"], arg[1]["vat"], plans[arg[1]["plan"]])
                        row.cost_total_minor = arg[1]["net"] + arg[1]["vat"]
                    await session.commit()
            elif kind == "refresh":
                await refresh(session)
        await refresh(session)
        assert await report_totals(session, org.id) == await raw_totals(session, org.id)
        incremental = (await daily(session, org.id), await hourly(session, org.id))
        rollups = (await monthly_by(session, org.id), await monthly_hours(session, org.id))
        assert rollups == (
            await monthly_by_from_daily(session, org.id),
            await monthly_hours_from_hours(session, org.id),
        )
        await rebuild(session, org.id)
        assert (await daily(session, org.id), await hourly(session, org.id)) == incremental
        assert (await monthly_by(session, org.id), await monthly_hours(session, org.id)) == rollups
        assert await monthly_from_daily(session, org.id) == await monthly(session, org.id)
        hour_energy = sum(h[3] for h in incremental[1])
        assert hour_energy == (await raw_totals(session, org.id))[1]


async def test_the_worker_runs_the_job_every_minute(db: Database) -> None:
    import ladeportal.jobs.registry  # noqa: F401  (what the worker imports)
    from ladeportal.jobs.periodic import registered_jobs, run_due_jobs

    job = next(j for j in registered_jobs() if j.name == "reports.refresh_aggregates")
    assert job.every == timedelta(minutes=1)
    async with db.session() as session:
        org = await make_org(session)
        site = await make_site(session, org)
        cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
        await add_session(session, site, cp, at(2026, 6, 1, 8), at(2026, 6, 1, 9), 3_000)
    assert await run_due_jobs(db, [job]) == ["reports.refresh_aggregates"]
    async with db.session() as session:
        assert await report_totals(session, org.id) == (1, 3_000, 0)
