"""/v1/tax_rates: create, retrieve and list (Norwegian MVA is a 25 % rate, inclusive or exclusive).
A tax rate's percentage and inclusiveness never change once made, as on Stripe."""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.accounts import merged_metadata
from ladeportal.stripe_standin.api import ApiRequest, check_expand
from ladeportal.stripe_standin.errors import invalid_param, missing_param
from ladeportal.stripe_standin.events import record_event
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.listing import LIST_PARAMS, list_object
from ladeportal.stripe_standin.params import as_bool, as_hash, as_string, reject_unknown

CREATE_PARAMS = (
    "display_name", "percentage", "inclusive", "active", "country", "description", "jurisdiction", "metadata",
    "state", "tax_type", "expand",
)  # fmt: skip
TAX_TYPES = (
    "amusement_tax", "communications_tax", "gst", "hst", "igst", "jct", "lease_tax", "pst", "qst",
    "retail_delivery_fee", "rst", "sales_tax", "service_tax", "vat",
)  # fmt: skip
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _percentage(params: dict[str, Any]) -> float | int:
    text = as_string(params, "percentage")
    if text is None:
        raise missing_param("percentage")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise invalid_param("percentage", f"Invalid decimal: {text}") from exc
    if not Decimal(0) <= value <= Decimal(100) or value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise invalid_param("percentage", "Invalid percentage: must be between 0 and 100 with at most 4 decimals")
    return int(value) if value == value.to_integral_value() else float(value)


def create_tax_rate(api: ApiRequest) -> dict[str, Any]:
    params = api.params
    reject_unknown(params, CREATE_PARAMS)
    check_expand(params, frozenset())
    display_name = as_string(params, "display_name")
    if not display_name:
        raise missing_param("display_name")
    if len(display_name) > 50:
        raise invalid_param("display_name", "Invalid display_name: must be at most 50 characters")
    percentage = _percentage(params)
    inclusive = as_bool(params, "inclusive")
    if inclusive is None:
        raise missing_param("inclusive")
    country = as_string(params, "country")
    if country is not None and not _COUNTRY.match(country):
        raise invalid_param("country", f"Invalid country: {country} (a two-letter ISO code)")
    tax_type = as_string(params, "tax_type")
    if tax_type is not None and tax_type not in TAX_TYPES:
        raise invalid_param("tax_type", f"Invalid tax_type: must be one of {', '.join(TAX_TYPES)}")
    store = api.store
    tax_rate = {
        "id": new_id("txr"),
        "object": "tax_rate",
        "active": as_bool(params, "active") is not False,
        "country": country,
        "created": store.clock.timestamp(),
        "description": as_string(params, "description"),
        "display_name": display_name,
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": inclusive,
        "jurisdiction": as_string(params, "jurisdiction"),
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": merged_metadata({}, as_hash(params, "metadata") or {}),
        "percentage": percentage,
        "rate_type": "percentage",
        "state": as_string(params, "state"),
        "tax_type": tax_type,
    }
    with store.lock:
        records.add(store, tax_rate, api.stripe_account)
        record_event(
            store,
            "tax_rate.created",
            tax_rate,
            account=api.stripe_account,
            request_id=api.request_id,
            idempotency_key=api.idempotency_key,
            pending_webhooks=store.pending_webhooks,
        )
    return copy.deepcopy(tax_rate)


def retrieve_tax_rate(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("expand",))
    check_expand(api.params, frozenset())
    return records.fetch(api.store, "tax_rate", api.path_params["tax_rate"], api.stripe_account)


def list_tax_rates(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, (*LIST_PARAMS, "active", "inclusive"))
    check_expand(api.params, frozenset())
    rates = records.newest_first(api.store, "tax_rate", api.stripe_account)
    for name in ("active", "inclusive"):
        if (wanted := as_bool(api.params, name)) is not None:
            rates = [r for r in rates if r[name] is wanted]
    return list_object(rates, api.params, url="/v1/tax_rates", kind="tax_rate")
