"""Daylight-saving days in Europe/Oslo: 2025-03-30 has 23 hours, 2025-10-26 has 25."""

from __future__ import annotations

from decimal import Decimal

from pricing_support import fixture_prices, night_and_day, oslo, utc

from ladeportal.pricing import FixedEnergyPrice, PlanVersion, SpotEnergyPrice, TimeFee, price_session

D = Decimal
SPOT_INCL_VAT = PlanVersion(
    energy=SpotEnergyPrice("NO1", fallback_per_kwh=D(3)), vat_rate_bp=2500, prices_include_vat=True
)
BANDS = PlanVersion(energy=night_and_day(), vat_rate_bp=2500, prices_include_vat=True)


def test_bands_on_the_23_hour_day() -> None:
    # Local 00:00-08:00 is 7 real hours (02:00-03:00 never happens); 1 kWh an hour.
    # Night 00:00-06:00 = 5 hours -> 5 kWh × kr 1; day 06:00-08:00 = 2 kWh × kr 2. Total 900 øre.
    breakdown = price_session(
        BANDS,
        meter_readings=[(oslo(2025, 3, 30, 0), 0), (oslo(2025, 3, 30, 8), 7000)],
        connected_at=oslo(2025, 3, 30, 0),
        disconnected_at=oslo(2025, 3, 30, 8),
        time_zone="Europe/Oslo",
    )
    assert [(line.label, line.energy_wh, line.gross) for line in breakdown.lines] == [
        ("night", 5000, 500),
        ("day", 2000, 400),
    ]
    assert breakdown.lines[1].period_start == utc(2025, 3, 30, 4)  # 06:00 CEST


def test_bands_on_the_25_hour_day() -> None:
    # Local 00:00-08:00 is 9 real hours (02:00-03:00 happens twice); 1 kWh an hour.
    # Night 7 kWh × kr 1 + day 2 kWh × kr 2 = 1100 øre.
    breakdown = price_session(
        BANDS,
        meter_readings=[(oslo(2025, 10, 26, 0), 0), (oslo(2025, 10, 26, 8), 9000)],
        connected_at=oslo(2025, 10, 26, 0),
        disconnected_at=oslo(2025, 10, 26, 8),
        time_zone="Europe/Oslo",
    )
    assert [(line.label, line.energy_wh, line.gross) for line in breakdown.lines] == [
        ("night", 7000, 700),
        ("day", 2000, 400),
    ]
    assert breakdown.lines[1].period_start == utc(2025, 10, 26, 5)  # 06:00 CET


def test_hourly_spot_prices_on_the_23_hour_day() -> None:
    # 23:30Z (00:30 local) to 02:30Z (04:30 local), 2 kWh an hour. The interval 01:00-03:00 local is
    # one real hour. Gross = Wh × spot × 1.25 / 10:
    #   1000 × 0.3338  -> 41.725  -> 42     2000 × 0.32677 -> 81.6925 -> 82
    #   2000 × 0.3506  -> 87.65   -> 88     1000 × 0.33781 -> 42.22625 -> 42
    breakdown = price_session(
        SPOT_INCL_VAT,
        meter_readings=[(utc(2025, 3, 29, 23, 30), 0), (utc(2025, 3, 30, 2, 30), 6000)],
        connected_at=utc(2025, 3, 29, 23, 30),
        disconnected_at=utc(2025, 3, 30, 2, 30),
        time_zone="Europe/Oslo",
        spot_prices=fixture_prices("2025-03-30"),
    )
    assert [(line.energy_wh, line.gross) for line in breakdown.lines] == [
        (1000, 42),
        (2000, 82),
        (2000, 88),
        (1000, 42),
    ]
    assert [line.net for line in breakdown.lines] == [34, 66, 70, 34]
    assert (breakdown.net, breakdown.vat, breakdown.total) == (204, 50, 254)
    assert not breakdown.warnings


def test_quarter_hour_spot_prices_on_the_25_hour_day() -> None:
    # 01:30 CEST to 03:30 CET is 3 real hours = 12 quarters (indexes 6-17 of the 100), 1 kWh each.
    # Gross = 1000 × spot × 1.25 / 10 = 125 × spot øre:
    #   39.00125 36.2675 37.8225 35.81375 38.735 39.26375   (02:00-03:00 CEST)
    #   38.20375 39.6175 37.12   38.9475  38.6175 38.74     (02:00-03:00 CET, 03:00-03:30)
    #   -> 39 36 38 36 39 39 38 40 37 39 39 39 = 459
    prices = fixture_prices("2025-10-26")
    breakdown = price_session(
        SPOT_INCL_VAT,
        meter_readings=[(oslo(2025, 10, 26, 1, 30), 0), (oslo(2025, 10, 26, 3, 30), 12_000)],
        connected_at=oslo(2025, 10, 26, 1, 30),
        disconnected_at=oslo(2025, 10, 26, 3, 30),
        time_zone="Europe/Oslo",
        spot_prices=prices,
    )
    assert [line.gross for line in breakdown.lines] == [39, 36, 38, 36, 39, 39, 38, 40, 37, 39, 39, 39]
    assert [line.period_start for line in breakdown.lines] == [p.start for p in prices[6:18]]
    assert {line.energy_wh for line in breakdown.lines} == {1000}
    assert breakdown.total == 459


def test_a_time_fee_in_the_repeated_hour_counts_it_twice() -> None:
    # The fee runs only in local hour 02; on 2025-10-26 that hour happens twice: 120 min × kr 1.
    plan = PlanVersion(
        energy=FixedEnergyPrice(D(0)),
        vat_rate_bp=2500,
        prices_include_vat=True,
        time_fee=TimeFee(D(60), local_hours=frozenset({2})),
    )
    breakdown = price_session(
        plan,
        meter_readings=[(oslo(2025, 10, 26, 0), 0), (oslo(2025, 10, 26, 6), 1000)],
        connected_at=oslo(2025, 10, 26, 0),
        disconnected_at=oslo(2025, 10, 26, 6),
        time_zone="Europe/Oslo",
    )
    assert [(line.kind.value, line.quantity, line.gross) for line in breakdown.lines][-1] == ("time", D(120), 12000)


def test_a_time_fee_in_the_skipped_hour_charges_nothing() -> None:
    plan = PlanVersion(
        energy=FixedEnergyPrice(D(0)),
        vat_rate_bp=2500,
        prices_include_vat=True,
        time_fee=TimeFee(D(60), local_hours=frozenset({2})),
    )
    breakdown = price_session(
        plan,
        meter_readings=[(oslo(2025, 3, 30, 0), 0), (oslo(2025, 3, 30, 6), 1000)],
        connected_at=oslo(2025, 3, 30, 0),
        disconnected_at=oslo(2025, 3, 30, 6),
        time_zone="Europe/Oslo",
    )
    assert [line.kind.value for line in breakdown.lines] == ["energy"]
