"""Plans in plain words."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from pricing_support import night_and_day

from ladeportal.pricing import (
    FixedEnergyPrice,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    TimeFee,
    TimeOfDayEnergyPrice,
    describe_plan,
    free_plan,
)
from ladeportal.pricing.plans import WEEKEND, WORKDAYS

D = Decimal
IDLE_PLAN = PlanVersion(
    energy=FixedEnergyPrice(D("2.50")),
    vat_rate_bp=2500,
    prices_include_vat=True,
    time_fee=TimeFee(D(20), grace_minutes=240),
)


def test_per_kwh_with_idle_fee_in_norwegian() -> None:
    assert describe_plan(IDLE_PLAN) == "kr 2,50 per kWh inkl. mva, kr 20 per time etter 4 timer"


def test_per_kwh_with_idle_fee_in_english() -> None:
    assert describe_plan(IDLE_PLAN, "en") == "NOK 2.50 per kWh incl. VAT, NOK 20 per hour after 4 hours"


def test_bands_fees_and_limits() -> None:
    plan = PlanVersion(
        energy=night_and_day("1.5", "2.5"),
        vat_rate_bp=2500,
        prices_include_vat=False,
        start_fee=D(5),
        maximum_per_session=D(300),
        time_fee=TimeFee(D("12.5"), grace_minutes=90, local_hours=frozenset(range(8, 22))),
    )
    assert describe_plan(plan, "nb_NO") == (
        "kr 1,50 per kWh alle dager 22:00–06:00 (night), kr 2,50 per kWh alle dager 06:00–22:00 (day) eks. mva, "
        "kr 12,50 per time etter 90 minutter kl. 08:00–22:00, startavgift kr 5, høyst kr 300 per lading"
    )


def test_weekday_ranges_are_compressed() -> None:
    plan = PlanVersion(
        energy=TimeOfDayEnergyPrice(
            (PriceBand(WORKDAYS, time(0), time(0), D(2)), PriceBand(WEEKEND, time(0), time(0), D("1.25")))
        ),
        vat_rate_bp=2500,
        prices_include_vat=True,
    )
    assert describe_plan(plan, "en") == (
        "NOK 2 per kWh Mon–Fri 00:00–24:00, NOK 1.25 per kWh Sat–Sun 00:00–24:00 incl. VAT"
    )


def test_spot_plan() -> None:
    plan = PlanVersion(
        energy=SpotEnergyPrice(
            "NO1", D(3), factor=D("1.1"), markup_per_kwh=D("0.5"), floor_per_kwh=D("0.2"), ceiling_per_kwh=D(5)
        ),
        vat_rate_bp=2500,
        prices_include_vat=True,
        minimum_per_session=D(10),
    )
    assert describe_plan(plan) == (
        "spotpris (NO1) × 1,1 + kr 0,50 per kWh, minst kr 0,20 per kWh, høyst kr 5 per kWh inkl. mva, "
        "minst kr 10 per lading"
    )
    assert describe_plan(plan, "en").startswith("spot price (NO1) × 1.1 + NOK 0.50 per kWh, at least NOK 0.20")


def test_free_plan() -> None:
    assert describe_plan(free_plan()) == "Gratis lading"
    assert describe_plan(free_plan(), "en") == "Free charging"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no plan description"):
        describe_plan(IDLE_PLAN, "de")
