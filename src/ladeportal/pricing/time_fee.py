"""How many minutes of a connection a time fee charges for."""

from __future__ import annotations

from functools import lru_cache

from ladeportal.pricing.plans import TimeFee
from ladeportal.pricing.timeline import US_PER_MINUTE, WeekRule


@lru_cache(maxsize=64)
def _hours_rule(hours: frozenset[int]) -> WeekRule[bool]:
    return WeekRule.from_function(lambda _weekday, minute: minute // 60 in hours)


def chargeable_minutes(fee: TimeFee, connected_us: int, disconnected_us: int, *, zone_key: str) -> int:
    """Started minutes of connection after the grace period, within the fee's local hours if any."""
    start_us = connected_us + fee.grace_minutes * US_PER_MINUTE
    if disconnected_us <= start_us:
        return 0
    if fee.local_hours is None:
        chargeable_us = disconnected_us - start_us
    else:
        chargeable_us = sum(
            end - start
            for start, end, inside in _hours_rule(fee.local_hours).runs(zone_key, start_us, disconnected_us)
            if inside
        )
    return -(-chargeable_us // US_PER_MINUTE)
