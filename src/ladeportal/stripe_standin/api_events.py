"""/v1/events and /v1/events/{id}. As on Stripe, the platform's key sees the platform's own events and,
with `Stripe-Account`, a connected account's events."""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin.api import ApiRequest, check_expand
from ladeportal.stripe_standin.errors import StripeApiError, resource_missing
from ladeportal.stripe_standin.listing import LIST_PARAMS, list_object
from ladeportal.stripe_standin.params import as_list, as_string, reject_unknown


def _visible(api: ApiRequest) -> list[dict[str, Any]]:
    with api.store.lock:
        return [copy.deepcopy(e) for e in api.store.events if e.get("account") == api.stripe_account]


def retrieve_event(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("expand",))
    check_expand(api.params, frozenset())
    event_id = api.path_params["event"]
    for event in _visible(api):
        if event["id"] == event_id:
            return event
    raise resource_missing("event", event_id)


def list_events(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, (*LIST_PARAMS, "type", "types", "delivery_success", "created"))
    check_expand(api.params, frozenset())
    if "created" in api.params or "delivery_success" in api.params:
        raise StripeApiError(400, "The stand-in filters events by `type` and `types` only.", param="created")
    event_type = as_string(api.params, "type")
    types = as_list(api.params, "types")
    if event_type and types:
        raise StripeApiError(400, "You cannot specify both `type` and `types`.", param="types")
    events = _visible(api)
    if event_type:
        if event_type.endswith(".*"):
            events = [e for e in events if e["type"].startswith(event_type[:-1])]
        else:
            events = [e for e in events if e["type"] == event_type]
    elif types:
        events = [e for e in events if e["type"] in types]
    return list_object(list(reversed(events)), api.params, url="/v1/events", kind="event")
