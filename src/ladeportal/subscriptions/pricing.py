"""What a quarter costs: the pure price calculation of a plan, shared by the owner's preview and the run.

Prices are per unit (charger or connector) and month, net of VAT; a quarter is three months. Tiers are
GRADUATED: each unit pays the price of the tier it falls in (units 1-10 at the first price, 11-50 at the
second, ...). The minimum applies to the quarter's base charge: when the tiers add up to less, one line
tops it up. Units added during the previous quarter (plans that prorate) pay their share of it on a
separate line, at the price of the tier the organisation's last unit falls in, by the days they were
there. VAT is added per line, rounded half up, exactly as Stripe adds an exclusive tax rate, so the
preview equals the invoice to the øre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MONTHS_PER_QUARTER = 3
MAX_UNIT_PRICE_MINOR = 10_000_000  # 100 000 kr per unit and month
MAX_TIERS = 10


@dataclass(frozen=True)
class Tier:
    up_to: int | None  # the last unit of this tier; None for the open-ended last tier
    unit_price_minor: int  # per unit and month, net


@dataclass(frozen=True)
class Added:
    """Units that came during the previous quarter and were there `days` of its `quarter_days`."""

    units: int
    days: int
    quarter_days: int


@dataclass(frozen=True)
class Line:
    key: str  # stable within an invoice: "tier-1", "minimum", "prorate-1"
    kind: str  # tier, minimum, prorate
    units: int
    unit_price_minor: int  # per month (tier, prorate); the top-up for the minimum
    first_unit: int  # tier lines: the range of units; prorate: days there
    last_unit: int  # tier lines; prorate: days in the quarter
    net_minor: int
    vat_minor: int

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Quote:
    lines: tuple[Line, ...]
    currency: str
    vat_rate_bp: int

    @property
    def net_minor(self) -> int:
        return sum(line.net_minor for line in self.lines)

    @property
    def vat_minor(self) -> int:
        return sum(line.vat_minor for line in self.lines)

    @property
    def total_minor(self) -> int:
        return self.net_minor + self.vat_minor


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def vat_of(net_minor: int, vat_rate_bp: int) -> int:
    return _half_up(net_minor * vat_rate_bp, 10_000)


def tiers_of(raw: Sequence[dict[str, Any]]) -> tuple[Tier, ...]:
    return tuple(Tier(t.get("up_to"), int(t["unit_price_minor"])) for t in raw)


def marginal_price(tiers: Sequence[Tier], quantity: int) -> int:
    for tier in tiers:
        if tier.up_to is None or max(quantity, 1) <= tier.up_to:
            return tier.unit_price_minor
    return tiers[-1].unit_price_minor


def quarter_quote(
    tiers: Sequence[Tier],
    quantity: int,
    *,
    minimum_quarter_minor: int,
    currency: str,
    vat_rate_bp: int,
    added: Sequence[Added] = (),
) -> Quote:
    lines: list[Line] = []
    below = 0
    for number, tier in enumerate(tiers, start=1):
        top = quantity if tier.up_to is None else min(quantity, tier.up_to)
        units = top - below
        if units > 0:
            net = units * tier.unit_price_minor * MONTHS_PER_QUARTER
            lines.append(
                Line(
                    f"tier-{number}",
                    "tier",
                    units,
                    tier.unit_price_minor,
                    below + 1,
                    top,
                    net,
                    vat_of(net, vat_rate_bp),
                )
            )
            below = top
        if tier.up_to is None or below >= quantity:
            break
    base = sum(line.net_minor for line in lines)
    if base < minimum_quarter_minor:
        top_up = minimum_quarter_minor - base
        lines.append(Line("minimum", "minimum", 0, top_up, 0, 0, top_up, vat_of(top_up, vat_rate_bp)))
    price = marginal_price(tiers, quantity)
    for number, share in enumerate(added, start=1):
        if share.units <= 0 or share.days <= 0:
            continue
        days = min(share.days, share.quarter_days)
        net = _half_up(share.units * price * MONTHS_PER_QUARTER * days, share.quarter_days)
        lines.append(
            Line(
                f"prorate-{number}",
                "prorate",
                share.units,
                price,
                days,
                share.quarter_days,
                net,
                vat_of(net, vat_rate_bp),
            )
        )
    return Quote(tuple(lines), currency, vat_rate_bp)
