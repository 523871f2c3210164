"""Signed webhook delivery in the background: `Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of
"t.payload">`, Connect events with the Connect endpoint's secret and the platform's own with the platform
secret. A failed attempt (no answer or not 2xx) is retried after the next of the back-off delays.

Events are sent in the order they were made, but a retried event does not hold back later ones, so a
receiver sees them out of order, as it can on Stripe. The signature's timestamp is the real time, not
the stand-in's moved clock, so receivers' tolerance checks pass after `advance_time`."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
from typing import Any

import httpx

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookDispatcher:
    def __init__(
        self,
        url: str,
        *,
        platform_secret: str,
        connect_secret: str,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._url = url
        self._platform_secret = platform_secret
        self._connect_secret = connect_secret
        self._retry_delays = retry_delays
        self._timeout = timeout_seconds
        self._queue: list[tuple[float, int, int, dict[str, Any]]] = []  # (due, order, attempt, event)
        self._order = itertools.count()
        self._in_flight = 0
        self._condition = threading.Condition()
        self._deliveries: list[dict[str, Any]] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-standin-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join(timeout=self._timeout + 5)

    def enqueue(self, event: dict[str, Any]) -> None:
        with self._condition:
            heapq.heappush(self._queue, (time.monotonic(), next(self._order), 1, event))
            self._condition.notify_all()

    def deliveries(self) -> list[dict[str, Any]]:
        with self._condition:
            return [dict(d) for d in self._deliveries]

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or being sent (retries still waiting count as queued)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
            return True

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while True:
                with self._condition:
                    while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                        wait = self._queue[0][0] - time.monotonic() if self._queue else None
                        self._condition.wait(wait)
                    if self._stopping:
                        return
                    _, _, attempt, event = heapq.heappop(self._queue)
                    self._in_flight += 1
                try:
                    self._attempt(client, event, attempt)
                finally:
                    with self._condition:
                        self._in_flight -= 1
                        self._condition.notify_all()

    def _attempt(self, client: httpx.Client, event: dict[str, Any], attempt: int) -> None:
        payload = json.dumps(event, indent=2)
        secret = self._connect_secret if "account" in event else self._platform_secret
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(payload, secret, int(time.time())),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        status: int | None = None
        error: str | None = None
        try:
            status = client.post(self._url, content=payload.encode(), headers=headers).status_code
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        succeeded = status is not None and 200 <= status < 300
        with self._condition:
            self._deliveries.append(
                {
                    "event_id": event["id"],
                    "event_type": event["type"],
                    "account": event.get("account"),
                    "attempt": attempt,
                    "status_code": status,
                    "error": error,
                    "succeeded": succeeded,
                }
            )
            if not succeeded and attempt <= len(self._retry_delays):
                due = time.monotonic() + self._retry_delays[attempt - 1]
                heapq.heappush(self._queue, (due, next(self._order), attempt + 1, event))
