"""/v1/checkout/sessions and the payment intents' capture and cancel: each reads the request and calls
the change in `checkout` or `payment_intent_changes`."""

from __future__ import annotations

from typing import Any

from ladeportal.stripe_standin import checkout, payment_intent_changes, records
from ladeportal.stripe_standin.api import ApiRequest, check_expand
from ladeportal.stripe_standin.listing import LIST_PARAMS, list_object
from ladeportal.stripe_standin.origin import Origin
from ladeportal.stripe_standin.params import reject_unknown


def _origin(api: ApiRequest) -> Origin:
    return Origin(api.stripe_account, api.request_id, api.idempotency_key)


def create_session(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, checkout.CREATE_PARAMS)
    check_expand(api.params, frozenset())
    return checkout.create_session(api.store, api.params, _origin(api))


def retrieve_session(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("expand",))
    check_expand(api.params, frozenset())
    return records.fetch(api.store, "checkout.session", api.path_params["session"], api.stripe_account)


def list_line_items(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, LIST_PARAMS)
    check_expand(api.params, frozenset())
    session = records.fetch(api.store, "checkout.session", api.path_params["session"], api.stripe_account)
    url = f"/v1/checkout/sessions/{session['id']}/line_items"
    return list_object(checkout.line_items(api.store, session["id"]), api.params, url=url, kind="line_item")


def expire_session(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("expand",))
    check_expand(api.params, frozenset())
    return checkout.expire_session(api.store, api.path_params["session"], _origin(api))


def capture_intent(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("amount_to_capture", "application_fee_amount", "expand"))
    check_expand(api.params, frozenset())
    return payment_intent_changes.capture_intent(api.store, api.path_params["intent"], api.params, _origin(api))


def cancel_intent(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("cancellation_reason", "expand"))
    check_expand(api.params, frozenset())
    return payment_intent_changes.cancel_intent(api.store, api.path_params["intent"], api.params, _origin(api))
