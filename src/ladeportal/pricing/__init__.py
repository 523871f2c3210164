"""Pricing: plan versions, the exact cost of a session, plain-language plan descriptions, spot prices.

`price_session` is the one function that turns a plan and a session's meter data into money; the
session-stop code and the quote API both call it. It does no I/O: spot prices are fetched beforehand
with `spot_prices.SpotPriceClient`.
"""

from ladeportal.pricing.breakdown import CostBreakdown, CostLine, LineKind, PricingWarning, Unit, WarningCode
from ladeportal.pricing.describe import describe_plan
from ladeportal.pricing.engine import price_session
from ladeportal.pricing.plans import (
    PRICE_AREAS,
    EnergyPrice,
    FixedEnergyPrice,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    TimeFee,
    TimeOfDayEnergyPrice,
    free_plan,
)
from ladeportal.pricing.spot_series import SpotPrice, SpotPriceSeries
from ladeportal.pricing.validation import InvalidPlan, PlanProblem, validate_plan

__all__ = [
    "PRICE_AREAS",
    "CostBreakdown",
    "CostLine",
    "EnergyPrice",
    "FixedEnergyPrice",
    "InvalidPlan",
    "LineKind",
    "PlanProblem",
    "PlanVersion",
    "PriceBand",
    "PricingWarning",
    "SpotEnergyPrice",
    "SpotPrice",
    "SpotPriceSeries",
    "TimeFee",
    "TimeOfDayEnergyPrice",
    "Unit",
    "WarningCode",
    "describe_plan",
    "free_plan",
    "price_session",
    "validate_plan",
]
