"""A cost breakdown as plain JSON: what a finished session stores and what quotes and estimates return.

Amounts are integer minor units (øre); quantities and unit prices are Decimal strings. Every line
carries both its amount excluding VAT (`net`) and including VAT (`gross`), and its unit price in both
bases: the entered one is exact; the other is derived and shown to six decimals.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ladeportal.pricing.breakdown import CostBreakdown, CostLine, PricingWarning
from ladeportal.pricing.money import BASIS_POINTS
from ladeportal.pricing.spot_series import SpotPrice

SNAPSHOT_FORMAT = 1
_DISPLAY = Decimal("0.000001")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def unit_prices(unit_price: Decimal, *, vat_rate_bp: int, includes_vat: bool) -> tuple[Decimal, Decimal]:
    """(excl. VAT, incl. VAT) for a unit price entered in either basis."""
    factor = Decimal(BASIS_POINTS + vat_rate_bp) / BASIS_POINTS
    if includes_vat:
        return _tidy((unit_price / factor).quantize(_DISPLAY, rounding=ROUND_HALF_UP)), unit_price
    return unit_price, _tidy((unit_price * factor).quantize(_DISPLAY, rounding=ROUND_HALF_UP))


def _tidy(value: Decimal) -> Decimal:
    # 2.000000 reads as 2 but 2.50 stays 2.5: trailing zeros carry no meaning in a derived price.
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def line_json(line: CostLine, *, vat_rate_bp: int, includes_vat: bool) -> dict[str, Any]:
    excl, incl = unit_prices(line.unit_price, vat_rate_bp=vat_rate_bp, includes_vat=includes_vat)
    return {
        "kind": line.kind.value,
        "label": line.label,
        "quantity": str(line.quantity),
        "unit": line.unit.value,
        "unit_price": str(line.unit_price),
        "unit_price_excl_vat": str(excl),
        "unit_price_incl_vat": str(incl),
        "net": line.net,
        "vat": line.vat,
        "gross": line.gross,
        "energy_wh": line.energy_wh,
        "period_start": _iso(line.period_start),
        "period_end": _iso(line.period_end),
    }


def warning_json(warning: PricingWarning) -> dict[str, Any]:
    return {
        "code": warning.code.value,
        "message": warning.message,
        "period_start": _iso(warning.period_start),
        "period_end": _iso(warning.period_end),
    }


def breakdown_json(breakdown: CostBreakdown) -> dict[str, Any]:
    rate, includes = breakdown.vat_rate_bp, breakdown.prices_include_vat
    return {
        "currency": breakdown.currency,
        "vat_rate_bp": rate,
        "prices_include_vat": includes,
        "energy_wh": breakdown.energy_wh,
        "net": breakdown.net,
        "vat": breakdown.vat,
        "total": breakdown.total,
        "lines": [line_json(line, vat_rate_bp=rate, includes_vat=includes) for line in breakdown.lines],
        "warnings": [warning_json(w) for w in breakdown.warnings],
        "needs_review": breakdown.needs_review,
    }


def spot_prices_json(prices: list[SpotPrice]) -> list[dict[str, Any]]:
    return [
        {"start": p.start.isoformat(), "end": p.end.isoformat(), "price_per_kwh_excl_vat": str(p.price_per_kwh)}
        for p in prices
    ]
