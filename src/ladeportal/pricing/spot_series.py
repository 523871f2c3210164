"""Day-ahead spot prices as the cost engine reads them: sorted, non-overlapping, excl. VAT."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from ladeportal.pricing.timeline import to_us


@dataclass(frozen=True, slots=True)
class SpotPrice:
    """One market interval (an hour, or 15 minutes from 2025-10-01), price per kWh without VAT."""

    start: datetime
    end: datetime
    price_per_kwh: Decimal


class SpotPriceSeries:
    """Prices sorted once so each session finds its intervals by bisection; build it once per batch."""

    __slots__ = ("_ends_us", "_prices", "_starts_us")

    def __init__(self, prices: Iterable[SpotPrice]) -> None:
        rows = sorted((to_us(p.start), to_us(p.end), p.price_per_kwh) for p in prices)
        for (_, previous_end, _), (start, _, _) in pairwise(rows):
            if start < previous_end:
                raise ValueError("spot price intervals overlap; pass each market interval once")
        for start, end, _ in rows:
            if end <= start:
                raise ValueError("a spot price interval must end after it starts")
        self._starts_us = [row[0] for row in rows]
        self._ends_us = [row[1] for row in rows]
        self._prices = [row[2] for row in rows]

    @classmethod
    def of(cls, prices: SpotPriceSeries | Sequence[SpotPrice]) -> SpotPriceSeries:
        return prices if isinstance(prices, SpotPriceSeries) else cls(prices)

    def __len__(self) -> int:
        return len(self._prices)

    def covering(self, start_us: int, end_us: int) -> list[tuple[int, int, Decimal]]:
        """Intervals that overlap [start_us, end_us), in time order, unclipped."""
        index = max(bisect_right(self._starts_us, start_us) - 1, 0)
        found: list[tuple[int, int, Decimal]] = []
        while index < len(self._prices) and self._starts_us[index] < end_us:
            if self._ends_us[index] > start_us:
                found.append((self._starts_us[index], self._ends_us[index], self._prices[index]))
            index += 1
        return found
