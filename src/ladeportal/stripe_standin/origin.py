"""Who made a change to a billing object, and the events that record it: the platform's own objects make
platform events, a connected account's (made with `Stripe-Account`) make Connect events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ladeportal.stripe_standin.events import record_event
from ladeportal.stripe_standin.store import Store


@dataclass(frozen=True)
class Origin:
    account: str | None  # None: the platform
    request_id: str | None = None
    idempotency_key: str | None = None


def emit(
    store: Store, event_type: str, obj: dict[str, Any], origin: Origin, previous: dict[str, Any] | None = None
) -> None:
    record_event(
        store,
        event_type,
        obj,
        account=origin.account,
        previous_attributes=previous,
        request_id=origin.request_id,
        idempotency_key=origin.idempotency_key,
        pending_webhooks=store.pending_webhooks,
    )
