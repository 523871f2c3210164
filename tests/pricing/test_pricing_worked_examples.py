"""Sessions priced by hand from the rules; each expected figure is worked out in the comments."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from pricing_support import fixture_prices, night_and_day, oslo, utc

from ladeportal.pricing import (
    CostBreakdown,
    FixedEnergyPrice,
    LineKind,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    TimeFee,
    TimeOfDayEnergyPrice,
    WarningCode,
    free_plan,
    price_session,
)
from ladeportal.pricing.plans import SATURDAY, SUNDAY, WORKDAYS

D = Decimal


def per_kwh(price: str, *, incl_vat: bool = True, **extra: object) -> PlanVersion:
    return PlanVersion(
        energy=FixedEnergyPrice(D(price)),
        vat_rate_bp=2500,
        prices_include_vat=incl_vat,
        **extra,  # type: ignore[arg-type]
    )


def amounts(breakdown: CostBreakdown) -> list[tuple[str, int, int, int]]:
    return [(line.kind.value, line.net, line.vat, line.gross) for line in breakdown.lines]


def test_plain_per_kwh_incl_vat() -> None:
    # 12.345 kWh × kr 2,50 = kr 30,8625 -> 3086 øre gross; net 3086 / 1.25 = 2468.8 -> 2469, VAT 617.
    breakdown = price_session(
        per_kwh("2.50"),
        meter_readings=[(utc(2025, 6, 2, 17), 1_000_000), (utc(2025, 6, 2, 19), 1_012_345)],
        connected_at=utc(2025, 6, 2, 16, 58),
        disconnected_at=utc(2025, 6, 2, 19, 30),
        time_zone="Europe/Oslo",
    )
    assert breakdown.energy_wh == 12_345
    assert amounts(breakdown) == [("energy", 2469, 617, 3086)]
    line = breakdown.lines[0]
    assert (line.quantity, line.unit_price, line.energy_wh) == (D("12.345"), D("2.50"), 12_345)
    assert (breakdown.net, breakdown.vat, breakdown.total) == (2469, 617, 3086)
    assert breakdown.currency == "NOK"
    assert not breakdown.needs_review


def test_plain_per_kwh_excl_vat() -> None:
    # 12.345 kWh × kr 2,00 = 2469 øre net; VAT 617.25 -> 617; gross 3086.
    breakdown = price_session(
        per_kwh("2.00", incl_vat=False),
        meter_readings=[(utc(2025, 6, 2, 17), 0), (utc(2025, 6, 2, 19), 12_345)],
        connected_at=utc(2025, 6, 2, 17),
        disconnected_at=utc(2025, 6, 2, 19),
        time_zone="Europe/Oslo",
    )
    assert amounts(breakdown) == [("energy", 2469, 617, 3086)]


def test_night_and_day_bands_across_midnight() -> None:
    # Wed 20:00 to Thu 08:00 local (UTC+1), 24 kWh spread evenly: 2 kWh an hour.
    # Day 20-22: 4 kWh × 2 = 800; night 22-06: 16 kWh × 1 = 1600; day 06-08: 4 kWh × 2 = 800.
    breakdown = price_session(
        PlanVersion(energy=night_and_day(), vat_rate_bp=2500, prices_include_vat=True),
        meter_readings=[(oslo(2025, 1, 15, 20), 0), (oslo(2025, 1, 16, 8), 24_000)],
        connected_at=oslo(2025, 1, 15, 20),
        disconnected_at=oslo(2025, 1, 16, 8),
        time_zone="Europe/Oslo",
    )
    assert [(line.label, line.energy_wh, line.gross) for line in breakdown.lines] == [
        ("day", 4000, 800),
        ("night", 16_000, 1600),
        ("day", 4000, 800),
    ]
    night = breakdown.lines[1]
    assert (night.period_start, night.period_end) == (utc(2025, 1, 15, 21), utc(2025, 1, 16, 5))
    assert breakdown.total == 3200


def test_weekday_bands_across_a_month_end_with_interpolated_samples() -> None:
    # Fri 31 Jan 23:00 to Sat 1 Feb 01:00 local. Meter: 3500 Wh in 23:00-23:30, 5000 Wh in 23:30-00:30
    # (half before midnight), 1500 Wh in 00:30-01:00. Friday 3500 + 2500 = 6000 Wh × kr 2 = 1200 øre;
    # Saturday 2500 + 1500 = 4000 Wh × kr 1 = 400 øre.
    plan = PlanVersion(
        energy=TimeOfDayEnergyPrice(
            (
                PriceBand(WORKDAYS, time(0), time(0), D(2), "weekday"),
                PriceBand(frozenset({SATURDAY, SUNDAY}), time(0), time(0), D(1), "weekend"),
            )
        ),
        vat_rate_bp=2500,
        prices_include_vat=True,
    )
    breakdown = price_session(
        plan,
        meter_readings=[
            (oslo(2025, 1, 31, 23), 50_000),
            (oslo(2025, 1, 31, 23, 30), 53_500),
            (oslo(2025, 2, 1, 0, 30), 58_500),
            (oslo(2025, 2, 1, 1), 60_000),
        ],
        connected_at=oslo(2025, 1, 31, 22, 55),
        disconnected_at=oslo(2025, 2, 1, 1, 5),
        time_zone="Europe/Oslo",
    )
    assert [(line.label, line.energy_wh, line.gross) for line in breakdown.lines] == [
        ("weekday", 6000, 1200),
        ("weekend", 4000, 400),
    ]
    assert breakdown.total == 1600


def test_spot_price_session_over_quarter_hours() -> None:
    # Local 18:05-19:05 on 2025-10-27 (UTC+1), spot + kr 0,10 excl. VAT. Meter: 200 Wh/min for the
    # first 30 minutes, 100 Wh/min after. Quarter energy: 2000, 3000, 2000, 1500, 500 Wh.
    # Net = Wh × (spot + 0.10) / 10 øre, VAT 25 % of rounded net:
    #   2000 × 1.02276 = 204.552 -> 205, VAT 51.25 -> 51
    #   3000 × 0.96649 = 289.947 -> 290, VAT 72.5  -> 73
    #   2000 × 1.04565 = 209.13  -> 209, VAT 52.25 -> 52
    #   1500 × 1.05707 = 158.5605 -> 159, VAT 39.75 -> 40
    #    500 × 1.00683 = 50.3415 -> 50, VAT 12.5  -> 13
    plan = PlanVersion(
        energy=SpotEnergyPrice("NO1", fallback_per_kwh=D(2), markup_per_kwh=D("0.10")),
        vat_rate_bp=2500,
        prices_include_vat=False,
    )
    breakdown = price_session(
        plan,
        meter_readings=[
            (utc(2025, 10, 27, 17, 5), 0),
            (utc(2025, 10, 27, 17, 35), 6000),
            (utc(2025, 10, 27, 18, 5), 9000),
        ],
        connected_at=utc(2025, 10, 27, 17, 4),
        disconnected_at=utc(2025, 10, 27, 18, 6),
        time_zone="Europe/Oslo",
        spot_prices=fixture_prices("2025-10-27"),
    )
    assert [line.energy_wh for line in breakdown.lines] == [2000, 3000, 2000, 1500, 500]
    assert [line.unit_price for line in breakdown.lines] == [
        D("1.02276"),
        D("0.96649"),
        D("1.04565"),
        D("1.05707"),
        D("1.00683"),
    ]
    assert [(line.net, line.vat) for line in breakdown.lines] == [(205, 51), (290, 73), (209, 52), (159, 40), (50, 13)]
    assert (breakdown.net, breakdown.vat, breakdown.total) == (913, 229, 1142)
    assert breakdown.lines[0].period_start == utc(2025, 10, 27, 17, 5)
    assert breakdown.lines[1].period_start == utc(2025, 10, 27, 17, 15)
    assert not breakdown.warnings


def test_missing_spot_prices_use_the_fallback_and_ask_for_review() -> None:
    # Local 23:30 on the 27th to 00:30 on the 28th, 2 kWh evenly; only the 27th is published.
    # The two last quarters of the 27th get 500 Wh each at spot × 1.25; the half hour after
    # midnight has no price: 1000 Wh × the fallback kr 3 = 300 øre.
    plan = PlanVersion(energy=SpotEnergyPrice("NO1", fallback_per_kwh=D(3)), vat_rate_bp=2500, prices_include_vat=True)
    prices = fixture_prices("2025-10-27")
    breakdown = price_session(
        plan,
        meter_readings=[(oslo(2025, 10, 27, 23, 30), 0), (oslo(2025, 10, 28, 0, 30), 2000)],
        connected_at=oslo(2025, 10, 27, 23, 30),
        disconnected_at=oslo(2025, 10, 28, 0, 30),
        time_zone="Europe/Oslo",
        spot_prices=prices,
    )
    assert breakdown.needs_review
    assert [w.code for w in breakdown.warnings] == [WarningCode.SPOT_PRICE_MISSING]
    assert (breakdown.warnings[0].period_start, breakdown.warnings[0].period_end) == (
        utc(2025, 10, 27, 23),
        utc(2025, 10, 27, 23, 30),
    )
    fallback = breakdown.lines[-1]
    assert (fallback.energy_wh, fallback.unit_price, fallback.gross) == (1000, D(3), 300)
    quarter_2330, quarter_2345 = prices[94].price_per_kwh, prices[95].price_per_kwh
    assert [line.unit_price for line in breakdown.lines[:2]] == [quarter_2330 * D("1.25"), quarter_2345 * D("1.25")]


def test_idle_fee_after_four_hours() -> None:
    # 10 kWh × kr 2,50 = 2500 øre. Connected 5 h 30 min 20 s; the fee starts after 4 h, so
    # 1 h 30 min 20 s = 91 started minutes × kr 20 / 60 = kr 30,333 -> 3033 øre.
    plan = per_kwh("2.50", time_fee=TimeFee(D(20), grace_minutes=240))
    breakdown = price_session(
        plan,
        meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 12), 10_000)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 15, 30, 20),
        time_zone="Europe/Oslo",
    )
    time_line = breakdown.lines[1]
    assert (time_line.kind, time_line.quantity, time_line.gross) == (LineKind.TIME, D(91), 3033)
    assert breakdown.total == 2500 + 3033


@pytest.mark.parametrize(
    ("disconnected_at", "minutes", "gross"),
    [
        (utc(2025, 5, 5, 14), 0, 0),  # exactly four hours: nothing
        (utc(2025, 5, 5, 14, 0, 1), 1, 33),  # one second over starts a minute: 20/60 kr = 33.3 øre
        (utc(2025, 5, 5, 14, 1), 1, 33),
        (utc(2025, 5, 5, 14, 1, 1), 2, 67),
    ],
)
def test_idle_fee_counts_started_minutes(disconnected_at: object, minutes: int, gross: int) -> None:
    plan = per_kwh("2.50", time_fee=TimeFee(D(20), grace_minutes=240))
    breakdown = price_session(
        plan,
        meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 12), 1000)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=disconnected_at,  # type: ignore[arg-type]
        time_zone="Europe/Oslo",
    )
    time_lines = [line for line in breakdown.lines if line.kind is LineKind.TIME]
    assert sum(int(line.quantity) for line in time_lines) == minutes
    assert sum(line.gross for line in time_lines) == gross


def test_time_fee_only_in_local_daytime_hours() -> None:
    # kr 12 per hour 08-22 local; connected 20:30 to 09:15 next day: 90 + 75 = 165 min -> kr 33.
    plan = per_kwh("0", time_fee=TimeFee(D(12), local_hours=frozenset(range(8, 22))))
    breakdown = price_session(
        plan,
        meter_readings=[(oslo(2025, 1, 15, 20, 30), 0), (oslo(2025, 1, 15, 23), 20_000)],
        connected_at=oslo(2025, 1, 15, 20, 30),
        disconnected_at=oslo(2025, 1, 16, 9, 15),
        time_zone="Europe/Oslo",
    )
    time_line = next(line for line in breakdown.lines if line.kind is LineKind.TIME)
    assert (time_line.quantity, time_line.gross) == (D(165), 3300)


def test_start_fee_is_not_charged_without_energy() -> None:
    plan = per_kwh("2.50", start_fee=D(5))
    breakdown = price_session(
        plan,
        meter_readings=[(utc(2025, 5, 5, 10), 4321), (utc(2025, 5, 5, 11), 4321)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 11),
        time_zone="Europe/Oslo",
    )
    assert breakdown.lines == ()
    assert (breakdown.energy_wh, breakdown.total) == (0, 0)


def test_start_fee_is_charged_for_a_single_wh() -> None:
    # 1 Wh × kr 2,50 = 0.25 øre -> 0; the start fee kr 5 -> 500 øre gross, net 400.
    plan = per_kwh("2.50", start_fee=D(5))
    breakdown = price_session(
        plan,
        meter_readings=[(utc(2025, 5, 5, 10), 4321), (utc(2025, 5, 5, 11), 4322)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 11),
        time_zone="Europe/Oslo",
    )
    assert amounts(breakdown) == [("energy", 0, 0, 0), ("start_fee", 400, 100, 500)]


def test_minimum_per_session_tops_up_incl_vat() -> None:
    # 2 kWh × kr 2 = 400 øre; minimum kr 10 adds 600 (net 480, VAT 120).
    plan = per_kwh("2", minimum_per_session=D(10), maximum_per_session=D(100))
    breakdown = price_session(
        plan,
        meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 11), 2000)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 11),
        time_zone="Europe/Oslo",
    )
    assert amounts(breakdown) == [("energy", 320, 80, 400), ("minimum", 480, 120, 600)]
    assert breakdown.total == 1000


def test_maximum_per_session_caps_incl_vat() -> None:
    # 60 kWh × kr 2 = 12000 øre; maximum kr 100 takes off 2000 (net 1600, VAT 400).
    plan = per_kwh("2", minimum_per_session=D(10), maximum_per_session=D(100))
    breakdown = price_session(
        plan,
        meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 16), 60_000)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 16),
        time_zone="Europe/Oslo",
    )
    assert amounts(breakdown) == [("energy", 9600, 2400, 12000), ("maximum", -1600, -400, -2000)]
    assert (breakdown.net, breakdown.vat, breakdown.total) == (8000, 2000, 10000)


def test_minimum_applies_to_the_net_when_prices_exclude_vat() -> None:
    # 2 kWh × kr 2 = 400 net; the minimum kr 10 excl. VAT adds 600 net + 150 VAT.
    plan = per_kwh("2", incl_vat=False, minimum_per_session=D(10))
    breakdown = price_session(
        plan,
        meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 11), 2000)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 11),
        time_zone="Europe/Oslo",
    )
    assert amounts(breakdown) == [("energy", 400, 100, 500), ("minimum", 600, 150, 750)]
    assert (breakdown.net, breakdown.total) == (1000, 1250)


def test_free_plan_costs_nothing_but_shows_the_energy() -> None:
    breakdown = price_session(
        free_plan(),
        meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 14), 30_000)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 20),
        time_zone="Europe/Oslo",
    )
    assert breakdown.total == 0
    assert [(line.quantity, line.gross) for line in breakdown.lines] == [(D(30), 0)]


def test_a_meter_that_goes_backwards_bills_only_the_forward_steps() -> None:
    # 0 -> 5000, reset to 100, then 100 -> 1100: 6000 Wh billed, flagged.
    breakdown = price_session(
        per_kwh("1"),
        meter_readings=[
            (utc(2025, 5, 5, 10), 0),
            (utc(2025, 5, 5, 11), 5000),
            (utc(2025, 5, 5, 12), 100),
            (utc(2025, 5, 5, 13), 1100),
        ],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 13),
        time_zone="Europe/Oslo",
    )
    assert (breakdown.energy_wh, breakdown.total) == (6000, 600)
    assert [w.code for w in breakdown.warnings] == [WarningCode.METER_WENT_BACKWARDS]


def test_a_single_reading_bills_no_energy_and_is_flagged() -> None:
    breakdown = price_session(
        per_kwh("1", time_fee=TimeFee(D(60))),
        meter_readings=[(utc(2025, 5, 5, 10), 1000)],
        connected_at=utc(2025, 5, 5, 10),
        disconnected_at=utc(2025, 5, 5, 10, 10),
        time_zone="Europe/Oslo",
    )
    assert breakdown.energy_wh == 0
    assert amounts(breakdown) == [("time", 800, 200, 1000)]
    assert [w.code for w in breakdown.warnings] == [WarningCode.TOO_FEW_METER_READINGS]


def test_naive_datetimes_and_unknown_zones_are_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="no time zone"):
        price_session(
            per_kwh("1"),
            meter_readings=[(datetime(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 11), 10)],
            connected_at=utc(2025, 5, 5, 10),
            disconnected_at=utc(2025, 5, 5, 11),
            time_zone="Europe/Oslo",
        )
    with pytest.raises(ValueError, match="unknown time zone"):
        price_session(
            per_kwh("1"),
            meter_readings=[(utc(2025, 5, 5, 10), 0), (utc(2025, 5, 5, 11), 10)],
            connected_at=utc(2025, 5, 5, 10),
            disconnected_at=utc(2025, 5, 5, 11),
            time_zone="Europe/Atlantis",
        )
