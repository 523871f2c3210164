"""Checkout Sessions and their line items, field for field as Stripe returns them (API version of the
SDK); a line item's price made from `price_data` is an inline, archived price. Pure functions on dicts."""

from __future__ import annotations

from typing import Any

from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, missing_param
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.invoice_items import MAX_AMOUNT
from ladeportal.stripe_standin.params import as_hash, as_int, as_string


def line_item(raw: Any, index: int, created: int) -> dict[str, Any]:
    path = f"line_items[{index}]"
    if not isinstance(raw, dict):
        raise invalid_param(path, f"Invalid object: {path} must be a hash")
    for name in raw:
        if name not in ("price_data", "quantity"):
            raise StripeApiError(
                400, f"Received unknown parameter: {path}[{name}]", code="parameter_unknown", param=f"{path}[{name}]"
            )
    quantity = as_int(raw, "quantity", low=1, high=999_999) or None
    if quantity is None:
        raise missing_param(f"{path}[quantity]")
    price = as_hash(raw, "price_data", f"{path}[price_data]")
    if price is None:
        raise missing_param(f"{path}[price_data]")
    for name in price:
        if name not in ("currency", "unit_amount", "product_data"):
            raise StripeApiError(
                400,
                f"Received unknown parameter: {path}[price_data][{name}]",
                code="parameter_unknown",
                param=f"{path}[price_data][{name}]",
            )
    currency = as_string(price, "currency", f"{path}[price_data][currency]")
    if not currency:
        raise missing_param(f"{path}[price_data][currency]")
    unit_amount = as_int(price, "unit_amount", low=0, high=MAX_AMOUNT)
    if unit_amount is None:
        raise missing_param(f"{path}[price_data][unit_amount]")
    product = as_hash(price, "product_data", f"{path}[price_data][product_data]") or {}
    name = as_string(product, "name", f"{path}[price_data][product_data][name]")
    if not name:
        raise missing_param(f"{path}[price_data][product_data][name]")
    price = {
        "id": new_id("price"),
        "object": "price",
        "active": False,  # an inline price from price_data is archived at once, as on Stripe
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency.lower(),
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": new_id("prod", 14),
        "recurring": None,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }
    return {
        "id": new_id("li"),
        "object": "item",
        "adjustable_quantity": None,
        "metadata": {},
        "price": price,
        "amount_discount": 0,
        "amount_subtotal": unit_amount * quantity,
        "amount_tax": 0,
        "amount_total": unit_amount * quantity,
        "currency": currency.lower(),
        "description": name,
        "quantity": quantity,
        "unit_amount": unit_amount,
    }


def new_session(
    session_id: str,
    *,
    created: int,
    total: int,
    currency: str,
    success_url: str | None,
    cancel_url: str | None,
    email: str | None,
    expires_at: int,
    metadata: dict[str, str],
    client_reference_id: str | None,
    locale: str | None,
    url: str,
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_account": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": email,
        "discounts": [],
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": locale,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "mode": "payment",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": url,
        "wallet_options": None,
    }
