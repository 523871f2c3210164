"""Money arithmetic: Decimal in, integer minor units (øre) out.

Rounding rule: every line is rounded on its own, ROUND_HALF_UP (half an øre goes away from zero), and
totals are sums of rounded lines, so a breakdown always reconciles to the øre. VAT is split off a line
after the line is rounded, so net + VAT == gross holds for every single line.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

# Every currency we sell in has two decimals; a currency with other minor units would need a table here.
SUPPORTED_CURRENCIES = frozenset({"NOK", "SEK", "EUR", "DKK"})
MINOR_PER_MAJOR = 100
BASIS_POINTS = 10_000

_ONE = Decimal(1)


def round_minor(amount_minor: Decimal) -> int:
    """Round an exact amount in minor units to a whole minor unit, half away from zero."""
    return int(amount_minor.quantize(_ONE, rounding=ROUND_HALF_UP))


class LineAmounts(NamedTuple):
    net: int
    vat: int
    gross: int


def split_vat(amount_minor: Decimal, *, vat_rate_bp: int, includes_vat: bool) -> LineAmounts:
    """Turn one line's exact amount (in the basis the prices were entered in) into net, VAT and gross.

    The entered amount is rounded first, so the figure the owner typed is the one that is billed:
    kr 2,50 incl. VAT for one kWh bills exactly 250 øre gross, not 249 or 251 after a round trip.
    """
    entered = round_minor(amount_minor)
    if includes_vat:
        net = _divide_half_up(entered * BASIS_POINTS, BASIS_POINTS + vat_rate_bp)
        return LineAmounts(net=net, vat=entered - net, gross=entered)
    vat = _divide_half_up(entered * vat_rate_bp, BASIS_POINTS)
    return LineAmounts(net=entered, vat=vat, gross=entered + vat)


def _divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, like ROUND_HALF_UP, in integers (fast)."""
    quotient = (2 * abs(numerator) + denominator) // (2 * denominator)
    return quotient if numerator >= 0 else -quotient
