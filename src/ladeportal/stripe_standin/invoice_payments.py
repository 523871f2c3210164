"""An invoice's payment: its payment intent, a card paid on the hosted page (Stripe's test cards decide),
the 3-D Secure challenge, paying out of band, and what a successful payment leaves behind: the
application fee kept by the platform and the transfer to the destination account."""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin import balance_transactions, records
from ladeportal.stripe_standin.cards import DECLINED, INSUFFICIENT_FUNDS, NEEDS_3DS, SUCCEEDS, Card
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.ids import new_id, new_token
from ladeportal.stripe_standin.invoice_shapes import new_payment_intent
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.store import Store

_DOCS = "https://stripe.com/docs/error-codes"
DECLINES = {
    DECLINED: ("card_declined", "generic_decline", "Your card was declined."),
    INSUFFICIENT_FUNDS: ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "live_card": (
        "card_declined",
        "test_mode_live_card",
        "Your card was declined. Your request was in test mode, but used a non test (live) card.",
    ),
}
AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def open_payment(store: Store, invoice: dict[str, Any], origin: Origin) -> dict[str, Any]:
    intent = new_payment_intent(new_id("pi"), invoice, store.clock.timestamp())
    records.add(store, intent, origin.account)
    store.internal[invoice["id"]]["payment_intent"] = intent["id"]
    store.internal[intent["id"]]["invoice"] = invoice["id"]
    emit(store, "payment_intent.created", intent, origin)
    return intent


def _intent(store: Store, invoice: dict[str, Any]) -> dict[str, Any] | None:
    intent_id = store.internal[invoice["id"]].get("payment_intent")
    return store.objects["payment_intent"][intent_id] if intent_id else None


def _origin(store: Store, invoice_id: str) -> Origin:
    return Origin(records.owner(store, invoice_id))


def _invoice(store: Store, invoice_id: str) -> dict[str, Any]:
    with store.lock:
        invoice = store.objects.get("invoice", {}).get(invoice_id)
        if invoice is None:
            raise StripeApiError(404, f"No such invoice: '{invoice_id}'", code="resource_missing", param="id")
        return invoice


def payable(invoice: dict[str, Any]) -> bool:
    return invoice["status"] in ("open", "uncollectible") and invoice["amount_remaining"] > 0


def pay_with_card(store: Store, invoice_id: str, card: Card) -> dict[str, Any]:
    """Charges the card for what is due; returns the payment intent afterwards. A 3-D Secure card leaves it
    `requires_action` until `finish_authentication`."""
    with store.lock:
        invoice = _invoice(store, invoice_id)
        if not payable(invoice):
            message = f"This invoice is {invoice['status']} and cannot be paid."
            raise StripeApiError(400, message, code="invoice_not_open")
        intent = _intent(store, invoice)
        assert intent is not None  # every open invoice with something due has one
        origin = _origin(store, invoice_id)
        store.internal[intent["id"]].pop("challenge", None)  # a new card replaces a challenge left unanswered
        intent["payment_method"] = new_id("pm")
        store.internal[intent["id"]]["card"] = {"brand": card.brand, "last4": card.last4}
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
        if card.outcome == SUCCEEDS:
            _succeed(store, invoice, intent, origin)
        elif card.outcome == NEEDS_3DS:
            require_authentication(store, intent, origin, "/3ds", invoice["hosted_invoice_url"])
        else:
            _fail(store, invoice, intent, origin, card_error(card.outcome))
        return copy.deepcopy(intent)


def require_authentication(store: Store, intent: dict[str, Any], origin: Origin, page: str, return_url: str) -> None:
    """3-D Secure: the payment waits until the challenge page at `page`/<token> is answered."""
    token = new_token(24)
    store.internal[intent["id"]]["challenge"] = token
    intent["status"] = "requires_action"
    intent["next_action"] = {
        "type": "redirect_to_url",
        "redirect_to_url": {"return_url": return_url, "url": f"{store.base_url}{page}/{token}"},
    }
    emit(store, "payment_intent.requires_action", intent, origin)


def challenge(store: Store, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The invoice and payment intent a 3-D Secure challenge page is for, while it waits for an answer."""
    with store.lock:
        for invoice in store.objects.get("invoice", {}).values():
            intent = _intent(store, invoice)
            if intent and store.internal[intent["id"]].get("challenge") == token:
                return copy.deepcopy(invoice), copy.deepcopy(intent)
    return None


def finish_authentication(store: Store, invoice_id: str, *, passed: bool) -> dict[str, Any]:
    with store.lock:
        invoice = _invoice(store, invoice_id)
        intent = _intent(store, invoice)
        if intent is None or intent["status"] != "requires_action":
            raise StripeApiError(400, "This payment is not waiting for 3-D Secure authentication.")
        store.internal[intent["id"]].pop("challenge", None)
        intent["next_action"] = None
        origin = _origin(store, invoice_id)
        if passed and payable(invoice):
            _succeed(store, invoice, intent, origin)
        else:
            _fail(store, invoice, intent, origin, authentication_error())
        return copy.deepcopy(intent)


def charge_id(intent: dict[str, Any]) -> str:
    intent["latest_charge"] = charge = new_id("ch")
    return charge


def _succeed(store: Store, invoice: dict[str, Any], intent: dict[str, Any], origin: Origin) -> None:
    now = store.clock.timestamp()
    charge = charge_id(intent)
    intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None, next_action=None)
    keep_fee_and_transfer(store, intent, charge, origin)
    _mark_paid(store, invoice, intent["amount"], now)
    emit(store, "payment_intent.succeeded", intent, origin)
    emit(store, "invoice.paid", invoice, origin)
    emit(store, "invoice.payment_succeeded", invoice, origin)


def _mark_paid(store: Store, invoice: dict[str, Any], amount: int, now: int) -> None:
    invoice["status"] = "paid"
    invoice["amount_paid"] += amount
    invoice["amount_remaining"] = 0
    invoice["status_transitions"]["paid_at"] = now
    invoice["next_payment_attempt"] = None
    for payment in invoice["payments"]["data"]:
        payment.update(status="paid", amount_paid=amount)
        payment["status_transitions"]["paid_at"] = now


def _fail(store: Store, invoice: dict[str, Any], intent: dict[str, Any], origin: Origin, error: dict[str, Any]) -> None:
    fail_intent(store, intent, origin, error)
    emit(store, "invoice.payment_failed", invoice, origin)


def fail_intent(store: Store, intent: dict[str, Any], origin: Origin, error: dict[str, Any]) -> None:
    charge = charge_id(intent)
    intent["status"] = "requires_payment_method"
    intent["next_action"] = None
    intent["last_payment_error"] = {
        **error,
        "charge": charge if error["type"] == "card_error" else None,
        "doc_url": f"{_DOCS}/{error['code'].replace('_', '-')}",
        "payment_method": {"id": intent["payment_method"], "object": "payment_method", "type": "card"},
    }
    emit(store, "payment_intent.payment_failed", intent, origin)


def card_error(outcome: str) -> dict[str, Any]:
    code, decline_code, message = DECLINES.get(outcome, DECLINES[DECLINED])
    return {"code": code, "decline_code": decline_code, "message": message, "type": "card_error"}


def authentication_error() -> dict[str, Any]:
    return {
        "code": "payment_intent_authentication_failure",
        "decline_code": None,
        "message": AUTHENTICATION_FAILED,
        "type": "invalid_request_error",
    }


def keep_fee_and_transfer(store: Store, intent: dict[str, Any], charge: str, origin: Origin) -> None:
    now = store.clock.timestamp()
    destination = (intent["transfer_data"] or {}).get("destination")
    if destination:
        transfer = {
            "id": new_id("tr"),
            "object": "transfer",
            "amount": intent["amount_received"],
            "created": now,
            "currency": intent["currency"],
            "destination": destination,
            "source_transaction": charge,
            "livemode": False,
            "metadata": {},
            "reversed": False,
            "amount_reversed": 0,
        }
        records.add(store, transfer, None)
        balance_transactions.record_destination_payment(
            store, charge=charge, intent=intent, transfer=transfer, destination=destination
        )
        intent["transfer_group"] = f"group_{intent['id']}"
    fee_amount = intent["application_fee_amount"]
    if fee_amount:
        fee = {
            "id": new_id("fee"),
            "object": "application_fee",
            "amount": fee_amount,
            "amount_refunded": 0,
            "account": destination or origin.account,
            "charge": charge,
            "created": now,
            "currency": intent["currency"],
            "livemode": False,
            "refunded": False,
        }
        records.add(store, fee, None)  # the platform's, whichever account paid it
        emit(store, "application_fee.created", fee, Origin(None))


def settle_zero(store: Store, invoice: dict[str, Any], origin: Origin) -> None:
    _mark_paid(store, invoice, 0, store.clock.timestamp())
    emit(store, "invoice.paid", invoice, origin)


def pay_out_of_band(store: Store, invoice_id: str, origin: Origin) -> dict[str, Any]:
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account)
        if invoice["status"] == "draft":
            raise StripeApiError(
                400, "You can only pay an invoice that is finalized.", code="invoice_not_editable", param="invoice"
            )
        if invoice["status"] not in ("open", "uncollectible"):
            raise StripeApiError(400, f"Invoice is already {invoice['status']}.", code="invoice_not_open")
        cancel_payment(store, invoice, origin, None)
        now = store.clock.timestamp()
        invoice["status"] = "paid"
        invoice["amount_paid"] = invoice["amount_due"]
        invoice["amount_remaining"] = 0
        invoice["status_transitions"]["paid_at"] = now
        for payment in invoice["payments"]["data"]:
            payment["status"] = "canceled"
            payment["status_transitions"]["canceled_at"] = now
        emit(store, "invoice.paid", invoice, origin)  # paid outside Stripe: no invoice.payment_succeeded
        return copy.deepcopy(invoice)


def cancel_payment(store: Store, invoice: dict[str, Any], origin: Origin, reason: str | None) -> None:
    intent = _intent(store, invoice)
    if intent is None or intent["status"] in ("succeeded", "canceled"):
        return
    intent.update(status="canceled", canceled_at=store.clock.timestamp(), cancellation_reason=reason, next_action=None)
    store.internal[intent["id"]].pop("challenge", None)
    emit(store, "payment_intent.canceled", intent, origin)


def retrieve_intent(store: Store, intent_id: str, account: str | None) -> dict[str, Any]:
    return records.fetch(store, "payment_intent", intent_id, account)
