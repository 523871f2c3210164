"""Reports from the aggregates: periods and their previous period, DST days, month ends, rollups by site,
charger, group and member, the load profile, electricity bought vs. sold, and filters of other tenants."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import ValidationFailed
from ladeportal.members.groups import create_group
from ladeportal.platform.audit import Actor
from ladeportal.pricing.spot_series import SpotPrice
from ladeportal.pricing.spot_store import store_prices
from ladeportal.reports.aggregates import refresh
from ladeportal.reports.periods import (
    Period,
    PeriodKind,
    ReportFilter,
    bucket_starts,
    hours_in_day,
    parse_filter,
    parse_period,
    period_of,
    previous,
)
from ladeportal.reports.report import build_report
from tests.factories import make_member, make_org, make_site
from tests.portal.ocpp_rows import charger
from tests.reports.world import add_session

ACTOR = Actor(label="test")
OSLO = "Europe/Oslo"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_periods_and_the_period_before() -> None:
    assert period_of(PeriodKind.month, date(2026, 3, 15)) == Period(
        PeriodKind.month, date(2026, 3, 1), date(2026, 3, 31)
    )
    assert previous(period_of(PeriodKind.month, date(2026, 3, 31))).end == date(2026, 2, 28)
    assert previous(period_of(PeriodKind.month, date(2024, 3, 31))).end == date(2024, 2, 29)
    assert period_of(PeriodKind.week, date(2026, 1, 1)).start == date(2025, 12, 29)
    assert period_of(PeriodKind.quarter, date(2026, 8, 2)) == Period(
        PeriodKind.quarter, date(2026, 7, 1), date(2026, 9, 30)
    )
    assert previous(period_of(PeriodKind.year, date(2026, 5, 5))).start == date(2025, 1, 1)
    rng = Period(PeriodKind.range, date(2026, 1, 10), date(2026, 1, 19))
    assert previous(rng) == Period(PeriodKind.range, date(2025, 12, 31), date(2026, 1, 9))
    assert hours_in_day(date(2026, 3, 29), OSLO) == 23
    assert hours_in_day(date(2026, 10, 25), OSLO) == 25
    assert hours_in_day(date(2026, 10, 26), OSLO) == 24
    assert len(bucket_starts(period_of(PeriodKind.day, date(2026, 3, 29)), OSLO)) == 23
    assert len(bucket_starts(period_of(PeriodKind.year, date(2026, 3, 29)), OSLO)) == 12


def test_long_periods_read_whole_months_from_the_monthly_sums() -> None:
    from ladeportal.reports.models import ReportDaily, ReportMonthly
    from ladeportal.reports.report import _parts

    year = period_of(PeriodKind.year, date(2026, 5, 5))
    assert _parts(year) == [(ReportMonthly, date(2026, 1, 1), date(2026, 12, 1))]
    odd = Period(PeriodKind.range, date(2026, 1, 15), date(2026, 4, 10))
    assert _parts(odd) == [
        (ReportMonthly, date(2026, 2, 1), date(2026, 3, 1)),
        (ReportDaily, date(2026, 1, 15), date(2026, 1, 31)),
        (ReportDaily, date(2026, 4, 1), date(2026, 4, 10)),
    ]
    assert _parts(Period(PeriodKind.range, date(2026, 1, 15), date(2026, 2, 10))) == [
        (ReportDaily, date(2026, 1, 15), date(2026, 2, 10))
    ]
    assert _parts(period_of(PeriodKind.week, date(2026, 3, 3))) == [(ReportDaily, date(2026, 3, 2), date(2026, 3, 8))]


@pytest.mark.parametrize(
    ("kw", "field", "code"),
    [
        ({"period": "fortnight"}, "period", "form.choice_invalid"),
        ({"period": "month", "date_": "31.03.2026"}, "date", "reports.date_invalid"),
        ({"period": "month", "date_": "0001-01-01"}, "date", "date.out_of_range"),
        ({"period": "range"}, "since", "reports.since_required"),
        ({"period": "range", "since": "2026-02-01", "until": "2026-01-01"}, "until", "reports.dates_reversed"),
        ({"period": "range", "since": "2020-01-01", "until": "2026-01-01"}, "until", "reports.range_too_long"),
    ],
)
def test_bad_period_input_names_the_field(kw: dict[str, str], field: str, code: str) -> None:
    args = {"period": None, "date_": None, "since": None, "until": None, **kw}
    with pytest.raises(ValidationFailed) as caught:
        parse_period(**args, today=date(2026, 3, 1))  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.code) == (field, code)
    with pytest.raises(ValidationFailed) as bad_id:
        parse_filter(site="not-a-uuid")
    assert bad_id.value.field == "site"


async def test_a_month_report_with_comparison_rollups_and_margin(session: AsyncSession) -> None:
    org = await make_org(session)
    other = await make_org(session)
    north = await make_site(session, org, name="Nord", time_zone=OSLO, price_area="NO1")
    south = await make_site(session, org, name="Sør", time_zone=OSLO, price_area="NO1")
    cp_n = await charger(session, north, f"R-{uuid.uuid4().hex[:8]}", seen=None, name="Plass 1")
    cp_s = await charger(session, south, f"R-{uuid.uuid4().hex[:8]}", seen=None, name="Plass 2")
    residents = await create_group(session, ACTOR, org.id, "Beboere")
    kari = await make_member(session, org, name="Kari", group_id=residents.id)
    ola = await make_member(session, org, name="Ola")
    stranger = await make_member(session, other, name="Fremmed")
    # March 2026 (with the spring DST change on the 29th) and one session in February.
    await add_session(
        session,
        north,
        cp_n,
        at(2026, 3, 2, 17),
        at(2026, 3, 2, 19),
        10_000,
        net=2_000,
        vat=500,
        membership_id=kari.id,
        group_id=residents.id,
    )
    await add_session(
        session,
        north,
        cp_n,
        at(2026, 3, 31, 21),
        at(2026, 3, 31, 23),
        4_000,
        net=800,
        vat=200,
        membership_id=ola.id,
        connector=2,
    )  # 23:00-01:00 Oslo: half of it in April
    await add_session(
        session,
        south,
        cp_s,
        at(2026, 3, 29, 0),
        at(2026, 3, 29, 4),
        6_000,
        net=1_200,
        vat=300,
        membership_id=kari.id,
        group_id=residents.id,
    )
    await add_session(
        session,
        north,
        cp_n,
        at(2026, 2, 10, 8),
        at(2026, 2, 10, 9),
        5_000,
        net=1_000,
        vat=250,
        membership_id=kari.id,
        group_id=residents.id,
    )
    running = await add_session(session, north, cp_n, at(2026, 3, 20, 8), None, 7_000, connector=2)
    assert running.stopped_at is None
    # Spot prices for 2 March 17:00-19:00 UTC: 1.00 and 2.00 NOK/kWh in 15-minute intervals.
    quarter = timedelta(minutes=15)
    prices = [
        SpotPrice(at(2026, 3, 2, 17) + i * quarter, at(2026, 3, 2, 17) + (i + 1) * quarter, Decimal(1 if i < 4 else 2))
        for i in range(8)
    ]
    await store_prices(session, "NO1", "NOK", prices)
    await session.commit()
    await refresh(session)

    march = period_of(PeriodKind.month, date(2026, 3, 10))
    report = await build_report(session, org.id, march)
    assert report.totals.sessions == 3
    assert report.totals.energy_wh == 10_000 + 2_000 + 6_000
    assert report.totals.money["NOK"] == [2_500 + 500 + 1_500, 2_000 + 400 + 1_200, 500 + 100 + 300]
    assert (report.previous_totals.sessions, report.previous_totals.energy_wh) == (1, 5_000)
    assert report.change(report.totals.energy_wh, report.previous_totals.energy_wh) == pytest.approx(2.6)
    assert report.odd_days == [(date(2026, 3, 29), 23)]
    assert [(line.name, line.figures.energy_wh) for line in report.by_site] == [("Nord", 12_000), ("Sør", 6_000)]
    assert [(line.name, line.figures.sessions) for line in report.by_member] == [("Kari", 2), ("Ola", 1)]
    assert [(line.name, line.figures.energy_wh) for line in report.by_group] == [("Beboere", 16_000), ("", 2_000)]
    plass_1 = report.by_charger[0]
    assert plass_1.name == "Plass 1" and plass_1.utilisation == pytest.approx(3 * 3600 / (2 * 743 * 3600))
    assert sum(map(sum, report.load_profile)) == report.totals.energy_wh
    assert report.load_profile[0][18] == 5_000  # Monday 2 March, 18:00 Oslo
    series = dict(report.series)
    assert len(series) == 31 and series[date(2026, 3, 31)].energy_wh == 2_000
    nord = next(m for m in report.margins if m.name == "Nord")
    # 5 kWh at 1.00 + 5 kWh at 2.00 = 15.00 NOK bought; sold 20.00 + 4.00 net in March.
    assert (nord.bought_minor, nord.sold_net_minor, nord.margin_minor) == (1_500, 2_400, 900)
    assert nord.unpriced_hours == 1  # 31 March 21:00-22:00 UTC has no stored price

    # A range over the month end: 20 March-5 April reads days, and whole months where it can.
    spanning = await build_report(session, org.id, Period(PeriodKind.range, date(2026, 2, 1), date(2026, 4, 5)))
    assert (spanning.totals.sessions, spanning.totals.energy_wh) == (4, 5_000 + 18_000 + 2_000)
    year = await build_report(session, org.id, period_of(PeriodKind.year, date(2026, 1, 1)))
    assert [f.energy_wh for _, f in year.series][:4] == [0, 5_000, 18_000, 2_000]
    assert year.totals.energy_wh == 25_000
    april = await build_report(session, org.id, period_of(PeriodKind.month, date(2026, 4, 1)))
    assert (april.totals.sessions, april.totals.energy_wh) == (0, 2_000)

    only_kari = await build_report(session, org.id, march, ReportFilter(membership_id=kari.id))
    assert only_kari.totals.energy_wh == 16_000
    only_south = await build_report(session, org.id, march, ReportFilter(site_id=south.id))
    assert only_south.totals.energy_wh == 6_000 and [m.name for m in only_south.margins] == ["Sør"]

    day = await build_report(
        session, org.id, period_of(PeriodKind.day, date(2026, 3, 29)), ReportFilter(site_id=south.id)
    )
    assert len(day.series) == 23 and sum(f.energy_wh for _, f in day.series) == 6_000
    # Without a site filter the hourly chart and the load profile are the whole organisation's.
    whole_day = await build_report(session, org.id, period_of(PeriodKind.day, date(2026, 3, 2)))
    assert len(whole_day.series) == 24 and whole_day.totals.energy_wh > 0
    assert sum(f.energy_wh for _, f in whole_day.series) == whole_day.totals.energy_wh
    assert sum(map(sum, whole_day.load_profile)) == whole_day.totals.energy_wh
    # A year reads the monthly load profile: the same energy as its totals.
    assert sum(map(sum, year.load_profile)) == year.totals.energy_wh

    # Another organisation's ids are refused like ids that do not exist, and show nothing of theirs.
    for flt, field in (
        (ReportFilter(site_id=(await make_site(session, other)).id), "site"),
        (ReportFilter(membership_id=stranger.id), "member"),
        (ReportFilter(group_id=uuid.uuid4()), "group"),
        (ReportFilter(charge_point_id=uuid.uuid4()), "charger"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await build_report(session, org.id, march, flt)
        assert caught.value.field == field
    assert (await build_report(session, other.id, march)).empty


async def test_spot_prices_stored_late_reach_the_margin(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org, name="Nord", time_zone=OSLO, price_area="NO1")
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
    start = (datetime.now(UTC) - timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    await add_session(session, site, cp, start, start + timedelta(hours=1), 4_000, net=1_000)
    await refresh(session)
    day = start.astimezone(ZoneInfo(OSLO)).date()
    before = await build_report(session, org.id, period_of(PeriodKind.day, day))
    assert [(m.bought_minor, m.unpriced_hours) for m in before.margins] == [(0, 1)]
    # The day's prices come in later (a fetch that failed, a file imported by hand): 0.50 NOK/kWh.
    await store_prices(session, "NO1", "NOK", [SpotPrice(start, start + timedelta(hours=1), Decimal("0.5"))])
    await session.commit()
    assert await refresh(session) == 0  # no session changed, but the hour is re-summed with its price
    after = await build_report(session, org.id, period_of(PeriodKind.day, day))
    assert [(m.bought_minor, m.unpriced_hours, m.margin_minor) for m in after.margins] == [(200, 0, 800)]
