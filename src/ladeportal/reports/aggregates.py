"""Keeping the report tables equal to the sessions: split changed sessions into the ledger, re-sum the days
they touched. Used by the periodic job (sessions changed since the watermark) and by the rebuild command
(every finished session of an organisation); both go through `apply_sessions`.

Each batch is one transaction that first locks the watermark row, so the job and a rebuild never
re-sum the same day at the same time (on SQLite the database's single writer does the same).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing.models import SpotPriceInterval
from ladeportal.reports.models import (
    Dimension,
    ReportDaily,
    ReportMonthly,
    ReportMonthlyBy,
    ReportMonthlyHour,
    ReportSessionDay,
    ReportSiteHour,
    ReportWatermark,
)
from ladeportal.reports.split import HOUR, Sample, split_session
from ladeportal.sessions.models import ChargingSession, MeterReading, SessionState

JOB = "reports.job"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
BATCH = 500
# One run of the every-minute job works at most this long; the next run goes on from the watermark.
RUN_SECONDS = 40.0
# A session written just before the watermark may commit just after the job read past it; the job
# re-reads this much before its watermark and skips sessions whose split is already current.
LAG = timedelta(minutes=10)
# How far back the job looks for hours summed before their spot price was stored.
PRICE_CATCH_UP = timedelta(days=35)

Bucket = tuple[uuid.UUID, date]


async def _lock(session: AsyncSession) -> ReportWatermark:
    row = await session.scalar(select(ReportWatermark).where(ReportWatermark.name == JOB).with_for_update())
    if row is None:
        row = ReportWatermark(name=JOB, seen_until=EPOCH)
        session.add(row)
        await session.flush()
    return row


def _plan_id(snapshot: dict[str, Any] | None) -> uuid.UUID | None:
    plan = (snapshot or {}).get("plan")
    try:
        return uuid.UUID(plan["id"]) if isinstance(plan, dict) and plan.get("id") else None
    except ValueError:
        return None


def _revenue(snapshot: dict[str, Any] | None, total: int | None) -> tuple[int, int]:
    """(net, VAT) of a priced session; an unpriced one earned nothing (yet)."""
    if snapshot and isinstance(snapshot.get("net"), int) and isinstance(snapshot.get("vat"), int):
        return snapshot["net"], snapshot["vat"]
    return (total or 0), 0


async def _ledger_rows(session: AsyncSession, ids: Sequence[int]) -> list[dict[str, Any]]:
    cs = ChargingSession
    found = (
        await session.execute(
            select(cs, Site.time_zone, Organization.currency)
            .join(Site, Site.id == cs.site_id)
            .join(Organization, Organization.id == cs.organization_id)
            .where(cs.id.in_(ids), cs.state == SessionState.stopped)
        )
    ).all()
    samples: dict[int, list[Sample]] = defaultdict(list)
    if found:
        readings = await session.execute(
            select(MeterReading.session_id, MeterReading.taken_at, MeterReading.energy_wh).where(
                MeterReading.session_id.in_([r[0].id for r in found]), MeterReading.energy_wh.is_not(None)
            )
        )
        for sid, taken_at, wh in readings:
            if sid is not None and wh is not None:
                samples[sid].append(Sample(taken_at, wh))
    rows: list[dict[str, Any]] = []
    for row, zone, org_currency in found:
        net, vat = _revenue(row.cost_snapshot, row.cost_total_minor)
        plan_id = _plan_id(row.cost_snapshot)
        shares = split_session(
            started_at=row.started_at,
            stopped_at=row.stopped_at,
            energy_wh=max(0, row.energy_wh or 0),
            meter_start_wh=row.meter_start_wh,
            meter_stop_wh=row.meter_stop_wh,
            samples=samples.get(row.id, ()),
            time_zone=zone,
            net_minor=net,
            vat_minor=vat,
        )
        for share in shares:
            rows.append(
                {
                    "session_id": row.id,
                    "day": share.day,
                    "organization_id": row.organization_id,
                    "site_id": row.site_id,
                    "charge_point_id": row.charge_point_id,
                    "connector_number": row.connector_number,
                    "group_id": row.group_id,
                    "membership_id": row.membership_id,
                    "plan_id": plan_id,
                    "currency": row.currency or org_currency,
                    "started_here": share.started_here,
                    "energy_wh": share.energy_wh,
                    "plugged_seconds": share.plugged_seconds,
                    "charging_seconds": share.charging_seconds,
                    "gross_minor": share.gross_minor,
                    "net_minor": share.net_minor,
                    "vat_minor": share.vat_minor,
                    "hours": [[int(h.timestamp()), e, s] for h, e, s in share.hours],
                    "source_updated_at": row.updated_at,
                }
            )
    return rows


async def apply_sessions(session: AsyncSession, ids: Sequence[int]) -> set[Bucket]:
    """Re-split these sessions and re-sum every (site, day) they touch now or touched before. No commit."""
    if not ids:
        return set()
    old = (
        await session.execute(
            select(ReportSessionDay.site_id, ReportSessionDay.day).where(ReportSessionDay.session_id.in_(ids))
        )
    ).all()
    rows = await _ledger_rows(session, ids)
    await session.execute(delete(ReportSessionDay).where(ReportSessionDay.session_id.in_(ids)))
    if rows:
        await session.execute(insert(ReportSessionDay), rows)
    buckets = {(s, d) for s, d in old} | {(r["site_id"], r["day"]) for r in rows}
    await resum(session, buckets)
    return buckets


async def resum(session: AsyncSession, buckets: Iterable[Bucket]) -> None:
    """Replace the daily and hourly sums of these (site, day) buckets by the sums of the ledger."""
    by_site: dict[uuid.UUID, list[date]] = defaultdict(list)
    for site_id, day in buckets:
        by_site[site_id].append(day)
    for site_id, days in by_site.items():
        for start in range(0, len(days), 200):
            await _resum_site(session, site_id, sorted(days[start : start + 200]))


async def _resum_site(session: AsyncSession, site_id: uuid.UUID, days: list[date]) -> None:
    led = ReportSessionDay
    await session.execute(delete(ReportDaily).where(ReportDaily.site_id == site_id, ReportDaily.day.in_(days)))
    dims = (
        led.organization_id,
        led.site_id,
        led.day,
        led.charge_point_id,
        led.connector_number,
        led.group_id,
        led.membership_id,
        led.plan_id,
        led.currency,
    )
    sums = select(
        *dims,
        func.sum(case((led.started_here.is_(True), 1), else_=0)),
        *(
            func.sum(c)
            for c in (
                led.energy_wh,
                led.plugged_seconds,
                led.charging_seconds,
                led.gross_minor,
                led.net_minor,
                led.vat_minor,
            )
        ),
    ).where(led.site_id == site_id, led.day.in_(days))
    await session.execute(
        insert(ReportDaily).from_select(
            [
                "organization_id",
                "site_id",
                "day",
                "charge_point_id",
                "connector_number",
                "group_id",
                "membership_id",
                "plan_id",
                "currency",
                "sessions",
                "energy_wh",
                "plugged_seconds",
                "charging_seconds",
                "gross_minor",
                "net_minor",
                "vat_minor",
            ],
            sums.group_by(*dims),
        )
    )
    months = sorted({d.replace(day=1) for d in days})
    await _resum_months(session, site_id, months)
    await session.execute(delete(ReportSiteHour).where(ReportSiteHour.site_id == site_id, ReportSiteHour.day.in_(days)))
    hours: dict[int, list[Any]] = {}
    for day, entries in await session.execute(
        select(led.day, led.hours).where(led.site_id == site_id, led.day.in_(days))
    ):
        for epoch, energy, seconds in entries:
            slot = hours.setdefault(epoch, [day, 0, 0])
            slot[1] += energy
            slot[2] += seconds
    if not hours:
        await _resum_month_hours(session, site_id, months)
        return
    site = (
        await session.execute(
            select(Site.organization_id, Site.time_zone, Site.price_area, Organization.currency)
            .join(Organization, Organization.id == Site.organization_id)
            .where(Site.id == site_id)
        )
    ).one()
    zone = ZoneInfo(site.time_zone)
    first, last = min(hours), max(hours)
    prices = await hourly_prices(
        session,
        site.price_area,
        site.currency,
        datetime.fromtimestamp(first, UTC),
        datetime.fromtimestamp(last, UTC) + HOUR,
    )
    rows = []
    for epoch, (day, energy, seconds) in sorted(hours.items()):
        start = datetime.fromtimestamp(epoch, UTC)
        local = start.astimezone(zone)
        price = prices.get(start)
        rows.append(
            {
                "site_id": site_id,
                "organization_id": site.organization_id,
                "hour_start": start,
                "day": day,
                "local_hour": local.hour,
                "weekday": local.weekday(),
                "energy_wh": energy,
                "plugged_seconds": seconds,
                # Wh x nano-currency per kWh = 1e-12 currency = 1e-10 minor units; kept in 1e-6 minor units.
                "bought_micro": None if price is None else energy * price // 10_000,
            }
        )
    await session.execute(insert(ReportSiteHour), rows)
    await _resum_month_hours(session, site_id, months)


_SUMMED = (
    "charge_point_id",
    "connector_number",
    "group_id",
    "membership_id",
    "plan_id",
    "currency",
)
_AMOUNTS = (
    "sessions",
    "energy_wh",
    "plugged_seconds",
    "charging_seconds",
    "gross_minor",
    "net_minor",
    "vat_minor",
)


async def _resum_months(session: AsyncSession, site_id: uuid.UUID, months: list[date]) -> None:
    """Replace the monthly sums of these months of a site by the sums of its daily rows."""
    d = ReportDaily
    await session.execute(
        delete(ReportMonthly).where(ReportMonthly.site_id == site_id, ReportMonthly.month.in_(months))
    )
    for month in months:
        following = (month + timedelta(days=32)).replace(day=1)
        dims = [d.organization_id, d.site_id, *(getattr(d, c) for c in _SUMMED)]
        await session.execute(
            insert(ReportMonthly).from_select(
                ["organization_id", "site_id", "month", *_SUMMED, *_AMOUNTS],
                select(
                    d.organization_id,
                    d.site_id,
                    literal(month, Date),
                    *(getattr(d, c) for c in _SUMMED),
                    *(func.sum(getattr(d, c)) for c in _AMOUNTS),
                )
                .where(d.site_id == site_id, d.day >= month, d.day < following)
                .group_by(*dims),
            )
        )
    await _resum_months_by(session, site_id, months)


_DIMENSION_COLUMNS = {
    Dimension.site: "site_id",
    Dimension.charger: "charge_point_id",
    Dimension.group: "group_id",
    Dimension.member: "membership_id",
    Dimension.plan: "plan_id",
}


async def _resum_months_by(session: AsyncSession, site_id: uuid.UUID, months: list[date]) -> None:
    """Replace the per-dimension monthly sums of these months of a site by sums of its monthly rows."""
    m = ReportMonthly
    await session.execute(
        delete(ReportMonthlyBy).where(ReportMonthlyBy.site_id == site_id, ReportMonthlyBy.month.in_(months))
    )
    for dimension, column_name in _DIMENSION_COLUMNS.items():
        column = getattr(m, column_name)
        await session.execute(
            insert(ReportMonthlyBy).from_select(
                ["organization_id", "site_id", "month", "dimension", "dimension_id", "currency", *_AMOUNTS],
                select(
                    m.organization_id,
                    m.site_id,
                    m.month,
                    literal(dimension.value, String(8)),
                    column,
                    m.currency,
                    *(func.sum(getattr(m, c)) for c in _AMOUNTS),
                )
                .where(m.site_id == site_id, m.month.in_(months))
                .group_by(m.organization_id, m.site_id, m.month, column, m.currency),
            )
        )


async def _resum_month_hours(session: AsyncSession, site_id: uuid.UUID, months: list[date]) -> None:
    """Replace the monthly load profile of these months of a site by sums of its site hours."""
    h = ReportSiteHour
    await session.execute(
        delete(ReportMonthlyHour).where(ReportMonthlyHour.site_id == site_id, ReportMonthlyHour.month.in_(months))
    )
    for month in months:
        following = (month + timedelta(days=32)).replace(day=1)
        await session.execute(
            insert(ReportMonthlyHour).from_select(
                [
                    "site_id",
                    "month",
                    "weekday",
                    "local_hour",
                    "organization_id",
                    "energy_wh",
                    "plugged_seconds",
                    "bought_micro",
                    "unpriced_hours",
                ],
                select(
                    h.site_id,
                    literal(month, Date),
                    h.weekday,
                    h.local_hour,
                    h.organization_id,
                    func.sum(h.energy_wh),
                    func.sum(h.plugged_seconds),
                    func.coalesce(func.sum(h.bought_micro), 0),
                    func.sum(case((and_(h.bought_micro.is_(None), h.energy_wh > 0), 1), else_=0)),
                )
                .where(h.site_id == site_id, h.day >= month, h.day < following)
                .group_by(h.site_id, h.weekday, h.local_hour, h.organization_id),
            )
        )


async def hourly_prices(
    session: AsyncSession, area: str, currency: str, start: datetime, end: datetime
) -> dict[datetime, int]:
    """The spot price of each whole UTC hour in [start, end), nano-currency per kWh excl. VAT: the
    time-weighted mean of the market intervals in it (15-minute or hourly). Hours not fully covered are
    left out."""
    rows = (
        await session.execute(
            select(SpotPriceInterval.starts_at, SpotPriceInterval.ends_at, SpotPriceInterval.price_nano_per_kwh)
            .where(
                SpotPriceInterval.area == area,
                SpotPriceInterval.currency == currency,
                SpotPriceInterval.starts_at >= start - HOUR,
                SpotPriceInterval.starts_at < end,
            )
            .order_by(SpotPriceInterval.starts_at)
        )
    ).all()
    weighted: dict[datetime, list[int]] = {}
    for begins, ends, nano in rows:
        cursor = begins
        while cursor < ends:
            hour = cursor.replace(minute=0, second=0, microsecond=0)
            upto = min(ends, hour + HOUR)
            slot = weighted.setdefault(hour, [0, 0])
            seconds = int((upto - cursor).total_seconds())
            slot[0] += nano * seconds
            slot[1] += seconds
            cursor = upto
    return {hour: total // 3600 for hour, (total, seconds) in weighted.items() if seconds >= 3600}


async def _stale(session: AsyncSession, candidates: Sequence[tuple[int, datetime]]) -> list[int]:
    """The candidates whose ledger rows were split from another version of the session (or none)."""
    ids = [i for i, _ in candidates]
    current = dict(
        (
            await session.execute(
                select(ReportSessionDay.session_id, ReportSessionDay.source_updated_at).where(
                    ReportSessionDay.session_id.in_(ids), ReportSessionDay.started_here.is_(True)
                )
            )
        ).all()
    )
    return [i for i, updated in candidates if current.get(i) != updated]


async def refresh(session: AsyncSession, budget: float = RUN_SECONDS) -> int:
    """One run of the job: bring the report tables up to date with the finished sessions changed since
    the watermark (late replays and re-pricings included). Idempotent; returns the sessions re-split.

    A run stops after `budget` seconds of batches: after an upgrade (or with years of history and no
    aggregates yet) the work is spread over several runs, each batch committed with its watermark, and
    `backlog` tells the reports page how much is left."""
    cs = ChargingSession
    deadline = time.monotonic() + budget
    async with unit_of_work(session):
        mark = await _lock(session)
        cursor: tuple[datetime, int] = (mark.seen_until - LAG, 0)
    done = 0
    while True:
        async with unit_of_work(session):
            mark = await _lock(session)
            batch = (
                await session.execute(
                    select(cs.id, cs.updated_at)
                    .where(
                        cs.state == SessionState.stopped,
                        or_(cs.updated_at > cursor[0], and_(cs.updated_at == cursor[0], cs.id > cursor[1])),
                    )
                    .order_by(cs.updated_at, cs.id)
                    .limit(BATCH)
                )
            ).all()
            if not batch:
                break
            stale = await _stale(session, [(i, u) for i, u in batch])
            await apply_sessions(session, stale)
            done += len(stale)
            cursor = (batch[-1][1], batch[-1][0])
            mark.seen_until = max(mark.seen_until, cursor[0])
        if len(batch) < BATCH or time.monotonic() > deadline:
            break
    async with unit_of_work(session):
        await _lock(session)
        await catch_up_prices(session, utcnow().date())
    return done


async def backlog(session: AsyncSession, org_id: uuid.UUID, limit: int = 100_000) -> int:
    """Finished sessions of the organisation among the next `limit` the job has not read yet. Read along
    the `updated_at` index (ordered and limited), so it costs nothing when the job is up to date and stays
    bounded with years of history and no aggregates; a filter on the organisation first would make the
    database walk every session the organisation ever had."""
    cs = ChargingSession
    seen = await session.scalar(select(ReportWatermark.seen_until).where(ReportWatermark.name == JOB))
    pending = (
        select(cs.organization_id)
        .where(cs.updated_at > (seen or EPOCH), cs.state == SessionState.stopped)
        .order_by(cs.updated_at)
        .limit(limit)
        .subquery()
    )
    query = select(func.count()).select_from(pending).where(pending.c.organization_id == org_id)
    return int(await session.scalar(query) or 0)


async def catch_up_prices(session: AsyncSession, today: date) -> int:
    """Re-sum recent days whose hours had no spot price when they were summed and have one now (prices
    fetched late or imported by hand). Returns the (site, day) buckets re-summed. No commit."""
    h = ReportSiteHour
    missing = (
        await session.execute(
            select(h.site_id, h.day, h.hour_start, Site.price_area, Organization.currency)
            .join(Site, Site.id == h.site_id)
            .join(Organization, Organization.id == h.organization_id)
            .where(h.bought_micro.is_(None), h.energy_wh > 0, h.day >= today - PRICE_CATCH_UP)
        )
    ).all()
    by_market: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in missing:
        by_market[(row.price_area, row.currency)].append(row)
    buckets: set[Bucket] = set()
    for (area, currency), rows in by_market.items():
        starts = [r.hour_start for r in rows]
        prices = await hourly_prices(session, area, currency, min(starts), max(starts) + HOUR)
        buckets |= {(r.site_id, r.day) for r in rows if r.hour_start in prices}
    await resum(session, buckets)
    return len(buckets)


async def rebuild(session: AsyncSession, org_id: uuid.UUID | None = None) -> int:
    """Forget the report tables (of one organisation, or all) and split every finished session again."""
    cs = ChargingSession
    async with unit_of_work(session):
        mark = await _lock(session)
        # Every session changed up to now is split below (in id order); one changed later has a later
        # `updated_at` and is the job's. A rebuild of everything therefore moves the watermark here, so
        # the job does not read the whole history again after it.
        newest = await session.scalar(select(func.max(cs.updated_at)).where(cs.state == SessionState.stopped))
        if org_id is None and newest is not None:
            mark.seen_until = max(mark.seen_until, newest)
        for table in (ReportSessionDay, ReportDaily, ReportMonthly, ReportMonthlyBy, ReportSiteHour, ReportMonthlyHour):
            stmt = delete(table)
            if org_id is not None:
                stmt = stmt.where(table.organization_id == org_id)
            await session.execute(stmt)
    last, done = 0, 0
    while True:
        async with unit_of_work(session):
            await _lock(session)
            query = select(cs.id).where(cs.state == SessionState.stopped, cs.id > last).order_by(cs.id).limit(BATCH)
            if org_id is not None:
                query = query.where(cs.organization_id == org_id)
            ids = list((await session.scalars(query)).all())
            if not ids:
                return done
            await apply_sessions(session, ids)
        done += len(ids)
        last = ids[-1]
