"""Splitting one session across local days and hours: by the meter samples, across midnight and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ladeportal.reports.split import Sample, allocate, split_session

OSLO = "Europe/Oslo"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_energy_follows_the_samples_across_midnight() -> None:
    # 22:00-02:00 Oslo (21:00-01:00 UTC in winter): 9 kWh by 23:00 local, then only 1 kWh after midnight.
    start, stop = at(2026, 1, 14, 21), at(2026, 1, 15, 1)
    shares = split_session(
        started_at=start,
        stopped_at=stop,
        energy_wh=10_000,
        meter_start_wh=0,
        meter_stop_wh=10_000,
        samples=[Sample(at(2026, 1, 14, 22), 9_000), Sample(at(2026, 1, 14, 23), 9_000)],
        time_zone=OSLO,
        net_minor=800,
        vat_minor=200,
    )
    assert [s.day for s in shares] == [date(2026, 1, 14), date(2026, 1, 15)]
    assert [s.energy_wh for s in shares] == [9_000, 1_000]  # an even split by time would say 5,000 / 5,000
    assert [s.started_here for s in shares] == [True, False]
    assert [s.plugged_seconds for s in shares] == [7200, 7200]
    # 23:00-00:00 local the register stood still: not charging time.
    assert [s.charging_seconds for s in shares] == [3600, 7200]
    assert [(s.net_minor, s.vat_minor, s.gross_minor) for s in shares] == [(720, 180, 900), (80, 20, 100)]
    assert sum(e for s in shares for _, e, _ in s.hours) == 10_000


def test_without_samples_energy_is_spread_by_time() -> None:
    shares = split_session(
        started_at=at(2026, 1, 14, 22),
        stopped_at=at(2026, 1, 15, 0),
        energy_wh=1001,
        meter_start_wh=5,
        meter_stop_wh=1006,
        samples=[],
        time_zone=OSLO,
    )
    assert [s.energy_wh for s in shares] == [500, 501]
    assert sum(s.charging_seconds for s in shares) == 7200


def test_spring_forward_day_has_23_hours_and_autumn_25() -> None:
    # 29 March 2026: Oslo skips 02:00-03:00. A session over the whole local day has 23 hours in it.
    spring = split_session(
        started_at=at(2026, 3, 28, 23),
        stopped_at=at(2026, 3, 29, 22),
        energy_wh=23_000,
        meter_start_wh=0,
        meter_stop_wh=23_000,
        samples=[],
        time_zone=OSLO,
    )
    assert [(s.day, len(s.hours), s.energy_wh) for s in spring] == [(date(2026, 3, 29), 23, 23_000)]
    autumn = split_session(
        started_at=at(2026, 10, 24, 22),
        stopped_at=at(2026, 10, 25, 23),
        energy_wh=25_000,
        meter_start_wh=0,
        meter_stop_wh=25_000,
        samples=[],
        time_zone=OSLO,
    )
    assert [(s.day, len(s.hours), s.energy_wh) for s in autumn] == [(date(2026, 10, 25), 25, 25_000)]
    assert {e for _, e, _ in autumn[0].hours} == {1000}


def test_meter_reset_and_zero_length_sessions() -> None:
    shares = split_session(
        started_at=at(2026, 1, 1, 10),
        stopped_at=at(2026, 1, 1, 12),
        energy_wh=3000,
        meter_start_wh=50_000,
        meter_stop_wh=2000,
        samples=[Sample(at(2026, 1, 1, 11), 51_000), Sample(at(2026, 1, 1, 11, 30), 0)],
        time_zone=OSLO,
    )
    assert sum(s.energy_wh for s in shares) == 3000
    empty = split_session(
        started_at=at(2026, 1, 1, 10),
        stopped_at=None,
        energy_wh=0,
        meter_start_wh=0,
        meter_stop_wh=None,
        samples=[],
        time_zone=OSLO,
        net_minor=100,
    )
    assert [(s.day, s.energy_wh, s.plugged_seconds, s.net_minor) for s in empty] == [(date(2026, 1, 1), 0, 0, 100)]


@given(st.integers(0, 10**7), st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=30))
def test_allocate_adds_up_and_never_goes_negative(total: int, weights: list[float]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total and min(parts) >= 0


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.integers(0, 4 * 24 * 3600),
    st.integers(0, 200_000),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 200_000)), max_size=12),
    st.integers(0, 100_000),
    st.integers(0, 25_000),
    st.sampled_from([OSLO, "Europe/Stockholm", "UTC"]),
)
def test_shares_add_up_to_the_session(
    start: datetime,
    seconds: int,
    energy: int,
    raw_samples: list[tuple[float, int]],
    net: int,
    vat: int,
    zone: str,
) -> None:
    stop = start + timedelta(seconds=seconds)
    samples = [Sample(start + timedelta(seconds=seconds * f), wh) for f, wh in raw_samples]
    shares = split_session(
        started_at=start,
        stopped_at=stop,
        energy_wh=energy,
        meter_start_wh=0,
        meter_stop_wh=energy,
        samples=samples,
        time_zone=zone,
        net_minor=net,
        vat_minor=vat,
    )
    assert sum(s.energy_wh for s in shares) == energy
    assert sum(s.plugged_seconds for s in shares) == seconds
    assert sum(s.net_minor for s in shares) == net and sum(s.vat_minor for s in shares) == vat
    assert sum(s.gross_minor for s in shares) == net + vat
    assert sum(1 for s in shares if s.started_here) == 1
    assert all(s.charging_seconds <= s.plugged_seconds + 1 for s in shares)
    for s in shares:
        assert sum(e for _, e, _ in s.hours) == s.energy_wh
        assert sum(p for _, _, p in s.hours) == s.plugged_seconds
