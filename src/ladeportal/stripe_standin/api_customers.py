"""/v1/customers: create, retrieve, update and list, for the platform or (with `Stripe-Account`) a
connected account. Each change emits customer.created / customer.updated."""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.account_shapes import empty_address
from ladeportal.stripe_standin.accounts import merged_metadata
from ladeportal.stripe_standin.api import ApiRequest, check_expand
from ladeportal.stripe_standin.errors import invalid_param
from ladeportal.stripe_standin.events import changed_attributes, record_event
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.listing import LIST_PARAMS, list_object
from ladeportal.stripe_standin.params import as_hash, as_list, as_string, reject_unknown

FIELDS = ("email", "name", "phone", "description", "preferred_locales", "metadata")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
MAX_TEXT = 256


def new_customer(customer_id: str, created: int) -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "address": empty_address(),
        "balance": 0,
        "created": created,
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def apply_fields(customer: dict[str, Any], params: dict[str, Any]) -> None:
    for name in ("email", "name", "phone", "description"):
        if name in params:
            value = as_string(params, name)
            if value is not None and len(value) > MAX_TEXT:
                raise invalid_param(name, f"Invalid {name}: must be at most {MAX_TEXT} characters")
            if name == "email" and value and not _EMAIL.match(value):
                raise invalid_param("email", f"Invalid email address: {value}")
            customer[name] = value or None
    if "preferred_locales" in params:
        locales = as_list(params, "preferred_locales")
        for locale in locales:
            if not isinstance(locale, str) or not _LOCALE.match(locale):
                raise invalid_param("preferred_locales", f"Invalid locale: {locale}")
        customer["preferred_locales"] = list(locales)
    if (metadata := as_hash(params, "metadata")) is not None:
        customer["metadata"] = merged_metadata(customer["metadata"], metadata)


def create_customer(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, (*FIELDS, "expand"))
    check_expand(api.params, frozenset())
    store = api.store
    customer = new_customer(new_id("cus", 14), store.clock.timestamp())
    apply_fields(customer, api.params)
    with store.lock:
        records.add(store, customer, api.stripe_account)
        _event(api, "customer.created", customer)
    return copy.deepcopy(customer)


def retrieve_customer(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("expand",))
    check_expand(api.params, frozenset())
    return records.fetch(api.store, "customer", api.path_params["customer"], api.stripe_account)


def update_customer(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, (*FIELDS, "expand"))
    check_expand(api.params, frozenset())
    store = api.store
    with store.lock:
        customer = records.stored(store, "customer", api.path_params["customer"], api.stripe_account)
        before = copy.deepcopy(customer)
        working = copy.deepcopy(customer)
        apply_fields(working, api.params)  # on a copy: a bad parameter leaves the customer as it was
        customer.update(working)
        if working != before:
            _event(api, "customer.updated", working, changed_attributes(before, working))
        return copy.deepcopy(working)


def list_customers(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, (*LIST_PARAMS, "email"))
    check_expand(api.params, frozenset())
    customers = records.newest_first(api.store, "customer", api.stripe_account)
    if (email := as_string(api.params, "email")) is not None:
        customers = [c for c in customers if c["email"] == email]  # exact and case-sensitive, as on Stripe
    return list_object(customers, api.params, url="/v1/customers", kind="customer")


def _event(api: ApiRequest, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
    record_event(
        api.store,
        event_type,
        obj,
        account=api.stripe_account,
        previous_attributes=previous,
        request_id=api.request_id,
        idempotency_key=api.idempotency_key,
        pending_webhooks=api.store.pending_webhooks,
    )
