"""Plan definitions survive JSON exactly, and malformed ones are refused field by field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pricing_db_support import GUESTS, RESIDENTS, SPOT

from ladeportal.pricing import InvalidPlan
from ladeportal.pricing.plan_codec import plan_from_json, plan_to_json
from ladeportal.pricing.plans import SpotEnergyPrice, TimeOfDayEnergyPrice


def full(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "vat_rate_bp": 2500, "currency": "NOK"}


@pytest.mark.parametrize("data", [RESIDENTS, GUESTS, SPOT])
def test_round_trip_is_exact_and_stable(data: dict[str, Any]) -> None:
    decoded = plan_from_json(full(data))
    encoded = plan_to_json(decoded)
    assert plan_from_json(encoded) == decoded
    assert plan_to_json(plan_from_json(encoded)) == encoded


def test_amounts_stay_decimal_strings() -> None:
    decoded = plan_from_json(full(SPOT))
    assert isinstance(decoded.plan.energy, SpotEnergyPrice)
    assert decoded.plan.energy.markup_per_kwh == Decimal("0.30")
    assert plan_to_json(decoded)["energy"]["markup_per_kwh"] == "0.30"
    residents = plan_from_json(full(RESIDENTS))
    assert isinstance(residents.plan.energy, TimeOfDayEnergyPrice)
    assert residents.monthly_fee_per_member == Decimal(300)


def test_free_is_a_zero_fixed_price() -> None:
    decoded = plan_from_json(full({"prices_include_vat": True, "energy": {"type": "free"}}))
    assert plan_to_json(decoded)["energy"] == {"type": "fixed", "price_per_kwh": "0"}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"energy": {"type": "fixed", "price_per_kwh": 2.5}}, "energy.price_per_kwh", "string"),
        ({"energy": {"type": "fixed", "price_per_kwh": "abc"}}, "energy.price_per_kwh", "not an amount"),
        ({"energy": {"type": "fixed", "price_per_kwh": "-1"}}, "energy.price_per_kwh", "negative"),
        ({"energy": {"type": "magic"}}, "energy.type", "must be one of"),
        ({"energy": {"type": "spot", "area": "NO9", "fallback_per_kwh": "1"}}, "energy.area", "unknown price area"),
        (
            {
                "energy": {
                    "type": "spot",
                    "area": "NO1",
                    "fallback_per_kwh": "1",
                    "floor_per_kwh": "3",
                    "ceiling_per_kwh": "2",
                }
            },
            "energy.floor_per_kwh",
            "above the ceiling",
        ),
        (
            {
                "energy": {
                    "type": "time_of_day",
                    "bands": [
                        {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "12:00", "price_per_kwh": "1"}
                    ],
                }
            },
            "energy.bands",
            "no band covers",
        ),
        (
            {
                "energy": {
                    "type": "time_of_day",
                    "bands": [
                        {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "00:00", "price_per_kwh": "1"},
                        {"weekdays": [0], "start": "08:00", "end": "09:00", "price_per_kwh": "2"},
                    ],
                }
            },
            "energy.bands",
            "overlap",
        ),
        (
            {
                "energy": {
                    "type": "time_of_day",
                    "bands": [{"weekdays": [0], "start": "8 o'clock", "end": "09:00", "price_per_kwh": "2"}],
                }
            },
            "energy.bands[1].start",
            "local time",
        ),
        ({"minimum_per_session": "50", "maximum_per_session": "10"}, "minimum_per_session", "above the maximum"),
        ({"monthly_fee_per_member": "-5"}, "monthly_fee_per_member", "negative"),
        ({"time_fee": {"price_per_hour": "10", "grace_minutes": "soon"}}, "time_fee.grace_minutes", "whole number"),
    ],
)
def test_bad_input_names_the_field(change: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidPlan) as caught:
        plan_from_json(full({**GUESTS, **change}))
    assert caught.value.field == field
    assert words in caught.value.message
