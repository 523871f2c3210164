"""What the Prices pages show of a plan: its prices in plain words, both including and excluding VAT,
its monthly fee, and its versions (past, current, scheduled)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from ladeportal.i18n import current_language
from ladeportal.pricing.describe import describe_plan
from ladeportal.pricing.money import BASIS_POINTS, MINOR_PER_MAJOR
from ladeportal.pricing.overview import PlanOverview, VersionView
from ladeportal.pricing.plans import (
    EnergyPrice,
    FixedEnergyPrice,
    PlanVersion,
    SpotEnergyPrice,
    TimeOfDayEnergyPrice,
)
from ladeportal.pricing.services import definition_of

# Per-kWh prices may have more decimals than an invoice line; four show any price an owner types.
_SHOWN = Decimal("0.0001")


def describe_locale() -> str:
    """pricing.describe writes bokmål and English; other portal languages read the English."""
    return "nb" if current_language() == "nb" else "en"


def _convert(amount: Decimal, plan: PlanVersion) -> Decimal:
    rate = Decimal(BASIS_POINTS + plan.vat_rate_bp) / BASIS_POINTS
    other = amount / rate if plan.prices_include_vat else amount * rate
    return other.quantize(_SHOWN, rounding=ROUND_HALF_UP).normalize()


def _optional(amount: Decimal | None, plan: PlanVersion) -> Decimal | None:
    return None if amount is None else _convert(amount, plan)


def _energy(energy: EnergyPrice, plan: PlanVersion) -> EnergyPrice:
    if isinstance(energy, FixedEnergyPrice):
        return FixedEnergyPrice(_convert(energy.price_per_kwh, plan))
    if isinstance(energy, TimeOfDayEnergyPrice):
        return TimeOfDayEnergyPrice(
            tuple(replace(b, price_per_kwh=_convert(b.price_per_kwh, plan)) for b in energy.bands)
        )
    assert isinstance(energy, SpotEnergyPrice)
    # The engine adds VAT to the spot price before the factor in a plan entered incl. VAT, so the
    # factor stays and only the amounts in kr change basis.
    return replace(
        energy,
        markup_per_kwh=_convert(energy.markup_per_kwh, plan),
        fallback_per_kwh=_convert(energy.fallback_per_kwh, plan),
        floor_per_kwh=_optional(energy.floor_per_kwh, plan),
        ceiling_per_kwh=_optional(energy.ceiling_per_kwh, plan),
    )


def in_other_basis(plan: PlanVersion) -> PlanVersion:
    """The same plan with every amount excluding VAT if it was entered including it, and vice versa."""
    fee = plan.time_fee
    return replace(
        plan,
        prices_include_vat=not plan.prices_include_vat,
        energy=_energy(plan.energy, plan),
        time_fee=None if fee is None else replace(fee, price_per_hour=_convert(fee.price_per_hour, plan)),
        start_fee=_convert(plan.start_fee, plan),
        minimum_per_session=_optional(plan.minimum_per_session, plan),
        maximum_per_session=_optional(plan.maximum_per_session, plan),
    )


@dataclass(frozen=True)
class VersionRow:
    view: VersionView
    other_basis: str  # the description in the other VAT basis
    currency: str
    monthly_fee_minor: int  # in the entered basis
    monthly_fee_other_minor: int
    prices_include_vat: bool


@dataclass(frozen=True)
class PlanCard:
    overview: PlanOverview
    shown: VersionRow | None  # the version in force, else the first scheduled one
    versions: list[VersionRow]


def version_row(view: VersionView) -> VersionRow:
    definition = definition_of(view.version)
    plan = definition.plan
    monthly = definition.monthly_fee_per_member
    return VersionRow(
        view,
        describe_plan(in_other_basis(plan), describe_locale()),
        plan.currency,
        int(monthly * MINOR_PER_MAJOR),
        int((_convert(monthly, plan) * MINOR_PER_MAJOR).quantize(Decimal(1))),
        plan.prices_include_vat,
    )


def plan_card(overview: PlanOverview) -> PlanCard:
    rows = [version_row(v) for v in overview.versions]
    shown = next((r for r in rows if r.view.status == "current"), None)
    shown = shown or next((r for r in rows if r.view.status == "scheduled"), None)
    return PlanCard(overview, shown, rows)
