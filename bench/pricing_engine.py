"""Price many finished sessions and print the rate.

    .venv/bin/python bench/pricing_engine.py                 # 100,000 sessions, 60 meter samples each
    .venv/bin/python bench/pricing_engine.py --sessions 5000 --plan bands

Sessions are synthetic and reproducible (fixed seed): 1-12 hours across a year in Europe/Oslo,
daylight-saving days included. The spot plan prices against quarter-hour prices for the whole year,
built once, as the session-stop job would hold them.
"""

from __future__ import annotations

import argparse
import gc
import time as clock
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from random import Random

from ladeportal.pricing import (
    FixedEnergyPrice,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    SpotPrice,
    SpotPriceSeries,
    TimeFee,
    TimeOfDayEnergyPrice,
    price_session,
)
from ladeportal.pricing.plans import EVERY_DAY, WEEKEND, WORKDAYS

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
D = Decimal
IDLE_FEE = TimeFee(D(20), grace_minutes=240)
PLANS = {
    "fixed": PlanVersion(FixedEnergyPrice(D("2.50")), 2500, True, time_fee=IDLE_FEE, start_fee=D(5)),
    "bands": PlanVersion(
        TimeOfDayEnergyPrice(
            (
                PriceBand(EVERY_DAY, time(22), time(6), D("1.50"), "night"),
                PriceBand(WORKDAYS, time(6), time(22), D("3.00"), "day"),
                PriceBand(WEEKEND, time(6), time(22), D("2.25"), "weekend"),
            )
        ),
        2500,
        True,
        time_fee=IDLE_FEE,
        maximum_per_session=D(400),
    ),
    "spot": PlanVersion(
        SpotEnergyPrice("NO1", D(3), markup_per_kwh=D("0.35"), floor_per_kwh=D("0.50")),
        2500,
        True,
        time_fee=IDLE_FEE,
        minimum_per_session=D(10),
    ),
}


def year_of_quarter_prices(rng: Random) -> SpotPriceSeries:
    quarter = timedelta(minutes=15)
    return SpotPriceSeries(
        SpotPrice(YEAR_START + i * quarter, YEAR_START + (i + 1) * quarter, D(rng.randrange(0, 250_000)).scaleb(-5))
        for i in range(366 * 96)
    )


def synthetic_sessions(count: int, samples: int, rng: Random) -> list[tuple[list[tuple[datetime, int]], datetime]]:
    sessions = []
    for _ in range(count):
        start = YEAR_START + timedelta(seconds=rng.randrange(0, 364 * 86400))
        step = timedelta(seconds=rng.randrange(60, 720))  # 1-12 hours over `samples` readings
        wh = rng.randrange(0, 50_000_000)
        readings = []
        for index in range(samples):
            readings.append((start + index * step, wh))
            wh += rng.randrange(0, 300)
        sessions.append((readings, readings[-1][0] + timedelta(minutes=rng.randrange(0, 600))))
    return sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--plan", choices=sorted(PLANS), default="spot")
    args = parser.parse_args()

    rng = Random(20251026)
    spot = year_of_quarter_prices(rng)
    sessions = synthetic_sessions(args.sessions, args.samples, rng)
    plan = PLANS[args.plan]
    # The inputs are millions of long-lived objects a real job would not hold at once; keep the
    # cyclic garbage collector from rescanning them so the figure measures pricing.
    gc.collect()
    gc.freeze()

    started = clock.perf_counter()
    total_ore = 0
    lines = 0
    for readings, disconnected_at in sessions:
        breakdown = price_session(
            plan,
            meter_readings=readings,
            connected_at=readings[0][0],
            disconnected_at=disconnected_at,
            time_zone="Europe/Oslo",
            spot_prices=spot,
        )
        total_ore += breakdown.total
        lines += len(breakdown.lines)
    elapsed = clock.perf_counter() - started

    print(
        f"plan={args.plan} sessions={args.sessions} samples={args.samples} lines={lines} "
        f"total=NOK {total_ore / 100:,.2f} elapsed={elapsed:.2f}s rate={args.sessions / elapsed:,.0f} sessions/s"
    )


if __name__ == "__main__":
    main()
