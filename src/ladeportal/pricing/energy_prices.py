"""The per-kWh price timeline of a plan: which price applies to which stretch of a session."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ladeportal.pricing.money import BASIS_POINTS
from ladeportal.pricing.plans import (
    EnergyPrice,
    FixedEnergyPrice,
    SpotEnergyPrice,
    TimeOfDayEnergyPrice,
)
from ladeportal.pricing.spot_series import SpotPriceSeries
from ladeportal.pricing.timeline import WeekRule
from ladeportal.pricing.validation import band_week_minutes


@dataclass(frozen=True, slots=True)
class PricedPeriod:
    start_us: int
    end_us: int
    price_per_kwh: Decimal  # in the plan's entered basis (incl. or excl. VAT)
    label: str = ""
    is_fallback: bool = False


@lru_cache(maxsize=256)
def band_rule(energy: TimeOfDayEnergyPrice) -> WeekRule[int]:
    """Band index for every minute of the week; built once per plan, as the bands are validated."""
    owner = [-1] * (7 * 1440)
    for index, band in enumerate(energy.bands):
        for minute in band_week_minutes(band):
            owner[minute] = index
    return WeekRule(owner)


@lru_cache(maxsize=16)
def _vat_multiplier(vat_rate_bp: int) -> Decimal:
    return Decimal(BASIS_POINTS + vat_rate_bp) / BASIS_POINTS


def spot_unit_price(energy: SpotEnergyPrice, spot_per_kwh: Decimal, *, vat_rate_bp: int, includes_vat: bool) -> Decimal:
    price = spot_per_kwh * _vat_multiplier(vat_rate_bp) if includes_vat else spot_per_kwh
    price = price * energy.factor + energy.markup_per_kwh
    if energy.floor_per_kwh is not None and price < energy.floor_per_kwh:
        price = energy.floor_per_kwh
    if energy.ceiling_per_kwh is not None and price > energy.ceiling_per_kwh:
        price = energy.ceiling_per_kwh
    return price


def priced_periods(
    energy: EnergyPrice,
    start_us: int,
    end_us: int,
    *,
    zone_key: str,
    spot: SpotPriceSeries,
    vat_rate_bp: int,
    includes_vat: bool,
) -> list[PricedPeriod]:
    """Consecutive periods covering [start_us, end_us), each with one price per kWh."""
    if isinstance(energy, FixedEnergyPrice):
        return [PricedPeriod(start_us, end_us, energy.price_per_kwh)]
    if isinstance(energy, TimeOfDayEnergyPrice):
        bands = energy.bands
        return [
            PricedPeriod(start, end, bands[index].price_per_kwh, bands[index].label)
            for start, end, index in band_rule(energy).runs(zone_key, start_us, end_us)
        ]
    periods: list[PricedPeriod] = []
    cursor = start_us
    for interval_start, interval_end, spot_price in spot.covering(start_us, end_us):
        if interval_start > cursor:
            periods.append(PricedPeriod(cursor, interval_start, energy.fallback_per_kwh, is_fallback=True))
        stop = min(interval_end, end_us)
        price = spot_unit_price(energy, spot_price, vat_rate_bp=vat_rate_bp, includes_vat=includes_vat)
        periods.append(PricedPeriod(max(cursor, interval_start), stop, price))
        cursor = stop
    if cursor < end_us:
        periods.append(PricedPeriod(cursor, end_us, energy.fallback_per_kwh, is_fallback=True))
    return periods
