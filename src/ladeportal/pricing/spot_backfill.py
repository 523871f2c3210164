"""Fetching a range of past days (and tomorrow) on an operator's request: after an outage, for a new
area, or to re-price sessions that were billed at the fallback price.

Days already stored are not asked for again unless `refresh` says so. Each day is its own transaction,
so one missing day never undoes the others; fetching the same range again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.platform.audit import Actor
from ladeportal.pricing.spot_corrections import CorrectionReport
from ladeportal.pricing.spot_imports import record_day
from ladeportal.pricing.spot_price_parsing import SpotPriceError
from ladeportal.pricing.spot_prices import SpotPriceClient, SpotPricesNotPublished
from ladeportal.pricing.spot_ranges import checked_range
from ladeportal.pricing.spot_store import has_day

FETCHED, UNCHANGED, ALREADY_STORED, NOT_PUBLISHED, FAILED = (
    "fetched",
    "unchanged",
    "already_stored",
    "not_published",
    "failed",
)


@dataclass(frozen=True)
class DayOutcome:
    day: date
    status: str
    intervals: int = 0
    corrected: int = 0
    message: str = ""


@dataclass
class RangeReport:
    area: str
    currency: str
    days: list[DayOutcome] = field(default_factory=list)
    corrections: CorrectionReport = field(default_factory=CorrectionReport)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.days if outcome.status == status)

    @property
    def complete(self) -> bool:
        return all(outcome.status in (FETCHED, UNCHANGED, ALREADY_STORED) for outcome in self.days)


async def fetch_range(
    session: AsyncSession,
    client: SpotPriceClient,
    actor: Actor,
    area: str,
    first: date,
    last: date,
    *,
    currency: str | None = None,
    refresh: bool = False,
    now: datetime | None = None,
    progress: Callable[[DayOutcome], None] | None = None,
) -> RangeReport:
    wanted = checked_range(area, first, last, currency=currency, now=now)
    report = RangeReport(wanted.area, wanted.currency)
    for day in wanted.days:
        outcome = await _fetch_day(session, client, actor, wanted.area, wanted.currency, day, refresh, now, report)
        report.days.append(outcome)
        if progress is not None:
            progress(outcome)
    return report


async def _fetch_day(
    session: AsyncSession,
    client: SpotPriceClient,
    actor: Actor,
    area: str,
    currency: str,
    day: date,
    refresh: bool,
    now: datetime | None,
    report: RangeReport,
) -> DayOutcome:
    if not refresh:
        async with unit_of_work(session):
            stored = await has_day(session, area, currency, day)
        if stored:
            return DayOutcome(day, ALREADY_STORED)
    try:
        prices = await client.fetch_day(area, day, currency=currency)
    except SpotPricesNotPublished as error:
        return DayOutcome(day, NOT_PUBLISHED, message=str(error))
    except SpotPriceError as error:
        return DayOutcome(day, FAILED, message=str(error))
    recorded = await record_day(session, actor, prices, now=now)
    report.corrections.add(recorded.corrections)
    return DayOutcome(
        day, FETCHED if recorded.changed else UNCHANGED, recorded.intervals, len(recorded.corrections.corrected)
    )
