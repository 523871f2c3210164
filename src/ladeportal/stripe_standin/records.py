"""Billing objects kept per owner, as on Stripe: the platform's own customers, invoices and tax rates
are separate from those made with a `Stripe-Account` header for a connected account, and an id of the
other side is "No such ..." (404), never the other's object. Callers hold `store.lock` for a change."""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin.errors import resource_missing
from ladeportal.stripe_standin.store import Store

# Stripe's words for each kind in "No such <kind>: '<id>'".
KIND_NAMES = {
    "customer": "customer",
    "tax_rate": "tax rate",
    "invoiceitem": "invoiceitem",
    "invoice": "invoice",
    "payment_intent": "payment_intent",
    "credit_note": "credit note",
    "refund": "refund",
    "payout": "payout",
    "balance_transaction": "balance transaction",
}


def add(store: Store, obj: dict[str, Any], account: str | None) -> None:
    with store.lock:
        store.objects.setdefault(obj["object"], {})[obj["id"]] = obj
        store.internal[obj["id"]] = {"account": account}


def owner(store: Store, object_id: str) -> str | None:
    with store.lock:
        account: str | None = store.internal[object_id]["account"]
        return account


def stored(store: Store, kind: str, object_id: str, account: str | None, param: str = "id") -> dict[str, Any]:
    """The stored object itself (to change under the lock), if it belongs to `account`."""
    with store.lock:
        obj = store.objects.get(kind, {}).get(object_id)
        if obj is None or store.internal[object_id]["account"] != account:
            raise resource_missing(KIND_NAMES.get(kind, kind), object_id, param)
        return obj


def fetch(store: Store, kind: str, object_id: str, account: str | None, param: str = "id") -> dict[str, Any]:
    with store.lock:
        return copy.deepcopy(stored(store, kind, object_id, account, param))


def newest_first(store: Store, kind: str, account: str | None) -> list[dict[str, Any]]:
    with store.lock:
        items = [
            copy.deepcopy(o)
            for object_id, o in store.objects.get(kind, {}).items()
            if store.internal[object_id]["account"] == account
        ]
    return list(reversed(items))


def remove(store: Store, kind: str, object_id: str) -> None:
    with store.lock:
        store.objects.get(kind, {}).pop(object_id, None)
        store.internal.pop(object_id, None)
