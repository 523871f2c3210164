"""Checkout Sessions in `payment` mode for guests, and the payment intents they make: each change locks
the store, checks what Stripe checks and records Stripe's events. As on Stripe (API versions since
2022-08-01) a session's payment intent is made when the guest pays, not when the session is."""

from __future__ import annotations

import copy
import re
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.cards import NEEDS_3DS, SUCCEEDS, Card
from ladeportal.stripe_standin.checkout_shapes import line_item, new_session
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, missing_param
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.invoice_changes import MAX_AMOUNT, connected_account
from ladeportal.stripe_standin.invoice_payments import (
    authentication_error,
    card_error,
    charge_id,
    fail_intent,
    keep_fee_and_transfer,
    require_authentication,
)
from ladeportal.stripe_standin.invoice_shapes import new_payment_intent
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.params import as_hash, as_int, as_list, as_string
from ladeportal.stripe_standin.store import Store

MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 3600
CREATE_PARAMS = (
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "customer_email",
    "payment_intent_data",
    "expires_at",
    "metadata",
    "client_reference_id",
    "locale",
    "expand",
)
INTENT_PARAMS = ("capture_method", "application_fee_amount", "on_behalf_of", "transfer_data", "description", "metadata")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _url(params: dict[str, Any], name: str, required: bool) -> str | None:
    value = as_string(params, name)
    if not value:
        if required:
            raise missing_param(name)
        return None
    if not re.match(r"^https?://\S+$", value):
        raise invalid_param(name, "Not a valid URL")
    return value


def _intent_data(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    data = as_hash(params, "payment_intent_data") or {}
    for name in data:
        if name not in INTENT_PARAMS:
            raise StripeApiError(
                400,
                f"Received unknown parameter: payment_intent_data[{name}]",
                code="parameter_unknown",
                param=f"payment_intent_data[{name}]",
            )
    capture = as_string(data, "capture_method", "payment_intent_data[capture_method]") or "automatic"
    if capture not in ("automatic", "automatic_async", "manual"):
        raise invalid_param("payment_intent_data[capture_method]", "Invalid capture_method: automatic or manual")
    on_behalf_of = as_string(data, "on_behalf_of", "payment_intent_data[on_behalf_of]") or None
    if on_behalf_of:
        connected_account(store, on_behalf_of, "payment_intent_data[on_behalf_of]", origin)
    transfer = as_hash(data, "transfer_data", "payment_intent_data[transfer_data]") or {}
    destination = as_string(transfer, "destination", "payment_intent_data[transfer_data][destination]")
    if transfer and not destination:
        raise missing_param("payment_intent_data[transfer_data][destination]")
    if destination:
        connected_account(store, destination, "payment_intent_data[transfer_data][destination]", origin)
    fee = as_int(data, "application_fee_amount", low=0, high=MAX_AMOUNT)
    if fee is not None and destination is None and origin.account is None:
        raise StripeApiError(
            400,
            "An application_fee_amount can only be set for a payment on behalf of a connected account "
            "(with the Stripe-Account header or payment_intent_data[transfer_data][destination]).",
            param="payment_intent_data[application_fee_amount]",
        )
    metadata = as_hash(data, "metadata", "payment_intent_data[metadata]") or {}
    return {
        "capture_method": "automatic" if capture == "automatic_async" else capture,
        "application_fee_amount": fee,
        "on_behalf_of": on_behalf_of,
        "transfer_data": {"amount": None, "destination": destination} if destination else None,
        "description": as_string(data, "description", "payment_intent_data[description]"),
        "metadata": {str(k): str(v) for k, v in metadata.items()},
    }


def create_session(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    mode = as_string(params, "mode")
    if mode is None:
        raise missing_param("mode")
    if mode != "payment":
        raise invalid_param("mode", "The stand-in makes Checkout Sessions in `payment` mode only.")
    raw_items = as_list(params, "line_items")
    if not raw_items:
        raise missing_param("line_items")
    items = [line_item(raw, i, store.clock.timestamp()) for i, raw in enumerate(raw_items)]
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise invalid_param("line_items", "All line items must be in the same currency.")
    success_url = _url(params, "success_url", required=True)
    cancel_url = _url(params, "cancel_url", required=False)
    email = as_string(params, "customer_email")
    if email is not None and not _EMAIL.match(email):
        raise invalid_param("customer_email", f"Invalid email address: {email}")
    now = store.clock.timestamp()
    expires_at = as_int(params, "expires_at", low=0, high=2**40) or now + MAX_EXPIRY_SECONDS
    if not now + MIN_EXPIRY_SECONDS <= expires_at <= now + MAX_EXPIRY_SECONDS:
        raise invalid_param(
            "expires_at", "The `expires_at` timestamp must be between 30 minutes and 24 hours from now."
        )
    intent_data = _intent_data(store, params, origin)
    total = sum(item["amount_total"] for item in items)
    fee = intent_data["application_fee_amount"]
    if fee is not None and fee > total:
        raise invalid_param("payment_intent_data[application_fee_amount]", "The fee cannot be more than the total.")
    metadata = as_hash(params, "metadata") or {}
    session_id = new_id("cs_test", 58)
    session = new_session(
        session_id,
        created=now,
        total=total,
        currency=currencies.pop(),
        success_url=success_url,
        cancel_url=cancel_url,
        email=email,
        expires_at=expires_at,
        metadata={str(k): str(v) for k, v in metadata.items()},
        client_reference_id=as_string(params, "client_reference_id"),
        locale=as_string(params, "locale"),
        url=f"{store.base_url}/c/pay/{session_id}",
    )
    with store.lock:
        records.add(store, session, origin.account)
        store.internal[session_id].update(line_items=items, intent_data=intent_data)
    return copy.deepcopy(session)


def line_items(store: Store, session_id: str) -> list[dict[str, Any]]:
    with store.lock:
        return copy.deepcopy(store.internal[session_id]["line_items"])


def expire_session(store: Store, session_id: str, origin: Origin) -> dict[str, Any]:
    with store.lock:
        session = records.stored(store, "checkout.session", session_id, origin.account)
        if session["status"] != "open":
            raise StripeApiError(
                400,
                f"Only Checkout Sessions with a status of `open` can be expired; this one is {session['status']}.",
                param="session",
            )
        _expire(store, session, origin)
        return copy.deepcopy(session)


def _expire(store: Store, session: dict[str, Any], origin: Origin) -> None:
    session["status"] = "expired"
    session["url"] = None
    intent = _session_intent(store, session)
    if intent is not None and intent["status"] in ("requires_payment_method", "requires_action"):
        intent.update(
            status="canceled", canceled_at=store.clock.timestamp(), cancellation_reason="abandoned", next_action=None
        )
        emit(store, "payment_intent.canceled", intent, origin)
    emit(store, "checkout.session.expired", session, origin)


def apply_expiry(store: Store) -> None:
    now = store.clock.now()
    with store.lock:
        for session in list(store.objects.get("checkout.session", {}).values()):
            if session["status"] == "open" and session["expires_at"] <= now:
                _expire(store, session, Origin(records.owner(store, session["id"])))


def _session_intent(store: Store, session: dict[str, Any]) -> dict[str, Any] | None:
    intent_id = session["payment_intent"]
    return store.objects["payment_intent"][intent_id] if intent_id else None


def open_session(store: Store, session_id: str) -> dict[str, Any] | None:
    with store.lock:
        session = store.objects.get("checkout.session", {}).get(session_id)
        return copy.deepcopy(session) if session else None


def pay_session(store: Store, session_id: str, card: Card, email: str) -> dict[str, Any]:
    """The hosted page's "Pay": makes the payment intent (once) and charges the card."""
    with store.lock:
        session = store.objects.get("checkout.session", {}).get(session_id)
        if session is None or session["status"] != "open" or session["expires_at"] <= store.clock.now():
            raise StripeApiError(400, "This Checkout Session is no longer open.", code="checkout_session_not_open")
        origin = Origin(records.owner(store, session_id))
        session["customer_details"] = {
            "address": None,
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        intent = _session_intent(store, session)
        if intent is None:
            intent = _new_intent(store, session, origin)
        store.internal[intent["id"]].pop("challenge", None)  # a new card replaces a challenge left unanswered
        intent["payment_method"] = new_id("pm")
        intent["receipt_email"] = email
        store.internal[intent["id"]]["card"] = {"brand": card.brand, "last4": card.last4}
        if card.outcome == SUCCEEDS:
            _authorized(store, session, intent, origin)
        elif card.outcome == NEEDS_3DS:
            require_authentication(store, intent, origin, "/c/3ds", str(session["url"]))
        else:
            fail_intent(store, intent, origin, card_error(card.outcome))
        return copy.deepcopy(intent)


def _new_intent(store: Store, session: dict[str, Any], origin: Origin) -> dict[str, Any]:
    data = store.internal[session["id"]]["intent_data"]
    basis = {
        "amount_due": session["amount_total"],
        "application_fee_amount": data["application_fee_amount"],
        "currency": session["currency"],
        "customer": None,
        "number": None,
        "on_behalf_of": data["on_behalf_of"],
        "transfer_data": data["transfer_data"],
    }
    intent = new_payment_intent(new_id("pi"), basis, store.clock.timestamp())
    intent.update(capture_method=data["capture_method"], description=data["description"], metadata=data["metadata"])
    records.add(store, intent, origin.account)
    session["payment_intent"] = intent["id"]
    emit(store, "payment_intent.created", intent, origin)
    return intent


def _authorized(store: Store, session: dict[str, Any], intent: dict[str, Any], origin: Origin) -> None:
    charge = charge_id(intent)
    intent.update(last_payment_error=None, next_action=None)
    if intent["capture_method"] == "manual":
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        emit(store, "payment_intent.amount_capturable_updated", intent, origin)
    else:
        intent.update(status="succeeded", amount_received=intent["amount"])
        keep_fee_and_transfer(store, intent, charge, origin)
        emit(store, "payment_intent.succeeded", intent, origin)
        session["payment_status"] = "paid"
    session["status"] = "complete"
    session["url"] = None
    emit(store, "checkout.session.completed", session, origin)


def session_of_challenge(store: Store, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    with store.lock:
        for session in store.objects.get("checkout.session", {}).values():
            intent = _session_intent(store, session)
            if intent and store.internal[intent["id"]].get("challenge") == token:
                return copy.deepcopy(session), copy.deepcopy(intent)
    return None


def finish_session_authentication(store: Store, session_id: str, *, passed: bool) -> dict[str, Any]:
    with store.lock:
        session = store.objects.get("checkout.session", {}).get(session_id)
        intent = _session_intent(store, session) if session else None
        if session is None or intent is None or intent["status"] != "requires_action":
            raise StripeApiError(400, "This payment is not waiting for 3-D Secure authentication.")
        store.internal[intent["id"]].pop("challenge", None)
        origin = Origin(records.owner(store, session_id))
        if passed and session["status"] == "open":
            _authorized(store, session, intent, origin)
        else:
            fail_intent(store, intent, origin, authentication_error())
        return copy.deepcopy(intent)
