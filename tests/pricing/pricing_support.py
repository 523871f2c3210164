"""Shared helpers for the pricing tests: times, the sample spot price files, common plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.spot_price_server import SPOT_FIXTURES

from ladeportal.pricing.plans import EVERY_DAY, PriceBand, TimeOfDayEnergyPrice
from ladeportal.pricing.spot_price_parsing import parse_day_ahead
from ladeportal.pricing.spot_series import SpotPrice

OSLO = ZoneInfo("Europe/Oslo")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def oslo(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=OSLO, fold=fold).astimezone(UTC)  # type: ignore[misc]


def fixture_prices(day: str, area: str = "NO1") -> list[SpotPrice]:
    body = (SPOT_FIXTURES / f"{day}_{area}.json").read_bytes()
    return list(parse_day_ahead(body, area=area, day=date.fromisoformat(day)).prices)


def night_and_day(night: str = "1.00", day: str = "2.00") -> TimeOfDayEnergyPrice:
    return TimeOfDayEnergyPrice(
        (
            PriceBand(EVERY_DAY, time(22), time(6), Decimal(night), "night"),
            PriceBand(EVERY_DAY, time(6), time(22), Decimal(day), "day"),
        )
    )
