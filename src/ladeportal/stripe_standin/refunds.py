"""Refunds of a payment intent's charge, as Stripe makes them: at most what was received and not yet
refunded; with `reverse_transfer` the transfer to the destination account is reversed in proportion to
the refunded share, with `refund_application_fee` the platform's fee too. Events `refund.created` and
`charge.refunded` (and `application_fee.refunded`, a platform event). Callers hold no lock."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, missing_param
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.invoice_items import MAX_AMOUNT, metadata_update
from ladeportal.stripe_standin.invoice_totals import rounded
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.params import as_bool, as_int, as_string
from ladeportal.stripe_standin.store import Store

CREATE_PARAMS = (
    "payment_intent", "charge", "amount", "reason", "reverse_transfer", "refund_application_fee", "metadata",
    "expand",
)  # fmt: skip
REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def new_refund(refund_id: str, intent: dict[str, Any], amount: int, reason: str | None, created: int) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": intent["latest_charge"],
        "created": created,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "customer_account": None,
        "destination_details": {"card": {"reference_status": "pending", "type": "refund"}, "type": "card"},
        "metadata": {},
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def charge_of(store: Store, intent: dict[str, Any]) -> dict[str, Any]:
    """The intent's charge as Stripe shows it in `charge.refunded` (the stand-in keeps no charge objects)."""
    refunded = int(store.internal[intent["id"]].get("refunded", 0))
    return {
        "id": intent["latest_charge"],
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount_received"],
        "amount_refunded": refunded,
        "application_fee_amount": intent["application_fee_amount"],
        "captured": True,
        "created": intent["created"],
        "currency": intent["currency"],
        "customer": intent["customer"],
        "livemode": False,
        "metadata": {},
        "on_behalf_of": intent["on_behalf_of"],
        "paid": True,
        "payment_intent": intent["id"],
        "refunded": refunded >= intent["amount_received"],
        "status": "succeeded",
        "transfer_data": copy.deepcopy(intent["transfer_data"]),
    }


def _intent_of(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    intent_id = as_string(params, "payment_intent")
    charge = as_string(params, "charge")
    if intent_id and charge:
        raise StripeApiError(
            400, "You may only specify one of these parameters: charge, payment_intent.", param="charge"
        )
    if charge:
        for intent in store.objects.get("payment_intent", {}).values():
            if intent["latest_charge"] == charge and records.owner(store, intent["id"]) == origin.account:
                return intent
        raise StripeApiError(404, f"No such charge: '{charge}'", code="resource_missing", param="charge")
    if not intent_id:
        raise missing_param("payment_intent")
    return records.stored(store, "payment_intent", intent_id, origin.account, "payment_intent")


def create_refund(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    reason = as_string(params, "reason")
    if reason is not None and reason not in REASONS:
        raise invalid_param("reason", f"Invalid reason: must be one of {', '.join(REASONS)}")
    reverse_transfer = as_bool(params, "reverse_transfer") or False
    refund_fee = as_bool(params, "refund_application_fee") or False
    with store.lock:
        intent = _intent_of(store, params, origin)
        if intent["status"] != "succeeded":
            raise StripeApiError(
                400,
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                code="charge_not_refundable" if intent["latest_charge"] else "resource_missing",
                param="payment_intent",
            )
        internal = store.internal[intent["id"]]
        left = intent["amount_received"] - int(internal.get("refunded", 0))
        if left <= 0:
            raise StripeApiError(
                400, f"Charge {intent['latest_charge']} has already been refunded.", code="charge_already_refunded"
            )
        amount = as_int(params, "amount", low=1, high=MAX_AMOUNT)
        amount = left if amount is None else amount
        if amount > left:
            raise StripeApiError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                code="amount_too_large",
                param="amount",
            )
        transfer = _transfer_of(store, intent)
        if reverse_transfer and transfer is None:
            raise invalid_param(
                "reverse_transfer", "This charge has no transfer to reverse (not a destination charge)."
            )
        fee = _fee_of(store, intent)
        if refund_fee and fee is None:
            raise invalid_param("refund_application_fee", "This charge has no application fee to refund.")
        refund = new_refund(new_id("re"), intent, amount, reason, store.clock.timestamp())
        refund["metadata"] = metadata_update({}, params)
        internal["refunded"] = int(internal.get("refunded", 0)) + amount
        if reverse_transfer and transfer is not None:
            refund["transfer_reversal"] = _reverse(store, transfer, intent, amount)
        records.add(store, refund, origin.account)
        emit(store, "refund.created", refund, origin)
        emit(store, "charge.refunded", charge_of(store, intent), origin)
        if refund_fee and fee is not None:
            _refund_fee(store, fee, intent, amount)
        return copy.deepcopy(refund)


def _transfer_of(store: Store, intent: dict[str, Any]) -> dict[str, Any] | None:
    for transfer in store.objects.get("transfer", {}).values():
        if transfer["source_transaction"] == intent["latest_charge"]:
            return transfer
    return None


def _fee_of(store: Store, intent: dict[str, Any]) -> dict[str, Any] | None:
    for fee in store.objects.get("application_fee", {}).values():
        if fee["charge"] == intent["latest_charge"]:
            return fee
    return None


def _share(total: int, amount: int, received: int, already: int) -> int:
    """The part of `total` that refunding `amount` of `received` takes back; what is left when it is all."""
    return min(rounded_share(total, amount, received), total - already)


def rounded_share(total: int, amount: int, received: int) -> int:
    return rounded(Decimal(total) * amount / received) if received else 0


def _reverse(store: Store, transfer: dict[str, Any], intent: dict[str, Any], amount: int) -> str:
    refunded_all = int(store.internal[intent["id"]]["refunded"]) >= intent["amount_received"]
    left = transfer["amount"] - transfer["amount_reversed"]
    share = (
        left
        if refunded_all
        else _share(transfer["amount"], amount, intent["amount_received"], transfer["amount_reversed"])
    )
    reversal = {
        "id": new_id("trr"),
        "object": "transfer_reversal",
        "amount": share,
        "created": store.clock.timestamp(),
        "currency": transfer["currency"],
        "transfer": transfer["id"],
        "metadata": {},
    }
    records.add(store, reversal, None)
    transfer["amount_reversed"] += share
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    return str(reversal["id"])


def _refund_fee(store: Store, fee: dict[str, Any], intent: dict[str, Any], amount: int) -> None:
    refunded_all = int(store.internal[intent["id"]]["refunded"]) >= intent["amount_received"]
    left = fee["amount"] - fee["amount_refunded"]
    share = left if refunded_all else _share(fee["amount"], amount, intent["amount_received"], fee["amount_refunded"])
    fee["amount_refunded"] += share
    fee["refunded"] = fee["amount_refunded"] >= fee["amount"]
    emit(store, "application_fee.refunded", fee, Origin(None))
