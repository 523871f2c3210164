"""Events, shaped like Stripe's: recorded in the store and handed to the webhook dispatcher. An event about
a connected account carries "account" (a Connect event, signed with the Connect endpoint's secret)."""

from __future__ import annotations

import copy
from typing import Any

import stripe

from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.store import Store

API_VERSION: str = stripe.api_version


def record_event(
    store: Store,
    event_type: str,
    obj: dict[str, Any],
    *,
    account: str | None = None,
    previous_attributes: dict[str, Any] | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    pending_webhooks: int = 0,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous_attributes:
        data["previous_attributes"] = copy.deepcopy(previous_attributes)
    event: dict[str, Any] = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": store.clock.timestamp(),
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
    if account is not None:
        event["account"] = account
    store.add_event(event)
    return event


def changed_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's previous_attributes: the old values of the top-level fields that changed."""
    return {name: before.get(name) for name in after if before.get(name) != after[name]}
