"""A payment intent's own actions: capture (what a manual-capture authorization turns into money, at
most what was authorized) and cancel (releases it). An invoice's payment intent follows its invoice and
is not canceled on its own, as on Stripe."""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param
from ladeportal.stripe_standin.invoice_payments import keep_fee_and_transfer
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.params import as_int, as_string
from ladeportal.stripe_standin.store import Store

CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def capture_intent(store: Store, intent_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    with store.lock:
        intent = records.stored(store, "payment_intent", intent_id, origin.account)
        if intent["status"] != "requires_capture":
            raise StripeApiError(
                400,
                "This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses may be captured: "
                "requires_capture.",
                code="payment_intent_unexpected_state",
            )
        amount = as_int(params, "amount_to_capture", low=1, high=intent["amount_capturable"])
        captured = intent["amount_capturable"] if amount is None else amount
        fee = as_int(params, "application_fee_amount", low=0, high=captured)
        if fee is not None:
            intent["application_fee_amount"] = fee
        elif intent["application_fee_amount"] and intent["application_fee_amount"] > captured:
            raise invalid_param("amount_to_capture", "The captured amount cannot be less than the application fee.")
        intent.update(status="succeeded", amount_received=captured, amount_capturable=0)
        keep_fee_and_transfer(store, intent, str(intent["latest_charge"]), origin)
        emit(store, "payment_intent.succeeded", intent, origin)
        for session in store.objects.get("checkout.session", {}).values():
            if session["payment_intent"] == intent_id:
                session["payment_status"] = "paid"
        return copy.deepcopy(intent)


def cancel_intent(store: Store, intent_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    reason = as_string(params, "cancellation_reason")
    if reason is not None and reason not in CANCELLATION_REASONS:
        raise invalid_param(
            "cancellation_reason", f"Invalid cancellation_reason: one of {', '.join(CANCELLATION_REASONS)}"
        )
    with store.lock:
        intent = records.stored(store, "payment_intent", intent_id, origin.account)
        if store.internal[intent_id].get("invoice"):
            raise StripeApiError(
                400,
                "You cannot cancel this PaymentIntent because it was created by an invoice; void the invoice.",
                code="payment_intent_unexpected_state",
            )
        if intent["status"] not in (
            "requires_payment_method",
            "requires_capture",
            "requires_confirmation",
            "requires_action",
        ):
            raise StripeApiError(
                400,
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
                "PaymentIntent with one of the following statuses may be canceled: requires_payment_method, "
                "requires_capture, requires_confirmation, requires_action, processing.",
                code="payment_intent_unexpected_state",
            )
        intent.update(
            status="canceled",
            canceled_at=store.clock.timestamp(),
            cancellation_reason=reason,
            amount_capturable=0,
            next_action=None,
        )
        store.internal[intent_id].pop("challenge", None)
        emit(store, "payment_intent.canceled", intent, origin)
        return copy.deepcopy(intent)
