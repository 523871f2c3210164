"""Day-ahead spot prices in the database: stored per area and interval, read back for a session's span.

Data helpers only: they flush nothing and commit nothing; the job or operation calling them owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.pricing.models import SpotPriceInterval
from ladeportal.pricing.spot_price_parsing import area_time_zone
from ladeportal.pricing.spot_series import SpotPrice, SpotPriceSeries

_NANO = Decimal("1e9")
# Market intervals are at most an hour long: a session's prices are the ones starting after this much
# before it, which keeps the range query on the primary key.
_LONGEST_INTERVAL = timedelta(hours=1)


def to_nano(price_per_kwh: Decimal) -> int:
    # Half-even on the tenth decimal: the source publishes five, so this never changes a real price.
    return int((price_per_kwh * _NANO).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_nano(nano: int) -> Decimal:
    return (Decimal(nano) / _NANO).normalize()


def local_day_bounds(area: str, day: date) -> tuple[datetime, datetime]:
    zone = area_time_zone(area)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


async def store_prices(session: AsyncSession, area: str, currency: str, prices: Iterable[SpotPrice]) -> int:
    """Replace stored intervals of the same span with these (a re-published day wins). Returns count."""
    rows = sorted(prices, key=lambda p: p.start)
    if not rows:
        return 0
    await session.execute(
        delete(SpotPriceInterval).where(
            SpotPriceInterval.area == area,
            SpotPriceInterval.currency == currency,
            SpotPriceInterval.starts_at >= rows[0].start,
            SpotPriceInterval.starts_at < rows[-1].end,
        )
    )
    now = utcnow()
    session.add_all(
        SpotPriceInterval(
            area=area,
            currency=currency,
            starts_at=p.start,
            ends_at=p.end,
            price_nano_per_kwh=to_nano(p.price_per_kwh),
            fetched_at=now,
        )
        for p in rows
    )
    return len(rows)


async def load_prices(
    session: AsyncSession, area: str, currency: str, start: datetime, end: datetime
) -> list[SpotPrice]:
    """Stored intervals overlapping [start, end), in time order."""
    rows = (
        await session.scalars(
            select(SpotPriceInterval)
            .where(
                SpotPriceInterval.area == area,
                SpotPriceInterval.currency == currency,
                SpotPriceInterval.starts_at >= start - _LONGEST_INTERVAL,
                SpotPriceInterval.starts_at < end,
            )
            .order_by(SpotPriceInterval.starts_at)
        )
    ).all()
    return [SpotPrice(r.starts_at, r.ends_at, from_nano(r.price_nano_per_kwh)) for r in rows if r.ends_at > start]


async def load_series(
    session: AsyncSession, area: str, currency: str, start: datetime, end: datetime
) -> SpotPriceSeries:
    return SpotPriceSeries(await load_prices(session, area, currency, start, end))


async def has_day(session: AsyncSession, area: str, currency: str, day: date) -> bool:
    """True when the whole local day is stored (a partial day would silently bill fallback prices)."""
    start, end = local_day_bounds(area, day)
    first, last = (
        await session.execute(
            select(func.min(SpotPriceInterval.starts_at), func.max(SpotPriceInterval.ends_at)).where(
                SpotPriceInterval.area == area,
                SpotPriceInterval.currency == currency,
                SpotPriceInterval.starts_at >= start,
                SpotPriceInterval.starts_at < end,
            )
        )
    ).one()
    return first == start and last == end
