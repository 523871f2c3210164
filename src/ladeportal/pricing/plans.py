"""A price plan version: what a user group pays, as immutable values the cost engine reads.

A plan version never changes once sessions are priced with it; a price change is a new version that
takes effect from a date (the caller picks the version in force when the session started). All prices
are in major units (kr) as Decimal, entered either including or excluding VAT (`prices_include_vat`),
and that basis applies to every price in the plan, the spot markup, floor, ceiling and fallback too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal

PRICE_AREAS = frozenset({"NO1", "NO2", "NO3", "NO4", "NO5", "SE1", "SE2", "SE3", "SE4"})

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
EVERY_DAY = frozenset(range(7))
WORKDAYS = frozenset(range(5))
WEEKEND = frozenset({SATURDAY, SUNDAY})

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FixedEnergyPrice:
    price_per_kwh: Decimal


@dataclass(frozen=True, slots=True)
class PriceBand:
    """A price from `start` to `end` local wall-clock time on each of `weekdays` (0 = Monday).

    `end` is exclusive; a band whose end is not after its start runs past midnight into the next day
    (22:00-06:00 on Friday covers Friday night and Saturday morning), and start == end is 24 hours.
    """

    weekdays: frozenset[int]
    start: time
    end: time
    price_per_kwh: Decimal
    label: str = ""


@dataclass(frozen=True, slots=True)
class TimeOfDayEnergyPrice:
    """Bands that together cover every minute of the week exactly once."""

    bands: tuple[PriceBand, ...]


@dataclass(frozen=True, slots=True)
class SpotEnergyPrice:
    """Day-ahead spot price of `area` × `factor` + `markup_per_kwh`, clamped to floor/ceiling.

    Spot prices are published without VAT; for a plan entered incl. VAT the spot price gets VAT added
    before the factor and markup, so every term is in the plan's basis. `fallback_per_kwh` is charged
    for any period without a published price, and the breakdown is flagged for review.
    """

    area: str
    fallback_per_kwh: Decimal
    factor: Decimal = Decimal(1)
    markup_per_kwh: Decimal = _ZERO
    floor_per_kwh: Decimal | None = None
    ceiling_per_kwh: Decimal | None = None


EnergyPrice = FixedEnergyPrice | TimeOfDayEnergyPrice | SpotEnergyPrice


@dataclass(frozen=True, slots=True)
class TimeFee:
    """A fee per hour of connection, billed per started minute.

    Only time after `grace_minutes` from connection start counts (0 = the whole connection), and if
    `local_hours` is given only time within those local hours (0-23, e.g. 8..21 for a daytime parking
    fee). Started minutes are counted over the total chargeable time, not per stretch.
    """

    price_per_hour: Decimal
    grace_minutes: int = 0
    local_hours: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class PlanVersion:
    energy: EnergyPrice
    vat_rate_bp: int
    prices_include_vat: bool
    currency: str = "NOK"
    time_fee: TimeFee | None = None
    start_fee: Decimal = _ZERO
    minimum_per_session: Decimal | None = None
    maximum_per_session: Decimal | None = None
    name: str = field(default="", compare=False)


def free_plan(*, vat_rate_bp: int = 2500, currency: str = "NOK") -> PlanVersion:
    return PlanVersion(
        energy=FixedEnergyPrice(_ZERO), vat_rate_bp=vat_rate_bp, prices_include_vat=True, currency=currency
    )
