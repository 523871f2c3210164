"""The stand-in's clock: wall time plus an offset that tests and the demo move forward, so links expire
and requirement deadlines pass without waiting."""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = offset_seconds
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def timestamp(self) -> int:
        """Unix seconds, as Stripe's `created` and `expires_at` fields carry them."""
        return int(self.now())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the stand-in's clock only moves forward")
        with self._lock:
            self._offset += seconds

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset
