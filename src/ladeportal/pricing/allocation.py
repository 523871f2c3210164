"""Energy from meter readings, allocated to price intervals in whole Wh.

Rule: energy between two consecutive readings is spread linearly over the time between them (a
session with only its start and stop readings is therefore spread evenly over the charging time).
The cumulative energy curve is evaluated at each interval boundary and rounded half up to a whole Wh;
an interval gets the difference of its two rounded boundary values. The interval amounts telescope,
so they always sum exactly to the session's energy, each is within 1 Wh of its exact share, and
splitting an interval in two gives two parts that add up to the original.

A reading lower than the one before it (a meter reset or a replayed stale value) adds no energy and
is reported, so the session can be reviewed instead of producing negative kWh.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from ladeportal.pricing.timeline import to_us

MeterReading = tuple[datetime, int]


@dataclass(frozen=True, slots=True)
class EnergyCurve:
    times_us: tuple[int, ...]
    cumulative_wh: tuple[int, ...]
    went_backwards: bool

    @classmethod
    def from_readings(cls, readings: Sequence[MeterReading]) -> EnergyCurve:
        ordered = sorted((to_us(at), int(wh)) for at, wh in readings)
        times: list[int] = []
        cumulative: list[int] = []
        went_backwards = False
        total = 0
        previous_wh: int | None = None
        for at_us, wh in ordered:
            if previous_wh is not None:
                if wh < previous_wh:
                    went_backwards = True
                else:
                    total += wh - previous_wh
            previous_wh = wh
            times.append(at_us)
            cumulative.append(total)
        return cls(tuple(times), tuple(cumulative), went_backwards)

    @property
    def total_wh(self) -> int:
        return self.cumulative_wh[-1] if self.cumulative_wh else 0

    @property
    def start_us(self) -> int:
        return self.times_us[0]

    @property
    def end_us(self) -> int:
        return self.times_us[-1]

    def wh_at(self, at_us: int) -> int:
        """Cumulative energy at an instant, rounded half up to a whole Wh.

        Several readings with one timestamp (chargers send a Transaction.Begin sample and a periodic
        one in the same second) make a step. The step counts from that instant on: its energy falls in
        the interval that starts there, so a step at the session's start is billed, not lost, and the
        last reading's value is the session's total.
        """
        times, cumulative = self.times_us, self.cumulative_wh
        if not times:
            return 0
        if at_us >= times[-1]:
            return cumulative[-1]
        if at_us <= times[0]:
            return 0
        # times[index] < at_us <= times[index + 1], so the span is never zero.
        index = bisect_left(times, at_us) - 1
        span = times[index + 1] - times[index]
        numerator = (cumulative[index + 1] - cumulative[index]) * (at_us - times[index])
        return cumulative[index] + (2 * numerator + span) // (2 * span)

    def allocate(self, boundaries_us: Sequence[int]) -> list[int]:
        """Wh for each interval between consecutive boundaries."""
        values = [self.wh_at(boundary) for boundary in boundaries_us]
        return [later - earlier for earlier, later in pairwise(values)]
