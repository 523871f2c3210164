"""One report: totals of a period and the period before, a series for the chart, the same figures by site,
charger, group and member, the top users, the load profile and electricity bought vs. sold.

Everything is read from the aggregates (report_daily, report_site_hours) in a few grouped queries; the
organisation id is in every one of them, and every filter id is checked to be this organisation's.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.i18n import N_
from ladeportal.members.models import Membership, User, UserGroup
from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing.models import PricePlan
from ladeportal.reports.aggregates import backlog
from ladeportal.reports.invoicing import InvoiceFigures, invoice_figures
from ladeportal.reports.models import (
    Dimension,
    ReportDaily,
    ReportMonthly,
    ReportMonthlyBy,
    ReportMonthlyHour,
    ReportSiteHour,
)
from ladeportal.reports.periods import Bucket, Period, ReportFilter, bucket_starts, hours_in_day, previous

TOP_USERS = 10
BACKLOG_LIMIT = 10_000


@dataclass
class Figures:
    sessions: int = 0
    energy_wh: int = 0
    plugged_seconds: int = 0
    charging_seconds: int = 0
    # currency -> [gross, net, vat] in minor units
    money: dict[str, list[int]] = field(default_factory=dict)

    def add(self, row: Any) -> None:
        # int(): PostgreSQL's SUM of a bigint is a numeric, which arrives as a Decimal.
        self.sessions += int(row.sessions or 0)
        self.energy_wh += int(row.energy_wh or 0)
        self.plugged_seconds += int(row.plugged_seconds or 0)
        self.charging_seconds += int(row.charging_seconds or 0)
        money = self.money.setdefault(row.currency, [0, 0, 0])
        money[0] += int(row.gross_minor or 0)
        money[1] += int(row.net_minor or 0)
        money[2] += int(row.vat_minor or 0)

    def gross(self, currency: str) -> int:
        return self.money.get(currency, [0, 0, 0])[0]

    def net(self, currency: str) -> int:
        return self.money.get(currency, [0, 0, 0])[1]

    def vat(self, currency: str) -> int:
        return self.money.get(currency, [0, 0, 0])[2]

    def as_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "energy_wh": self.energy_wh,
            "plugged_seconds": self.plugged_seconds,
            "charging_seconds": self.charging_seconds,
            "revenue": [
                {"currency": c, "gross_minor": g, "net_minor": n, "vat_minor": v}
                for c, (g, n, v) in sorted(self.money.items())
            ],
        }


@dataclass
class Line:
    key: str
    name: str
    figures: Figures
    # Share of the period a charger's connectors were occupied (chargers only).
    utilisation: float | None = None


@dataclass
class SiteMargin:
    site_id: uuid.UUID
    name: str
    energy_wh: int
    # What the hours' electricity cost at the spot price, excl. VAT, in minor units; hours without a
    # stored price are left out and counted.
    bought_minor: int
    unpriced_hours: int
    sold_net_minor: int

    @property
    def margin_minor(self) -> int:
        return self.sold_net_minor - self.bought_minor


@dataclass
class Report:
    period: Period
    previous_period: Period
    time_zone: str
    currency: str
    filters: ReportFilter
    totals: Figures
    previous_totals: Figures
    # (bucket start, figures); hour buckets carry energy and plugged time only
    series: list[tuple[date | datetime, Figures]]
    by_site: list[Line]
    by_charger: list[Line]
    by_group: list[Line]
    by_member: list[Line]
    by_plan: list[Line]
    # Members' invoices of the period's months: invoiced, paid, outstanding (None before invoicing exists)
    invoicing: InvoiceFigures | None
    # Finished sessions the aggregates have not taken in yet (the job is catching up), at most BACKLOG_LIMIT
    backlog: int
    # [weekday 0-6][local hour 0-23] -> Wh
    load_profile: list[list[int]]
    margins: list[SiteMargin]
    # Days of the period that do not have 24 hours in the report's time zone: (day, hours)
    odd_days: list[tuple[date, int]]

    @property
    def empty(self) -> bool:
        return self.totals.sessions == 0 and self.totals.energy_wh == 0

    @property
    def top_users(self) -> list[Line]:
        return [line for line in self.by_member if line.key][:TOP_USERS]

    def change(self, current: int, before: int) -> float | None:
        """Relative change from the previous period, None when it had nothing to compare with."""
        return None if before == 0 else (current - before) / before


def _choice(field_name: str) -> ValidationFailed:
    return ValidationFailed(N_("Choose a value from the list."), field=field_name, code="form.choice_invalid")


async def _check_filters(session: AsyncSession, org_id: uuid.UUID, flt: ReportFilter) -> Site | None:
    """The filtered site; a filter id of another organisation is refused like one that does not exist."""
    site = None
    if flt.site_id is not None:
        site = await session.scalar(select(Site).where(Site.id == flt.site_id, Site.organization_id == org_id))
        if site is None:
            raise _choice("site")
    checks: list[tuple[uuid.UUID | None, Any, str]] = [
        (flt.charge_point_id, ChargePoint, "charger"),
        (flt.group_id, UserGroup, "group"),
        (flt.membership_id, Membership, "member"),
    ]
    for value, model, name in checks:
        if value is not None:
            found = await session.scalar(select(model.id).where(model.id == value, model.organization_id == org_id))
            if found is None:
                raise _choice(name)
    return site


Table = type[ReportDaily] | type[ReportMonthly]
# The rollups of a report: its name and the aggregates' column it groups by.
ROLLUPS = (
    ("site", "site_id"),
    ("charger", "charge_point_id"),
    ("group", "group_id"),
    ("member", "membership_id"),
    ("plan", "plan_id"),
)


def _parts(period: Period) -> list[tuple[Table, date, date]]:
    """The period as whole calendar months (read from report_monthly) and the days around them (from
    report_daily): a year is 12 monthly reads' worth of rows instead of 365 days'."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    last = period.end.replace(day=1) if _next_month(period.end) - timedelta(days=1) == period.end else None
    if last is None:
        last = _previous_month(period.end.replace(day=1))
    if first > last:
        return [(ReportDaily, period.start, period.end)]
    parts: list[tuple[Table, date, date]] = [(ReportMonthly, first, last)]
    if period.start < first:
        parts.append((ReportDaily, period.start, first - timedelta(days=1)))
    after = _next_month(last)
    if after <= period.end:
        parts.append((ReportDaily, after, period.end))
    return parts


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _conditions(table: Table, org_id: uuid.UUID, start: date, end: date, flt: ReportFilter) -> list[Any]:
    column = table.month if table is ReportMonthly else table.day  # type: ignore[union-attr]
    conditions = [table.organization_id == org_id, column >= start, column <= end]
    if flt.site_id is not None:
        conditions.append(table.site_id == flt.site_id)
    if flt.charge_point_id is not None:
        conditions.append(table.charge_point_id == flt.charge_point_id)
    if flt.group_id is not None:
        conditions.append(table.group_id == flt.group_id)
    if flt.membership_id is not None:
        conditions.append(table.membership_id == flt.membership_id)
    return conditions


def _sums(table: Table | type[ReportMonthlyBy]) -> list[Any]:
    return [
        func.sum(table.sessions).label("sessions"),
        func.sum(table.energy_wh).label("energy_wh"),
        func.sum(table.plugged_seconds).label("plugged_seconds"),
        func.sum(table.charging_seconds).label("charging_seconds"),
        func.sum(table.gross_minor).label("gross_minor"),
        func.sum(table.net_minor).label("net_minor"),
        func.sum(table.vat_minor).label("vat_minor"),
    ]


def _by_conditions(org_id: uuid.UUID, start: date, end: date, flt: ReportFilter) -> list[Any]:
    b = ReportMonthlyBy
    conditions = [b.organization_id == org_id, b.month >= start, b.month <= end]
    if flt.site_id is not None:
        conditions.append(b.site_id == flt.site_id)
    return conditions


def _whole_months_by_dimension(table: Table, flt: ReportFilter) -> bool:
    """Whole months without a charger, group or member filter are read from the per-dimension sums."""
    return table is ReportMonthly and _only_site_filter(flt)


async def _rollups(
    session: AsyncSession, org_id: uuid.UUID, period: Period, flt: ReportFilter
) -> dict[str, dict[Any, Figures]]:
    """Figures of the period per site, charger, group, member and plan, every currency summed separately
    inside: one grouped read per part of the period when whole months come from report_monthly_by."""
    out: dict[str, dict[Any, Figures]] = {name: defaultdict(Figures) for name, _ in ROLLUPS}
    for table, start, end in _parts(period):
        if _whole_months_by_dimension(table, flt):
            b = ReportMonthlyBy
            for row in await session.execute(
                select(b.dimension, b.dimension_id.label("key"), b.currency, *_sums(b))
                .where(*_by_conditions(org_id, start, end, flt))
                .group_by(b.dimension, b.dimension_id, b.currency)
            ):
                if row.dimension in out:
                    out[row.dimension][row.key].add(row)
            continue
        for name, column in ROLLUPS:
            key = getattr(table, column).label("key")
            for row in await session.execute(
                select(key, table.currency, *_sums(table))
                .where(*_conditions(table, org_id, start, end, flt))
                .group_by(key, table.currency)
            ):
                out[name][row.key].add(row)
    return out


async def _totals(session: AsyncSession, org_id: uuid.UUID, period: Period, flt: ReportFilter) -> Figures:
    totals = Figures()
    for table, start, end in _parts(period):
        if _whole_months_by_dimension(table, flt):
            b = ReportMonthlyBy
            query = select(b.currency, *_sums(b)).where(
                *_by_conditions(org_id, start, end, flt), b.dimension == Dimension.site.value
            )
            query = query.group_by(b.currency)
        else:
            query = select(table.currency, *_sums(table)).where(*_conditions(table, org_id, start, end, flt))
            query = query.group_by(table.currency)
        for row in await session.execute(query):
            totals.add(row)
    return totals


async def _names(session: AsyncSession, org_id: uuid.UUID) -> dict[str, dict[Any, str]]:
    sites = dict((await session.execute(select(Site.id, Site.name).where(Site.organization_id == org_id))).all())
    chargers = {
        cp_id: name or ocpp_id
        for cp_id, name, ocpp_id in await session.execute(
            select(ChargePoint.id, ChargePoint.name, ChargePoint.ocpp_id).where(ChargePoint.organization_id == org_id)
        )
    }
    groups = dict(
        (await session.execute(select(UserGroup.id, UserGroup.name).where(UserGroup.organization_id == org_id))).all()
    )
    members = {
        m_id: name or phone or ""
        for m_id, name, phone in await session.execute(
            select(Membership.id, Membership.name, User.phone)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org_id)
        )
    }
    plans = dict(
        (await session.execute(select(PricePlan.id, PricePlan.name).where(PricePlan.organization_id == org_id))).all()
    )
    return {"site": sites, "charger": chargers, "group": groups, "member": members, "plan": plans}


def _lines(groups: dict[Any, Figures], names: dict[Any, str], currency: str) -> list[Line]:
    lines = [Line(str(key) if key else "", names.get(key, ""), figures) for key, figures in groups.items()]
    return sorted(lines, key=lambda line: (-line.figures.energy_wh, -line.figures.gross(currency), line.name))


async def build_report(
    session: AsyncSession, org_id: uuid.UUID, period: Period, flt: ReportFilter | None = None
) -> Report:
    flt = flt or ReportFilter()
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organisation.", code="org.not_found")
    site = await _check_filters(session, org_id, flt)
    time_zone = site.time_zone if site is not None else org.time_zone
    before = previous(period)
    by = await _rollups(session, org_id, period, flt)
    totals = Figures()
    for figures in by["site"].values():
        for currency, (g, n, v) in figures.money.items():
            money = totals.money.setdefault(currency, [0, 0, 0])
            money[0], money[1], money[2] = money[0] + g, money[1] + n, money[2] + v
        totals.sessions += figures.sessions
        totals.energy_wh += figures.energy_wh
        totals.plugged_seconds += figures.plugged_seconds
        totals.charging_seconds += figures.charging_seconds

    profile, bought = await _hours(session, org_id, period, flt)
    # What was sold at each site, for the whole site whatever the other filters (the hours have no members).
    sold = (
        by["site"]
        if _only_site_filter(flt)
        else (await _rollups(session, org_id, period, ReportFilter(flt.site_id)))["site"]
    )
    names = await _names(session, org_id)
    lines = {key: _lines(groups, names[key], org.currency) for key, groups in by.items()}
    await _utilisation(session, lines["charger"], period, time_zone)

    return Report(
        period=period,
        previous_period=before,
        time_zone=time_zone,
        currency=org.currency,
        filters=flt,
        totals=totals,
        previous_totals=await _totals(session, org_id, before, flt),
        series=await _series(session, org_id, period, flt, time_zone),
        by_site=lines["site"],
        by_charger=lines["charger"],
        by_group=lines["group"],
        by_member=lines["member"],
        by_plan=lines["plan"],
        invoicing=await invoice_figures(session, org_id, period, flt, org.currency),
        backlog=await backlog(session, org_id, BACKLOG_LIMIT),
        load_profile=profile,
        margins=_margins(bought, sold, names["site"], org.currency),
        odd_days=[
            (day, hours)
            for day in (period.start + timedelta(days=i) for i in range(period.days))
            if (hours := hours_in_day(day, time_zone)) != 24
        ],
    )


def _only_site_filter(flt: ReportFilter) -> bool:
    return flt.charge_point_id is None and flt.group_id is None and flt.membership_id is None


async def _series(
    session: AsyncSession, org_id: uuid.UUID, period: Period, flt: ReportFilter, time_zone: str
) -> list[tuple[date | datetime, Figures]]:
    starts = bucket_starts(period, time_zone)
    figures: dict[Any, Figures] = {start: Figures() for start in starts}
    if period.bucket is Bucket.hour:
        # Hours are kept per site: a day's hourly chart is shown for the whole site, not per member.
        if _only_site_filter(flt):
            for hour_start, energy, plugged in await session.execute(
                select(ReportSiteHour.hour_start, ReportSiteHour.energy_wh, ReportSiteHour.plugged_seconds).where(
                    *_hour_conditions(org_id, period, flt)
                )
            ):
                if hour_start in figures:
                    figures[hour_start].energy_wh += energy
                    figures[hour_start].plugged_seconds += plugged
        return list(figures.items())
    # Day buckets need days; month buckets may read whole months from the monthly sums.
    parts = _parts(period) if period.bucket is Bucket.month else [(ReportDaily, period.start, period.end)]
    for table, start, end in parts:
        if _whole_months_by_dimension(table, flt):
            b = ReportMonthlyBy
            query = (
                select(b.month.label("day"), b.currency, *_sums(b))
                .where(*_by_conditions(org_id, start, end, flt), b.dimension == Dimension.site.value)
                .group_by(b.month, b.currency)
            )
        else:
            column = table.month if table is ReportMonthly else table.day  # type: ignore[union-attr]
            query = (
                select(column.label("day"), table.currency, *_sums(table))
                .where(*_conditions(table, org_id, start, end, flt))
                .group_by(column, table.currency)
            )
        for row in await session.execute(query):
            key = row.day if period.bucket is Bucket.day else row.day.replace(day=1)
            figures[key].add(row)
    return list(figures.items())


def _hour_conditions(org_id: uuid.UUID, period: Period, flt: ReportFilter, table: Any = ReportSiteHour) -> list[Any]:
    h = table
    column = h.month if table is ReportMonthlyHour else h.day
    conditions = [h.organization_id == org_id, column >= period.start, column <= period.end]
    if flt.site_id is not None:
        conditions.append(h.site_id == flt.site_id)
    return conditions


async def _hours(
    session: AsyncSession, org_id: uuid.UUID, period: Period, flt: ReportFilter
) -> tuple[list[list[int]], dict[uuid.UUID, tuple[int, int, int]]]:
    """The load profile ([weekday][hour] -> Wh) and per site (energy, bought in 1e-6 minor units, hours
    without a price), from one grouped read of the site hours."""
    grid = [[0] * 24 for _ in range(7)]
    bought: dict[uuid.UUID, tuple[int, int, int]] = {}
    for table, start, end in _parts(period):
        part = Period(period.kind, start, end)
        query: Any
        if table is ReportMonthly:
            m = ReportMonthlyHour
            query = select(
                m.site_id,
                m.weekday,
                m.local_hour,
                func.sum(m.energy_wh),
                func.sum(m.bought_micro),
                func.sum(m.unpriced_hours),
            ).where(*_hour_conditions(org_id, part, flt, m), m.energy_wh > 0)
            query = query.group_by(m.site_id, m.weekday, m.local_hour)
        else:
            h = ReportSiteHour
            query = select(
                h.site_id,
                h.weekday,
                h.local_hour,
                func.sum(h.energy_wh),
                func.sum(h.bought_micro),
                # 1 for each hour with energy but no price
                func.sum(case((h.bought_micro.is_(None), 1), else_=0)),
            ).where(*_hour_conditions(org_id, part, flt), h.energy_wh > 0)
            query = query.group_by(h.site_id, h.weekday, h.local_hour)
        for site_id, weekday, hour, energy, micro, unpriced in await session.execute(query):
            grid[weekday][hour] += int(energy or 0)
            e, mi, u = bought.get(site_id, (0, 0, 0))
            bought[site_id] = (e + int(energy or 0), mi + int(micro or 0), u + int(unpriced or 0))
    return grid, bought


def _margins(
    bought: dict[uuid.UUID, tuple[int, int, int]],
    by_site: dict[Any, Figures],
    site_names: dict[Any, str],
    currency: str,
) -> list[SiteMargin]:
    margins = []
    for site_id in sorted(set(bought) | set(by_site), key=lambda s: site_names.get(s, "")):
        energy, micro, unpriced = bought.get(site_id, (0, 0, 0))
        figures = by_site.get(site_id)
        margins.append(
            SiteMargin(
                site_id=site_id,
                name=site_names.get(site_id, ""),
                energy_wh=energy,
                bought_minor=round(micro / 1_000_000),
                unpriced_hours=unpriced,
                sold_net_minor=figures.net(currency) if figures is not None else 0,
            )
        )
    return margins


async def _utilisation(session: AsyncSession, chargers: list[Line], period: Period, time_zone: str) -> None:
    if not chargers:
        return
    start, end = period.bounds(time_zone)
    seconds = (end - start).total_seconds()
    ids = [uuid.UUID(line.key) for line in chargers if line.key]
    counts = dict(
        (
            await session.execute(
                select(Connector.charge_point_id, func.count())
                .where(Connector.charge_point_id.in_(ids))
                .group_by(Connector.charge_point_id)
            )
        ).all()
    )
    for line in chargers:
        connectors = counts.get(uuid.UUID(line.key), 0) if line.key else 0
        if connectors and seconds:
            line.utilisation = min(1.0, line.figures.plugged_seconds / (connectors * seconds))


def lines_json(lines: Iterable[Line]) -> list[dict[str, Any]]:
    return [
        {
            "id": line.key or None,
            "name": line.name,
            **line.figures.as_json(),
            **({"utilisation": round(line.utilisation, 4)} if line.utilisation is not None else {}),
        }
        for line in lines
    ]


def report_json(report: Report) -> dict[str, Any]:
    """The JSON API's shape of a report."""
    return {
        "period": {
            "kind": report.period.kind.value,
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
            "bucket": report.period.bucket.value,
        },
        "previous_period": {
            "start": report.previous_period.start.isoformat(),
            "end": report.previous_period.end.isoformat(),
        },
        "time_zone": report.time_zone,
        "days_not_24_hours": [{"day": d.isoformat(), "hours": h} for d, h in report.odd_days],
        "totals": report.totals.as_json(),
        "previous_totals": report.previous_totals.as_json(),
        "series": [{"start": start.isoformat(), **f.as_json()} for start, f in report.series],
        "by_site": lines_json(report.by_site),
        "by_charger": lines_json(report.by_charger),
        "by_group": lines_json(report.by_group),
        "by_member": lines_json(report.by_member),
        "by_plan": lines_json(report.by_plan),
        "invoicing": report.invoicing.as_json() if report.invoicing is not None else None,
        "aggregates_behind_sessions": report.backlog,
        "top_users": lines_json(report.top_users),
        "load_profile_wh": report.load_profile,
        "electricity": [
            {
                "site_id": str(m.site_id),
                "name": m.name,
                "energy_wh": m.energy_wh,
                "currency": report.currency,
                "bought_minor": m.bought_minor,
                "unpriced_hours": m.unpriced_hours,
                "sold_net_minor": m.sold_net_minor,
                "margin_minor": m.margin_minor,
            }
            for m in report.margins
        ],
    }
