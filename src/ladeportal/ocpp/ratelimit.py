"""Failed-handshake counting per source address and per charger identity (fixed one-minute windows).

In memory per gateway process: an attacker spreading attempts over several processes gets at most
N times the limit, which is still far from brute-forcing a 128-bit credential.
"""

from __future__ import annotations

import time

WINDOW_SECONDS = 60.0
_MAX_KEYS = 100_000


class FailureLimiter:
    def __init__(self, limit_per_window: int) -> None:
        self.limit = limit_per_window
        self._windows: dict[str, tuple[float, int]] = {}

    def blocked(self, key: str) -> bool:
        entry = self._windows.get(key)
        if entry is None:
            return False
        start, count = entry
        if time.monotonic() - start >= WINDOW_SECONDS:
            del self._windows[key]
            return False
        return count >= self.limit

    def failed(self, key: str) -> None:
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, count = now, 0
        self._windows[key] = (start, count + 1)
        if len(self._windows) > _MAX_KEYS:
            self._prune(now)

    def _prune(self, now: float) -> None:
        for key in [k for k, (start, _) in self._windows.items() if now - start >= WINDOW_SECONDS]:
            del self._windows[key]
