"""Day-ahead price files in the public Norwegian and Swedish price API format, checked before anything
prices with them.

One JSON list per area and day, one object per market interval, prices per kWh without VAT:
{"NOK_per_kWh": 0.61234, "EUR_per_kWh": 0.05343, "EXR": 11.46,
 "time_start": "2025-03-30T00:00:00+01:00", "time_end": "2025-03-30T01:00:00+01:00"}
Norwegian areas (NO1-NO5) come in NOK and EUR, Swedish ones (SE1-SE4) in SEK (`SEK_per_kWh`) and EUR.
Hourly before 2025-10-01, quarter-hourly since. A file must cover its local day exactly (23 or 25
hours on daylight-saving days) with intervals of one length and no gaps, or it is rejected whole:
a half-read file would silently bill the fallback price.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from ladeportal.pricing.plans import PRICE_AREAS
from ladeportal.pricing.spot_series import SpotPrice

# The area's own currency first: it is what a site there is billed in.
_CURRENCIES_BY_COUNTRY = {"NO": ("NOK", "EUR"), "SE": ("SEK", "EUR")}
PRICE_CURRENCIES = frozenset(c for currencies in _CURRENCIES_BY_COUNTRY.values() for c in currencies)
_INTERVAL_LENGTHS = (timedelta(minutes=15), timedelta(hours=1))


class SpotPriceError(Exception):
    """Day-ahead prices could not be had; the message says which area, day and why."""


class SpotPriceFormatError(SpotPriceError):
    pass


@dataclass(frozen=True, slots=True)
class DayAheadPrices:
    area: str
    day: date
    currency: str
    prices: tuple[SpotPrice, ...]


def area_time_zone(area: str) -> ZoneInfo:
    if area not in PRICE_AREAS:
        raise ValueError(f"unknown price area {area!r}; use one of {', '.join(sorted(PRICE_AREAS))}")
    return ZoneInfo("Europe/Oslo" if area.startswith("NO") else "Europe/Stockholm")


def area_currencies(area: str) -> tuple[str, ...]:
    """Currencies the source publishes `area` in, the area's own first."""
    area_time_zone(area)
    return _CURRENCIES_BY_COUNTRY[area[:2]]


def area_currency(area: str) -> str:
    return area_currencies(area)[0]


def publishes(area: str, currency: str) -> bool:
    return area in PRICE_AREAS and currency in area_currencies(area)


def published_currency(area: str, currency: str | None) -> str:
    published = area_currencies(area)
    if currency is None:
        return published[0]
    if currency not in published:
        raise ValueError(f"{area} prices are published in {', '.join(published)}, not {currency!r}")
    return currency


def parse_day_ahead(body: bytes | str, *, area: str, day: date, currency: str | None = None) -> DayAheadPrices:
    """One day's file; `currency` None means the area's own (NOK for NO areas, SEK for SE areas)."""
    currency = published_currency(area, currency)
    where = f"{area} {day.isoformat()}"
    payload = _intervals(body, where)
    prices = [_parse_interval(item, number, where, currency) for number, item in enumerate(payload, start=1)]
    return _checked_day(prices, area=area, day=day, currency=currency)


def parse_price_file(body: bytes | str, *, area: str, currency: str | None = None) -> list[DayAheadPrices]:
    """A file of one or more whole local days (a published day file, or days joined into one list),
    split by the local day each interval starts in; every day is checked like a published one."""
    currency = published_currency(area, currency)
    zone = area_time_zone(area)
    payload = _intervals(body, area)
    prices = [_parse_interval(item, number, area, currency) for number, item in enumerate(payload, start=1)]
    by_day: dict[date, list[SpotPrice]] = {}
    for price in sorted(prices, key=lambda p: p.start):
        by_day.setdefault(price.start.astimezone(zone).date(), []).append(price)
    return [_checked_day(day_prices, area=area, day=day, currency=currency) for day, day_prices in by_day.items()]


def _intervals(body: bytes | str, where: str) -> list[Any]:
    try:
        # Decimal straight from the JSON text: a float would turn 0.1 into 0.1000000000000000055...
        payload = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise SpotPriceFormatError(f"{where}: the price file is not valid JSON ({error})") from error
    if not isinstance(payload, list) or not payload:
        raise SpotPriceFormatError(f"{where}: expected a non-empty JSON list of intervals")
    return payload


def _checked_day(prices: list[SpotPrice], *, area: str, day: date, currency: str) -> DayAheadPrices:
    zone = area_time_zone(area)
    where = f"{area} {day.isoformat()}"
    day_start = datetime.combine(day, time(0), zone).astimezone(UTC)
    day_end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    if prices[0].start != day_start or prices[-1].end != day_end:
        raise SpotPriceFormatError(
            f"{where}: intervals run {prices[0].start.isoformat()} to {prices[-1].end.isoformat()}, "
            f"not the local day {day_start.isoformat()} to {day_end.isoformat()}"
        )
    length = prices[0].end - prices[0].start
    if length not in _INTERVAL_LENGTHS:
        raise SpotPriceFormatError(f"{where}: intervals of {length} are neither 15 minutes nor an hour")
    for number, (previous, current) in enumerate(pairwise(prices), start=2):
        if current.start != previous.end:
            raise SpotPriceFormatError(f"{where}: interval {number} does not start where the one before ends")
        if current.end - current.start != length:
            raise SpotPriceFormatError(f"{where}: interval {number} is not {length} long like the first")
    return DayAheadPrices(area=area, day=day, currency=currency, prices=tuple(prices))


def _parse_interval(item: Any, number: int, where: str, currency: str) -> SpotPrice:
    key = f"{currency}_per_kWh"
    if not isinstance(item, dict):
        raise SpotPriceFormatError(f"{where}: interval {number} is not an object")
    price = item.get(key)
    if isinstance(price, bool) or not isinstance(price, Decimal | int):
        raise SpotPriceFormatError(f"{where}: interval {number} has no numeric {key}")
    start = _parse_moment(item.get("time_start"), f"{where}: interval {number} time_start")
    end = _parse_moment(item.get("time_end"), f"{where}: interval {number} time_end")
    if end <= start:
        raise SpotPriceFormatError(f"{where}: interval {number} ends before it starts")
    return SpotPrice(start=start, end=end, price_per_kwh=Decimal(price))


def _parse_moment(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise SpotPriceFormatError(f"{what} is missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise SpotPriceFormatError(f"{what} {value!r} is not an ISO 8601 time") from error
    if moment.tzinfo is None:
        raise SpotPriceFormatError(f"{what} {value!r} has no UTC offset")
    return moment.astimezone(UTC)
