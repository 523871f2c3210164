"""Which area, currency and days an operator may ask for prices of: checked before anything is fetched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ladeportal.db.base import utcnow
from ladeportal.errors import ValidationFailed
from ladeportal.pricing.plans import PRICE_AREAS
from ladeportal.pricing.spot_price_parsing import area_currencies, area_time_zone

# A quarter: enough to catch up after an outage, small enough that one command cannot flood the source.
MAX_DAYS = 92


@dataclass(frozen=True)
class DayRange:
    area: str
    currency: str
    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def checked_area(area: str, currency: str | None = None) -> tuple[str, str]:
    """(area, currency) in upper case; the currency defaults to the area's own (NOK or SEK)."""
    area = area.strip().upper()
    if area not in PRICE_AREAS:
        raise ValidationFailed(
            f"Unknown price area {area!r}; use one of {', '.join(sorted(PRICE_AREAS))}.",
            field="area",
            code="site.price_area_unknown",
            params={"area": area, "areas": ", ".join(sorted(PRICE_AREAS))},
        )
    published = area_currencies(area)
    chosen = (currency or published[0]).strip().upper()
    if chosen not in published:
        raise ValidationFailed(
            f"Prices of {area} are published in {', '.join(published)}, not {chosen}.",
            field="currency",
            code="spot.currency_not_published",
            params={"area": area, "currencies": ", ".join(published), "currency": chosen},
        )
    return area, chosen


def checked_range(
    area: str, first: date, last: date, *, currency: str | None = None, now: datetime | None = None
) -> DayRange:
    """Days `first` to `last` inclusive: in order, at most MAX_DAYS, and no later than tomorrow in the
    area (the day-ahead auction publishes one day ahead)."""
    area, currency = checked_area(area, currency)
    if last < first:
        raise ValidationFailed(
            f"The range ends ({last}) before it starts ({first}).",
            field="to",
            code="spot.range_reversed",
            params={"first": first, "last": last},
        )
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise ValidationFailed(
            f"{count} days asked for; at most {MAX_DAYS} at a time.",
            field="to",
            code="spot.range_too_long",
            params={"count": count, "limit": MAX_DAYS},
        )
    tomorrow = (now or utcnow()).astimezone(area_time_zone(area)).date() + timedelta(days=1)
    if last > tomorrow:
        raise ValidationFailed(
            f"Prices are published one day ahead at most: {last} is after {tomorrow}.",
            field="to",
            code="spot.range_in_future",
            params={"last": last, "tomorrow": tomorrow},
        )
    return DayRange(area, currency, first, last)
