"""currentTime for Heartbeat and BootNotification answers, formatted once per second."""

from __future__ import annotations

import time
from datetime import UTC, datetime

_cache: tuple[int, str] = (0, "")


def now_iso() -> str:
    global _cache
    second = int(time.time())
    if _cache[0] != second:
        _cache = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _cache[1]


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
