"""The demo cooperative has a year of history: once the job has run, last month's report shows energy,
revenue and a margin per site, compared with the month before, and every month of the past year has
charging in it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ladeportal.db.engine import Database
from ladeportal.demo import load_demo
from ladeportal.reports.aggregates import refresh
from ladeportal.reports.periods import Period, PeriodKind, period_of
from ladeportal.reports.report import build_report


async def test_the_demo_has_a_year_to_report_on(db: Database, tmp_path: Path) -> None:
    result = await load_demo(db, str(tmp_path / "chargers.json"))
    async with db.session() as session:
        assert await refresh(session) > 900
        today = datetime.now(ZoneInfo("Europe/Oslo")).date()
        last_month = period_of(PeriodKind.month, today.replace(day=1) - timedelta(days=1))
        report = await build_report(session, result.organization_id, last_month)
        assert report.totals.sessions > 0 and report.previous_totals.sessions > 0
        assert report.totals.gross(report.currency) > 0
        assert [m.name for m in report.margins] == ["Garasje A", "Garasje B"]
        for margin in report.margins:
            assert margin.unpriced_hours == 0 and 0 < margin.bought_minor < margin.sold_net_minor
        past_year = Period(PeriodKind.range, last_month.end - timedelta(days=364), last_month.end)
        months = (await build_report(session, result.organization_id, past_year)).series
        assert len(months) >= 12 and all(f.sessions > 0 for _, f in months[-12:])
