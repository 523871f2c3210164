"""Day-ahead prices the demo brings along, so its spot plan works without network access.

Synthetic, not market prices: a winter weekday's shape (cheap at night, peaks in the morning and the early
evening) scaled by a level per day, with a small variation per quarter-hour, drawn from a generator seeded
by the area and the date: the same prices every time for the same day. Quarter-hour intervals over the
local day, so daylight-saving days have 92 or 100 of them like the published files.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.platform.audit import Actor
from ladeportal.pricing.spot_imports import record_day
from ladeportal.pricing.spot_price_parsing import DayAheadPrices, area_currency, area_time_zone
from ladeportal.pricing.spot_series import SpotPrice
from ladeportal.pricing.spot_store import has_day, local_day_bounds

RECENT_DAYS = 7
_QUARTER = timedelta(minutes=15)
_FIVE_DECIMALS = Decimal("0.00001")
# Relative price by local hour 0-23.
_SHAPE = (
    0.55,
    0.5,
    0.48,
    0.47,
    0.5,
    0.6,
    0.85,
    1.15,
    1.3,
    1.2,
    1.05,
    0.95,
    0.9,
    0.88,
    0.9,
    1.0,
    1.2,
    1.4,
    1.35,
    1.15,
    0.95,
    0.8,
    0.7,
    0.6,
)


def demo_day_prices(area: str, day: date) -> DayAheadPrices:
    zone = area_time_zone(area)
    start, end = local_day_bounds(area, day)
    draw = random.Random(f"{area}:{day.isoformat()}")  # a str seed is hashed the same in every process
    level = draw.uniform(0.6, 1.4)
    prices: list[SpotPrice] = []
    moment = start
    while moment < end:
        shape = _SHAPE[moment.astimezone(zone).hour]
        price = 0.15 + 0.75 * level * shape + draw.uniform(-0.04, 0.04)
        prices.append(SpotPrice(moment, moment + _QUARTER, Decimal(str(price)).quantize(_FIVE_DECIMALS)))
        moment += _QUARTER
    return DayAheadPrices(area, day, area_currency(area), tuple(prices))


async def load_demo_prices(session: AsyncSession, actor: Actor, area: str, *, today: date | None = None) -> list[date]:
    """Generated prices for the last RECENT_DAYS days, today and tomorrow in `area`, where none are stored
    (fetched prices win). Returns the days loaded."""
    today = today or utcnow().astimezone(area_time_zone(area)).date()
    loaded: list[date] = []
    for offset in range(-RECENT_DAYS, 2):
        day = today + timedelta(days=offset)
        if not await has_day(session, area, area_currency(area), day):
            await record_day(session, actor, demo_day_prices(area, day))
            loaded.append(day)
    return loaded
