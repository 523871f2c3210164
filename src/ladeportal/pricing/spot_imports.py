"""Day-ahead prices arriving for an area and day, from the source, a file or the demo: stored, and the
sessions billed at the fallback price in that day re-priced with a recorded correction, together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.platform.audit import Actor
from ladeportal.pricing.spot_corrections import CorrectionReport, correct_sessions
from ladeportal.pricing.spot_price_parsing import DayAheadPrices, SpotPriceError, parse_price_file
from ladeportal.pricing.spot_ranges import checked_area
from ladeportal.pricing.spot_store import from_nano, load_prices, local_day_bounds, store_prices, to_nano


@dataclass(frozen=True)
class RecordedDay:
    area: str
    currency: str
    day: date
    intervals: int
    changed: bool  # False: exactly these prices were stored already
    corrections: CorrectionReport


async def apply_day_prices(
    session: AsyncSession, actor: Actor, prices: DayAheadPrices, *, now: datetime | None = None
) -> RecordedDay:
    """Store one checked day and correct the sessions waiting for it. Never commits: for callers that
    own a wider transaction (the fetch job also records its attempt); others use `record_day`."""
    start, end = local_day_bounds(prices.area, prices.day)
    stored = await load_prices(session, prices.area, prices.currency, start, end)
    # Compared as stored (nano-units), so a re-published day with the same prices writes nothing.
    changed = [(p.start, p.end, p.price_per_kwh) for p in stored] != [
        (p.start, p.end, from_nano(to_nano(p.price_per_kwh))) for p in prices.prices
    ]
    if changed:
        await store_prices(session, prices.area, prices.currency, prices.prices)
        await session.flush()
    corrections = await correct_sessions(session, actor, prices.area, prices.currency, start, end, now=now)
    return RecordedDay(prices.area, prices.currency, prices.day, len(prices.prices), changed, corrections)


async def record_day(
    session: AsyncSession, actor: Actor, prices: DayAheadPrices, *, now: datetime | None = None
) -> RecordedDay:
    async with unit_of_work(session):
        return await apply_day_prices(session, actor, prices, now=now)


async def import_price_file(
    session: AsyncSession,
    actor: Actor,
    body: bytes,
    area: str,
    *,
    currency: str | None = None,
    now: datetime | None = None,
) -> list[RecordedDay]:
    """A file in the published format (one day, or whole days joined into one list): all of it or none."""
    area, currency = checked_area(area, currency)
    try:
        days = parse_price_file(body, area=area, currency=currency)
    except SpotPriceError as error:
        raise ValidationFailed(
            str(error), field="file", code="spot.file_invalid", params={"problem": str(error)}
        ) from error
    async with unit_of_work(session):
        return [await apply_day_prices(session, actor, day, now=now) for day in days]
