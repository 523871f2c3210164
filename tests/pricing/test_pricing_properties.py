"""Properties of allocation and cost that must hold for any session and any valid plan."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from ladeportal.pricing import (
    CostBreakdown,
    FixedEnergyPrice,
    LineKind,
    PlanVersion,
    PriceBand,
    SpotEnergyPrice,
    SpotPrice,
    SpotPriceSeries,
    TimeFee,
    TimeOfDayEnergyPrice,
    price_session,
)
from ladeportal.pricing.allocation import EnergyCurve
from ladeportal.pricing.money import split_vat
from ladeportal.pricing.plans import EVERY_DAY
from ladeportal.pricing.timeline import to_us

QUARTER = timedelta(minutes=15)
DST_DAYS = [datetime(2025, 3, 29, 22, tzinfo=UTC), datetime(2025, 10, 25, 22, tzinfo=UTC)]
ZONES = ["Europe/Oslo", "Europe/Stockholm", "America/New_York", "UTC"]

prices = st.integers(0, 60_000).map(lambda n: Decimal(n).scaleb(-4))  # kr 0 - 6, four decimals
amounts = st.integers(0, 20_000).map(lambda n: Decimal(n).scaleb(-2))  # kr 0 - 200, whole øre
starts = st.one_of(
    st.datetimes(datetime(2024, 12, 1), datetime(2026, 1, 31)).map(lambda d: d.replace(tzinfo=UTC)),
    st.builds(lambda day, minutes: day + timedelta(minutes=minutes), st.sampled_from(DST_DAYS), st.integers(0, 600)),
)


@st.composite
def sessions(draw: st.DrawFn) -> list[tuple[datetime, int]]:
    at = draw(starts)
    wh = draw(st.integers(0, 10**7))
    readings = [(at, wh)]
    for _ in range(draw(st.integers(1, 25))):
        # Now and then two readings share a timestamp (a Transaction.Begin sample and a periodic one),
        # at the start, in the middle or at the end of the session.
        if draw(st.integers(0, 5)):
            at += timedelta(seconds=draw(st.integers(1, 3 * 3600)), microseconds=draw(st.integers(0, 999_999)))
        wh += draw(st.integers(0, 15_000))
        readings.append((at, wh))
    if readings[-1][0] == readings[0][0]:
        readings.append((at + timedelta(seconds=draw(st.integers(1, 3 * 3600))), wh + draw(st.integers(0, 15_000))))
    return readings


@st.composite
def band_prices(draw: st.DrawFn) -> TimeOfDayEnergyPrice:
    edges = sorted(draw(st.sets(st.integers(0, 24 * 60 - 1), min_size=1, max_size=5)))
    bands = []
    for index, edge in enumerate(edges):
        end = edges[(index + 1) % len(edges)]
        bands.append(PriceBand(EVERY_DAY, _clock(edge), _clock(end), draw(prices), f"band {index}"))
    return TimeOfDayEnergyPrice(tuple(bands))


def _clock(minute: int) -> time:
    return time(minute // 60, minute % 60)


@st.composite
def plans(draw: st.DrawFn) -> PlanVersion:
    energy = draw(
        st.one_of(
            st.builds(FixedEnergyPrice, prices),
            band_prices(),
            st.builds(
                lambda fallback, factor, markup: SpotEnergyPrice("NO1", fallback, factor, markup),
                prices,
                st.sampled_from([Decimal(1), Decimal("1.1"), Decimal("0.5")]),
                prices,
            ),
        )
    )
    limits = sorted(draw(st.lists(amounts, min_size=2, max_size=2)))
    return PlanVersion(
        energy=energy,
        vat_rate_bp=draw(st.sampled_from([0, 1200, 2500])),
        prices_include_vat=draw(st.booleans()),
        time_fee=draw(
            st.none()
            | st.builds(
                TimeFee,
                prices.map(lambda p: p * 10),
                st.integers(0, 300),
                st.none() | st.frozensets(st.integers(0, 23), min_size=1),
            )
        ),
        start_fee=draw(amounts.map(lambda a: a / 10).map(lambda a: a.quantize(Decimal("0.01")))),
        minimum_per_session=draw(st.none() | st.just(limits[0])),
        maximum_per_session=draw(st.none() | st.just(limits[1])),
    )


def spot_series(first: datetime, last: datetime, seed: int, *, gaps: bool = True) -> list[SpotPrice]:
    """Quarter-hour prices around the session; with `gaps`, some quarters are missing."""
    rng = Random(seed)
    at = first.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    series = []
    while at < last + timedelta(hours=1):
        if not gaps or rng.random() > 0.05:
            series.append(SpotPrice(at, at + QUARTER, Decimal(rng.randrange(0, 30_000)).scaleb(-5)))
        at += QUARTER
    return series


def price(plan: PlanVersion, readings: list[tuple[datetime, int]], zone: str, spot: object = ()) -> CostBreakdown:
    return price_session(
        plan,
        meter_readings=readings,
        connected_at=readings[0][0],
        disconnected_at=readings[-1][0],
        time_zone=zone,
        spot_prices=spot,  # type: ignore[arg-type]
    )


@given(readings=sessions(), cuts=st.lists(st.integers(-(10**10), 10**11), max_size=30))
def test_allocated_energy_sums_exactly_and_each_interval_is_within_one_wh(
    readings: list[tuple[datetime, int]], cuts: list[int]
) -> None:
    curve = EnergyCurve.from_readings(readings)
    boundaries = sorted({curve.start_us, curve.end_us, *(curve.start_us + cut for cut in cuts)})
    allocated = curve.allocate(boundaries)
    assert sum(allocated) == readings[-1][1] - readings[0][1]
    assert all(wh >= 0 for wh in allocated)
    for (a, b), wh in zip(itertools.pairwise(boundaries), allocated, strict=True):
        assert abs(wh - (_exact_wh(readings, b) - _exact_wh(readings, a))) < 1


def _exact_wh(readings: list[tuple[datetime, int]], at_us: int) -> Fraction:
    points = [(to_us(at), wh - readings[0][1]) for at, wh in readings]
    # A step between readings with one timestamp counts from that instant on.
    if at_us >= points[-1][0]:
        return Fraction(points[-1][1])
    if at_us <= points[0][0]:
        return Fraction(0)
    for (t0, e0), (t1, e1) in itertools.pairwise(points):
        if t1 == t0:
            continue
        if at_us <= t1:
            return e0 + Fraction((e1 - e0) * (at_us - t0), t1 - t0)
    return Fraction(points[-1][1])


@settings(max_examples=200)
@given(plan=plans(), readings=sessions(), zone=st.sampled_from(ZONES), seed=st.integers(0, 2**32))
def test_lines_reconcile_to_the_totals(
    plan: PlanVersion, readings: list[tuple[datetime, int]], zone: str, seed: int
) -> None:
    breakdown = price(plan, readings, zone, spot_series(readings[0][0], readings[-1][0], seed))
    for line in breakdown.lines:
        assert line.net + line.vat == line.gross
    assert breakdown.net == sum(line.net for line in breakdown.lines)
    assert breakdown.vat == sum(line.vat for line in breakdown.lines)
    assert breakdown.total == sum(line.gross for line in breakdown.lines) == breakdown.net + breakdown.vat
    energy_lines = [line for line in breakdown.lines if line.kind is LineKind.ENERGY]
    assert sum(line.energy_wh for line in energy_lines) == breakdown.energy_wh == readings[-1][1] - readings[0][1]
    assert all(line.quantity * 1000 == line.energy_wh for line in energy_lines)
    limit = {"vat_rate_bp": plan.vat_rate_bp, "includes_vat": plan.prices_include_vat}
    if plan.maximum_per_session is not None:
        assert breakdown.total <= split_vat(plan.maximum_per_session * 100, **limit).gross  # type: ignore[arg-type]
    if plan.minimum_per_session is not None and breakdown.energy_wh > 0:
        assert breakdown.total >= split_vat(plan.minimum_per_session * 100, **limit).gross  # type: ignore[arg-type]


@settings(max_examples=200)
@given(
    plan=plans(),
    readings=sessions(),
    zone=st.sampled_from(ZONES),
    seed=st.integers(0, 2**32),
    more_seconds=st.integers(1, 4 * 3600),
    more_wh=st.integers(0, 20_000),
)
def test_charging_longer_never_costs_less(
    plan: PlanVersion,
    readings: list[tuple[datetime, int]],
    zone: str,
    seed: int,
    more_seconds: int,
    more_wh: int,
) -> None:
    end_at, end_wh = readings[-1]
    longer = [*readings, (end_at + timedelta(seconds=more_seconds), end_wh + more_wh)]
    spot = SpotPriceSeries(spot_series(readings[0][0], longer[-1][0], seed))
    assert price(plan, longer, zone, spot).total >= price(plan, readings, zone, spot).total


@settings(max_examples=200)
@given(
    plan=plans().filter(lambda p: isinstance(p.energy, FixedEnergyPrice)),
    readings=sessions(),
    step=st.integers(1, 25),
    more_wh=st.integers(1, 20_000),
)
def test_more_energy_in_the_same_time_never_costs_less_at_one_price(
    plan: PlanVersion, readings: list[tuple[datetime, int]], step: int, more_wh: int
) -> None:
    # With several prices, extra energy in one step can move a rounding Wh between two price
    # intervals, so there the guarantee is "charging longer never costs less" (test above).
    step = step % (len(readings) - 1) + 1
    more = [(at, wh + (more_wh if index >= step else 0)) for index, (at, wh) in enumerate(readings)]
    assert price(plan, more, "Europe/Oslo").total >= price(plan, readings, "Europe/Oslo").total


@settings(max_examples=200)
@given(
    plan=plans().filter(lambda p: isinstance(p.energy, SpotEnergyPrice)),
    readings=sessions(),
    seed=st.integers(0, 2**32),
    cuts=st.lists(st.integers(1, 14 * 60), min_size=1, max_size=20),
)
def test_splitting_spot_intervals_moves_each_line_by_at_most_one_ore(
    plan: PlanVersion, readings: list[tuple[datetime, int]], seed: int, cuts: list[int]
) -> None:
    series = spot_series(readings[0][0], readings[-1][0], seed)
    split: list[SpotPrice] = []
    for index, interval in enumerate(series):
        cut = interval.start + timedelta(seconds=cuts[index % len(cuts)])
        if index % 2 and interval.start < cut < interval.end:
            split += [
                SpotPrice(interval.start, cut, interval.price_per_kwh),
                SpotPrice(cut, interval.end, interval.price_per_kwh),
            ]
        else:
            split.append(interval)
    _assert_close(plan, price(plan, readings, "Europe/Oslo", series), price(plan, readings, "Europe/Oslo", split))


@settings(max_examples=200)
@given(
    plan=plans(),
    readings=sessions(),
    zone=st.sampled_from(ZONES),
    edges=st.sets(st.integers(0, 1439), min_size=1, max_size=6),
)
def test_splitting_one_price_into_equal_bands_moves_each_line_by_at_most_one_ore(
    plan: PlanVersion, readings: list[tuple[datetime, int]], zone: str, edges: set[int]
) -> None:
    unit = Decimal("2.3456")
    whole = PlanVersion(
        energy=FixedEnergyPrice(unit),
        vat_rate_bp=plan.vat_rate_bp,
        prices_include_vat=plan.prices_include_vat,
        time_fee=plan.time_fee,
        start_fee=plan.start_fee,
    )
    ordered = sorted(edges)
    bands = tuple(
        PriceBand(EVERY_DAY, _clock(edge), _clock(ordered[(i + 1) % len(ordered)]), unit)
        for i, edge in enumerate(ordered)
    )
    split = PlanVersion(
        energy=TimeOfDayEnergyPrice(bands),
        vat_rate_bp=plan.vat_rate_bp,
        prices_include_vat=plan.prices_include_vat,
        time_fee=plan.time_fee,
        start_fee=plan.start_fee,
    )
    _assert_close(whole, price(whole, readings, zone), price(split, readings, zone))


def _assert_close(plan: PlanVersion, whole: CostBreakdown, split: CostBreakdown) -> None:
    """Each extra line can shift the amount the prices were entered in by one øre of rounding; the
    other side (VAT split off or added) by at most one more."""
    extra = len(split.lines) - len(whole.lines)
    assert extra >= 0
    assert whole.energy_wh == split.energy_wh
    entered = (lambda b: b.total) if plan.prices_include_vat else (lambda b: b.net)
    assert abs(entered(whole) - entered(split)) <= extra
    assert abs(whole.total - split.total) <= 2 * extra
    assert abs(whole.net - split.net) <= 2 * extra


def test_two_readings_at_the_start_instant_lose_no_energy() -> None:
    """A Transaction.Begin sample and a periodic one in the same second: the step between them is billed."""
    start = datetime(2025, 1, 6, 18, tzinfo=UTC)
    readings = [(start, 1_000), (start, 1_500), (start + timedelta(hours=1), 3_500)]
    plan = PlanVersion(energy=FixedEnergyPrice(Decimal("2.0000")), vat_rate_bp=2500, prices_include_vat=True)
    breakdown = price(plan, readings, "Europe/Oslo", [])
    assert breakdown.energy_wh == 2_500
    assert sum(line.energy_wh for line in breakdown.lines if line.kind is LineKind.ENERGY) == 2_500
    curve = EnergyCurve.from_readings(readings)
    assert curve.allocate([curve.start_us, curve.start_us + 1_800_000_000, curve.end_us]) == [1_500, 1_000]
