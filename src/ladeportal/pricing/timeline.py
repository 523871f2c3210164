"""Local wall-clock rules on a UTC timeline, correct on daylight-saving days.

Instants are integer microseconds since the Unix epoch (UTC). A zone is split into stretches of
constant UTC offset; within a stretch local time is UTC + offset, so finding where a weekly rule
(a band, a fee's hours) changes value is integer arithmetic. That keeps the 23- and 25-hour days right:
on 2025-03-30 in Europe/Oslo the wall clock skips 02:00-03:00, on 2025-10-26 it runs 02:00-03:00
twice, and a rule keyed on wall-clock minutes sees exactly that.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
MINUTES_PER_WEEK = 7 * 24 * 60
US_PER_WEEK = 7 * US_PER_DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
# 1970-01-01 was a Thursday; shifting by three days makes week position 0 a Monday 00:00.
_EPOCH_WEEKDAY = 3


def to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; pass UTC (or any aware) datetimes")
    return (moment - _EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@lru_cache(maxsize=512)
def _year_offsets(zone_key: str, year: int) -> tuple[tuple[int, int], ...]:
    """(from_us, offset_us) for each stretch of constant offset starting within `year` (UTC)."""
    zone = ZoneInfo(zone_key)

    def offset_at(us: int) -> int:
        offset = from_us(us).astimezone(zone).utcoffset()
        assert offset is not None
        return offset // _ONE_US

    start = to_us(datetime(year, 1, 1, tzinfo=UTC))
    end = to_us(datetime(year + 1, 1, 1, tzinfo=UTC))
    stretches = [(start, offset_at(start))]
    # Transitions are hours apart in every real zone, so an hourly scan finds each one and a
    # bisection pins it to the second.
    probe = start
    while probe < end:
        nxt = min(probe + US_PER_HOUR, end)
        if offset_at(nxt) != stretches[-1][1]:
            low, high = probe, nxt
            while high - low > US_PER_SECOND:
                mid = (low + high) // 2
                if offset_at(mid) == stretches[-1][1]:
                    low = mid
                else:
                    high = mid
            stretches.append((high, offset_at(high)))
        probe = nxt
    return tuple(stretches)


def offset_stretches(zone_key: str, start_us: int, end_us: int) -> list[tuple[int, int, int]]:
    """(start_us, end_us, offset_us) stretches covering [start_us, end_us) in `zone_key`."""
    first_year = from_us(start_us).year
    last_year = from_us(max(start_us, end_us - 1)).year
    points: list[tuple[int, int]] = []
    for year in range(first_year, last_year + 1):
        for point in _year_offsets(zone_key, year):
            if not points or points[-1][1] != point[1]:
                points.append(point)
    starts = [point[0] for point in points]
    index = max(bisect_right(starts, start_us) - 1, 0)
    result: list[tuple[int, int, int]] = []
    cursor = start_us
    while cursor < end_us:
        stretch_end = starts[index + 1] if index + 1 < len(starts) else end_us
        stop = min(stretch_end, end_us)
        if stop > cursor:
            result.append((cursor, stop, points[index][1]))
        cursor = stop
        index += 1
    return result


class WeekRule(Generic[T]):
    """A value for every minute of the local week, stored as runs so lookups are a bisection."""

    __slots__ = ("_run_starts_us", "_values")

    def __init__(self, minute_values: Sequence[T]) -> None:
        if len(minute_values) != MINUTES_PER_WEEK:
            raise ValueError("a week rule needs one value per minute of the week")
        starts: list[int] = []
        values: list[T] = []
        for minute, value in enumerate(minute_values):
            if not values or value != values[-1]:
                starts.append(minute * US_PER_MINUTE)
                values.append(value)
        self._run_starts_us = starts
        self._values = values

    @classmethod
    def from_function(cls, value_at: Callable[[int, int], T]) -> WeekRule[T]:
        """Build from value_at(weekday, minute_of_day)."""
        return cls([value_at(minute // 1440, minute % 1440) for minute in range(MINUTES_PER_WEEK)])

    def runs(self, zone_key: str, start_us: int, end_us: int) -> list[tuple[int, int, T]]:
        """Maximal (start_us, end_us, value) pieces of [start_us, end_us) with a constant value."""
        starts, values = self._run_starts_us, self._values
        pieces: list[tuple[int, int, T]] = []
        for stretch_start, stretch_end, offset in offset_stretches(zone_key, start_us, end_us):
            cursor = stretch_start
            while cursor < stretch_end:
                local = cursor + offset
                week_pos = ((local // US_PER_DAY + _EPOCH_WEEKDAY) % 7) * US_PER_DAY + local % US_PER_DAY
                run = bisect_right(starts, week_pos) - 1
                run_end = starts[run + 1] if run + 1 < len(starts) else US_PER_WEEK
                stop = min(cursor + (run_end - week_pos), stretch_end)
                value = values[run]
                # Week wrap-around and offset changes cut runs that are really one.
                if pieces and pieces[-1][2] == value and pieces[-1][1] == cursor:
                    pieces[-1] = (pieces[-1][0], stop, value)
                else:
                    pieces.append((cursor, stop, value))
                cursor = stop
        return pieces
