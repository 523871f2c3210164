"""Invoices, invoice items, their line items and payment intents, field for field as Stripe returns them
(API version of the SDK). Pure functions on dicts; the store and the events belong to `invoice_changes`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ladeportal.stripe_standin.invoice_totals import invoice_totals, line_taxes, rounded


def new_invoice_item(
    item_id: str, *, customer: str, currency: str, unit_amount_decimal: Decimal, quantity: Decimal, created: int
) -> dict[str, Any]:
    amount = rounded(unit_amount_decimal * quantity)
    whole = quantity == quantity.to_integral_value()
    return {
        "id": item_id,
        "object": "invoiceitem",
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "date": created,
        "description": None,
        "discountable": True,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": amount,
        "parent": None,
        "period": {"end": created, "start": created},
        "pricing": {
            "price_details": None,
            "type": "price_details",
            "unit_amount_decimal": _decimal(unit_amount_decimal),
        },
        "proration": False,
        "quantity": int(quantity) if whole else int(quantity.to_integral_value()),
        "quantity_decimal": _decimal(quantity),
        "tax_rates": [],
        "test_clock": None,
    }


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")


def line_from_item(item: dict[str, Any], invoice: dict[str, Any]) -> dict[str, Any]:
    rates = item["tax_rates"] or invoice["default_tax_rates"]
    return {
        "id": "il_" + item["id"][3:],
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": [],
        "invoice": invoice["id"],
        "livemode": False,
        "metadata": dict(item["metadata"]),
        "parent": {
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": dict(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": dict(item["pricing"]),
        "quantity": item["quantity"],
        "quantity_decimal": item["quantity_decimal"],
        "subscription": None,
        "subtotal": item["amount"],
        "taxes": line_taxes(item["amount"], rates),
    }


def settle_totals(invoice: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """Rebuilds a draft's lines from its invoice items (in the order they were added) and its totals."""
    lines = [line_from_item(item, invoice) for item in items]
    invoice["lines"]["data"] = lines
    invoice["lines"]["total_count"] = len(lines)
    invoice.update(invoice_totals(lines, invoice["amount_paid"]))


def new_invoice(invoice_id: str, *, customer: dict[str, Any], currency: str, created: int) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "NO",
        "account_name": None,
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "application_fee_amount": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": False,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": created,
        "currency": currency,
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": customer["address"] if any(customer["address"].values()) else None,
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": customer["tax_exempt"],
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "payments": {"object": "list", "data": [], "has_more": False, "url": "/v1/invoice_payments"},
        "period_end": created,
        "period_start": created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": {
            "amount_tax_display": None,
            "pdf": {"page_size": "auto"},
            "template": None,
            "template_version": None,
        },
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subscription": None,
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": None,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "transfer_data": None,
        "webhooks_delivered_at": None,
    }


def new_payment_intent(intent_id: str, invoice: dict[str, Any], created: int) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": invoice["amount_due"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": invoice["application_fee_amount"],
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{intent_id[3:]}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_account": None,
        "description": f"Payment for Invoice {invoice['number']}",
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": {},
        "next_action": None,
        "on_behalf_of": invoice["on_behalf_of"],
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": dict(invoice["transfer_data"]) if invoice["transfer_data"] else None,
        "transfer_group": None,
    }


def invoice_payment(payment_id: str, invoice: dict[str, Any], intent_id: str, created: int) -> dict[str, Any]:
    return {
        "id": payment_id,
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": invoice["amount_due"],
        "created": created,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": intent_id, "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
