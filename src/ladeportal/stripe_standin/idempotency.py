"""Idempotency-Key, as Stripe keeps it: the first successful answer to a key is stored for 24 hours and
given again (with `Idempotent-Replayed: true`) to a retry with the same parameters; the same key with other
parameters or another endpoint is an idempotency_error; a key whose first request is still running is a
409. Keys belong to one API key and one `Stripe-Account`. Errors are not stored, so a corrected retry
with the same key can succeed, as on Stripe for requests that failed validation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ladeportal.stripe_standin.errors import idempotency_in_flight, idempotency_mismatch
from ladeportal.stripe_standin.store import Store

KEEP_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]
    request_id: str


def _scope(api_key: str, stripe_account: str | None, key: str) -> str:
    return json.dumps([api_key, stripe_account or "", key])


def _fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    return json.dumps([method, path, params], sort_keys=True)


class Idempotency:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._running: set[str] = set()

    def begin(
        self, api_key: str, stripe_account: str | None, key: str, method: str, path: str, params: dict[str, Any]
    ) -> StoredResponse | None:
        """The stored answer to replay, or None when the request is to run (and `finish` must follow)."""
        scope = _scope(api_key, stripe_account, key)
        fingerprint = _fingerprint(method, path, params)
        with self._store.lock:
            self._forget_expired()
            stored = self._store.idempotent_responses.get(scope)
            if stored is not None:
                if stored["fingerprint"] != fingerprint:
                    raise idempotency_mismatch(key)
                return StoredResponse(stored["status"], stored["body"], stored["request_id"])
            if scope in self._running:
                raise idempotency_in_flight()
            self._running.add(scope)
            return None

    def finish(
        self,
        api_key: str,
        stripe_account: str | None,
        key: str,
        method: str,
        path: str,
        params: dict[str, Any],
        response: StoredResponse | None,
    ) -> None:
        scope = _scope(api_key, stripe_account, key)
        with self._store.lock:
            self._running.discard(scope)
            if response is not None:
                self._store.idempotent_responses[scope] = {
                    "fingerprint": _fingerprint(method, path, params),
                    "status": response.status,
                    "body": response.body,
                    "request_id": response.request_id,
                    "created": self._store.clock.now(),
                }
        if response is not None:
            self._store.changed()

    def _forget_expired(self) -> None:
        horizon = self._store.clock.now() - KEEP_SECONDS
        stored = self._store.idempotent_responses
        for scope in [s for s, r in stored.items() if r["created"] < horizon]:
            del stored[scope]
