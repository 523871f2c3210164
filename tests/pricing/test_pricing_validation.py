"""Plans that must be refused, with messages an owner can act on."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from pricing_support import night_and_day, utc

from ladeportal.errors import ValidationFailed
from ladeportal.pricing import (
    FixedEnergyPrice,
    InvalidPlan,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    TimeFee,
    TimeOfDayEnergyPrice,
    price_session,
    validate_plan,
)
from ladeportal.pricing.plans import EVERY_DAY, WORKDAYS

D = Decimal


def plan(**changes: object) -> PlanVersion:
    fields: dict[str, object] = {"energy": FixedEnergyPrice(D("2.50")), "vat_rate_bp": 2500, "prices_include_vat": True}
    fields.update(changes)
    return PlanVersion(**fields)  # type: ignore[arg-type]


def problems(candidate: PlanVersion) -> list[tuple[str, str]]:
    with pytest.raises(InvalidPlan) as raised:
        validate_plan(candidate)
    return [(p.field, p.message) for p in raised.value.problems]


def test_a_sound_plan_passes() -> None:
    validate_plan(plan(energy=night_and_day(), time_fee=TimeFee(D(20), grace_minutes=240), start_fee=D(5)))
    validate_plan(plan(energy=SpotEnergyPrice("SE3", D(3), floor_per_kwh=D(1), ceiling_per_kwh=D(1))))


def test_invalid_plan_is_a_domain_validation_error_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate_plan(plan(start_fee=D(-1)))
    assert raised.value.field == "start_fee"
    assert "must not be negative" in raised.value.message


@pytest.mark.parametrize(
    ("candidate", "field"),
    [
        (plan(energy=FixedEnergyPrice(D("-0.01"))), "energy.price_per_kwh"),
        (plan(start_fee=D(-5)), "start_fee"),
        (plan(time_fee=TimeFee(D(-20))), "time_fee.price_per_hour"),
        (plan(minimum_per_session=D(-1)), "minimum_per_session"),
        (plan(energy=SpotEnergyPrice("NO1", D(-1))), "energy.fallback_per_kwh"),
        (plan(energy=SpotEnergyPrice("NO1", D(1), markup_per_kwh=D("-0.1"))), "energy.markup_per_kwh"),
    ],
)
def test_negative_prices_are_refused(candidate: PlanVersion, field: str) -> None:
    assert [f for f, _ in problems(candidate)] == [field]


def test_overlapping_bands_name_the_bands_and_the_time() -> None:
    bands = TimeOfDayEnergyPrice(
        (
            PriceBand(EVERY_DAY, time(0), time(7), D(1)),
            PriceBand(EVERY_DAY, time(6), time(0), D(2)),
        )
    )
    found = problems(plan(energy=bands))
    assert len(found) == 7  # one overlap a day
    assert ("energy.bands", "bands 1 and 2 overlap on Mon 06:00-07:00; each minute needs exactly one band") in found


def test_gappy_bands_name_the_gap() -> None:
    bands = TimeOfDayEnergyPrice((PriceBand(WORKDAYS, time(0), time(0), D(1)),))
    assert problems(plan(energy=bands)) == [
        ("energy.bands", "no band covers Sat 00:00 to Mon 00:00; bands must cover the whole week")
    ]


def test_a_night_band_wraps_into_the_next_day() -> None:
    bands = TimeOfDayEnergyPrice(
        (
            PriceBand(EVERY_DAY, time(22), time(6), D(1)),
            PriceBand(EVERY_DAY - {6}, time(6), time(22), D(2)),
        )
    )
    assert problems(plan(energy=bands)) == [
        ("energy.bands", "no band covers Sun 06:00-22:00; bands must cover the whole week")
    ]


def test_bands_need_whole_minutes_and_weekdays() -> None:
    bands = TimeOfDayEnergyPrice(
        (
            PriceBand(EVERY_DAY, time(0, 0, 30), time(0), D(1)),
            PriceBand(frozenset({7}), time(0), time(0), D(1)),
        )
    )
    fields = [f for f, _ in problems(plan(energy=bands))]
    assert fields[:2] == ["energy.bands[1]", "energy.bands[2].weekdays"]


@pytest.mark.parametrize("area", ["NO6", "SE5", "DK1", "no1", ""])
def test_unknown_price_areas_are_refused(area: str) -> None:
    assert [f for f, _ in problems(plan(energy=SpotEnergyPrice(area, D(3))))] == ["energy.area"]


def test_floor_above_ceiling_is_refused() -> None:
    found = problems(plan(energy=SpotEnergyPrice("NO2", D(3), floor_per_kwh=D(2), ceiling_per_kwh=D(1))))
    assert found == [("energy.floor_per_kwh", "floor 2 is above the ceiling 1")]


def test_minimum_above_maximum_is_refused() -> None:
    found = problems(plan(minimum_per_session=D(50), maximum_per_session=D(40)))
    assert found == [("minimum_per_session", "minimum 50 is above the maximum 40")]


@pytest.mark.parametrize(
    ("candidate", "field"),
    [
        (plan(vat_rate_bp=-1), "vat_rate_bp"),
        (plan(vat_rate_bp=10_001), "vat_rate_bp"),
        (plan(currency="USD"), "currency"),
        (plan(time_fee=TimeFee(D(1), grace_minutes=-5)), "time_fee.grace_minutes"),
        (plan(time_fee=TimeFee(D(1), local_hours=frozenset({24}))), "time_fee.local_hours"),
        (plan(energy=TimeOfDayEnergyPrice(())), "energy.bands"),
        (plan(start_fee=D("NaN")), "start_fee"),
    ],
)
def test_other_bad_fields(candidate: PlanVersion, field: str) -> None:
    assert field in [f for f, _ in problems(candidate)]


def test_every_problem_is_reported_at_once() -> None:
    found = problems(plan(currency="USD", start_fee=D(-1), energy=SpotEnergyPrice("XX1", D(3))))
    assert [f for f, _ in found] == ["currency", "start_fee", "energy.area"]


def test_the_engine_refuses_an_invalid_plan() -> None:
    with pytest.raises(InvalidPlan):
        price_session(
            plan(energy=FixedEnergyPrice(D(-1))),
            meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 11), 10)],
            connected_at=utc(2025, 5, 5, 10),
            disconnected_at=utc(2025, 5, 5, 11),
            time_zone="Europe/Oslo",
        )


@pytest.mark.parametrize("field", ["start_fee", "minimum_per_session", "maximum_per_session"])
def test_per_session_amounts_are_whole_ore(field: str) -> None:
    assert problems(plan(**{field: D("10.005")})) == [(field, "must be whole øre (at most two decimals), got 10.005")]
    validate_plan(plan(**{field: D("10.50")}))
