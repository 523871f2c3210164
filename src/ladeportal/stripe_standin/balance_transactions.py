"""A connected account's balance transactions, and the trail from a payout back to the platform's charge.

As on Stripe, a destination charge made by the platform (an invoice with `transfer_data`) leaves a
transfer `tr_` whose `destination_payment` is a payment `py_` (a charge object) on the connected
account; that payment's `source_transfer` is the transfer and the transfer's `source_transaction` is
the platform's charge `ch_`, whose `payment_intent` is the invoice's. The payment is a balance
transaction (`type` payment) of the connected account; a payout takes every balance transaction of the
account not paid out yet and adds its own (`type` payout, negative). `GET /v1/balance_transactions
?payout=po_...` lists them, and `expand[]=data.source.source_transfer.source_transaction` follows the
trail (four levels, Stripe's limit).
"""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.errors import invalid_param
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.params import as_list, as_string
from ladeportal.stripe_standin.store import Store

TYPES = ("payment", "payout", "charge", "refund", "payment_refund", "transfer")
EXPANDABLE = (
    "data.source",
    "data.source.source_transfer",
    "data.source.source_transfer.source_transaction",
)
LIST_PARAMS_EXTRA = ("payout", "type", "source", "currency")


def new_balance_transaction(
    *, kind: str, amount: int, currency: str, source: str, created: int, category: str
) -> dict[str, Any]:
    return {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": None,
        "exchange_rate": None,
        "fee": 0,
        "fee_details": [],
        "net": amount,
        "reporting_category": category,
        "source": source,
        "status": "available",
        "type": kind,
    }


def record_destination_payment(
    store: Store, *, charge: str, intent: dict[str, Any], transfer: dict[str, Any], destination: str
) -> None:
    """The platform's charge, and the payment the transfer makes on the destination account with its
    balance transaction. Callers hold the lock."""
    now = store.clock.timestamp()
    platform_charge = {
        "id": charge,
        "object": "charge",
        "amount": intent["amount_received"],
        "application_fee_amount": intent["application_fee_amount"],
        "created": now,
        "currency": intent["currency"],
        "livemode": False,
        "metadata": {},
        "on_behalf_of": intent.get("on_behalf_of"),
        "paid": True,
        "payment_intent": intent["id"],
        "status": "succeeded",
        "transfer": transfer["id"],
        "transfer_data": intent.get("transfer_data"),
    }
    records.add(store, platform_charge, None)
    payment = {
        "id": new_id("py"),
        "object": "charge",
        "amount": transfer["amount"],
        "created": now,
        "currency": transfer["currency"],
        "livemode": False,
        "metadata": {},
        "paid": True,
        "source_transfer": transfer["id"],
        "status": "succeeded",
    }
    txn = new_balance_transaction(
        kind="payment",
        amount=transfer["amount"],
        currency=transfer["currency"],
        source=payment["id"],
        created=now,
        category="charge",
    )
    payment["balance_transaction"] = txn["id"]
    records.add(store, payment, destination)
    records.add(store, txn, destination)
    transfer["destination_payment"] = payment["id"]


def pay_out(store: Store, account_id: str, payout: dict[str, Any]) -> None:
    """The payout takes the account's balance transactions not paid out yet, and records its own.
    Callers hold the lock."""
    for txn_id in store.objects.get("balance_transaction", {}):
        internal = store.internal[txn_id]
        if internal["account"] == account_id and not internal.get("payout"):
            internal["payout"] = payout["id"]
    own = new_balance_transaction(
        kind="payout",
        amount=-payout["amount"],
        currency=payout["currency"],
        source=payout["id"],
        created=payout["created"],
        category="payout",
    )
    payout["balance_transaction"] = own["id"]
    records.add(store, own, account_id)
    store.internal[own["id"]]["payout"] = payout["id"]


def _expanded(store: Store, txn: dict[str, Any], paths: set[str], account: str | None) -> dict[str, Any]:
    if "data.source" not in paths:
        return txn
    source = _find(store, txn["source"])
    if source is None:
        return txn
    if "data.source.source_transfer" in paths and source.get("source_transfer"):
        transfer = _find(store, source["source_transfer"])
        if transfer is not None:
            if "data.source.source_transfer.source_transaction" in paths and transfer.get("source_transaction"):
                transfer["source_transaction"] = (
                    _find(store, transfer["source_transaction"]) or transfer["source_transaction"]
                )
            source["source_transfer"] = transfer
    txn["source"] = source
    return txn


def _find(store: Store, object_id: str) -> dict[str, Any] | None:
    for kind in ("charge", "transfer", "payout", "refund"):
        found = store.objects.get(kind, {}).get(object_id)
        if found is not None:
            return copy.deepcopy(found)
    return None


def list_filtered(store: Store, params: dict[str, Any], account: str | None) -> list[dict[str, Any]]:
    asked = {str(p) for p in as_list(params, "expand")}
    for path in asked:
        if path not in EXPANDABLE:
            raise invalid_param("expand", f"This property cannot be expanded ({path}).")
    # Expanding a nested field expands the fields on its way, as on Stripe.
    paths = {".".join(path.split(".")[:n]) for path in asked for n in range(2, path.count(".") + 2)}
    payout = as_string(params, "payout")
    kind = as_string(params, "type")
    source = as_string(params, "source")
    currency = as_string(params, "currency")
    if kind is not None and kind not in TYPES:
        raise invalid_param("type", f"Invalid type: must be one of {', '.join(TYPES)}")
    with store.lock:
        if payout is not None:
            records.stored(store, "payout", payout, account, param="payout")
        found = []
        for txn in records.newest_first(store, "balance_transaction", account):
            if payout is not None and store.internal[txn["id"]].get("payout") != payout:
                continue
            if kind is not None and txn["type"] != kind:
                continue
            if source is not None and txn["source"] != source:
                continue
            if currency is not None and txn["currency"] != currency.lower():
                continue
            found.append(_expanded(store, txn, paths, account))
    return found
