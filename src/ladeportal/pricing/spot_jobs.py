"""Fetching day-ahead prices every day for every price area a site is in, with retries and back-off.

The periodic job wakes every few minutes; what is due is decided from `spot_price_fetches`, so the
back-off survives restarts and is shared by every worker process. Today's prices are fetched whenever
missing; tomorrow's once the auction result is normally out (13:00 local time in the area). A failed
attempt waits 5, 10, 20 ... minutes (at most two hours) before the next one. Sessions billed at the
fallback price while a day was missing are re-priced as soon as it is stored (see spot_imports).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.jobs.periodic import periodic
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.audit import Actor
from ladeportal.pricing.models import SpotPriceFetch
from ladeportal.pricing.spot_imports import apply_day_prices
from ladeportal.pricing.spot_price_parsing import SpotPriceError, area_time_zone, publishes
from ladeportal.pricing.spot_prices import SpotPriceClient
from ladeportal.pricing.spot_store import has_day

log = logging.getLogger(__name__)

PUBLISHED_AFTER = time(13, 0)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=2)
ACTOR = Actor.system("spot-prices")


@dataclass
class FetchReport:
    fetched: list[tuple[str, str, date]] = field(default_factory=list)
    failed: list[tuple[str, str, date, str]] = field(default_factory=list)
    waiting: list[tuple[str, str, date]] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def days_wanted(area: str, now: datetime) -> list[date]:
    local = now.astimezone(area_time_zone(area))
    days = [local.date()]
    if local.time() >= PUBLISHED_AFTER:
        days.append(local.date() + timedelta(days=1))
    return days


async def areas_in_use(session: AsyncSession) -> list[tuple[str, str]]:
    """(area, currency) of every site of a live organisation, where the source publishes that currency
    (NO areas in NOK and EUR, SE areas in SEK and EUR)."""
    rows = (
        await session.execute(
            select(Site.price_area, Organization.currency)
            .distinct()
            .join(Organization, Organization.id == Site.organization_id)
            .where(Organization.archived_at.is_(None))
        )
    ).all()
    wanted = sorted({(area, currency) for area, currency in rows if publishes(area, currency)})
    skipped = sorted({f"{area} {currency}" for area, currency in rows if not publishes(area, currency)})
    if skipped:
        # No source publishes these; spot plans there bill their fallback price (flagged for review).
        log.warning("no spot price source for %s", ", ".join(skipped))
    return wanted


async def fetch_due_prices(db: Database, client: SpotPriceClient, *, now: datetime | None = None) -> FetchReport:
    now = now or utcnow()
    report = FetchReport()
    async with db.session() as session:
        wanted = await areas_in_use(session)
    for area, currency in wanted:
        for day in days_wanted(area, now):
            async with db.session() as session:
                await _fetch_one(session, client, area, currency, day, now, report)
    return report


async def _fetch_one(
    session: AsyncSession,
    client: SpotPriceClient,
    area: str,
    currency: str,
    day: date,
    now: datetime,
    report: FetchReport,
) -> None:
    # One transaction per area and day, so one failing day never undoes another's prices.
    async with unit_of_work(session):
        if await has_day(session, area, currency, day):
            return
        state = await session.get(SpotPriceFetch, (area, currency, day))
        if state is None:
            state = SpotPriceFetch(area=area, currency=currency, day=day, attempts=0, next_attempt_at=now)
            session.add(state)
        if state.next_attempt_at > now:
            report.waiting.append((area, currency, day))
            return
        state.attempts += 1
        try:
            result = await client.fetch_day(area, day, currency=currency)
        except SpotPriceError as error:
            state.last_error = str(error)
            state.next_attempt_at = now + retry_delay(state.attempts)
            report.failed.append((area, currency, day, str(error)))
            log.info("spot prices %s %s %s not fetched (attempt %d): %s", area, currency, day, state.attempts, error)
            return
        await apply_day_prices(session, ACTOR, result, now=now)
        state.last_error = None
        state.completed_at = now
        report.fetched.append((area, currency, day))


@periodic("pricing.fetch_spot_prices", every=timedelta(minutes=10))
async def fetch_spot_prices_job(db: Database) -> None:
    async with SpotPriceClient.from_settings() as client:
        report = await fetch_due_prices(db, client)
    if report.failed:
        log.warning("spot prices still missing: %s", ", ".join(f"{a} {c} {d}" for a, c, d, _ in report.failed))
