"""Payouts from a connected account's balance to its bank account. Stripe makes them on its own schedule;
here a test or the demo asks for one (`make_payout`): it is made `in_transit` (`payout.created`) and then
arrives (`payout.paid`), both Connect events of that account. It carries the account's balance
transactions not paid out before (balance_transactions.py), whatever amount the test names."""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin import balance_transactions, records
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.invoice_items import MAX_AMOUNT
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.params import as_string
from ladeportal.stripe_standin.store import Store

STATUSES = ("paid", "pending", "in_transit", "canceled", "failed")


def new_payout(
    payout_id: str, *, amount: int, currency: str, arrival_date: int, destination: str, created: int
) -> dict[str, Any]:
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": True,
        "balance_transaction": new_id("txn"),
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "in_transit",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }


def make_payout(store: Store, account_id: str, amount: int, currency: str, arrival_date: int) -> dict[str, Any]:
    if not 1 <= amount <= MAX_AMOUNT:
        raise invalid_param("amount", f"Invalid amount: {amount}")
    if len(currency) != 3 or not currency.isalpha():
        raise invalid_param("currency", f"Invalid currency: {currency}")
    with store.lock:
        account = store.accounts.get(account_id)
        if account is None:
            raise StripeApiError(404, f"No such account: '{account_id}'", code="resource_missing", param="account")
        if not account["payouts_enabled"]:
            raise StripeApiError(400, f"Payouts are not enabled for {account_id}.", code="payouts_not_allowed")
        banks = account["external_accounts"]["data"]
        destination = banks[0]["id"] if banks else new_id("ba")
        payout = new_payout(
            new_id("po"),
            amount=amount,
            currency=currency.lower(),
            arrival_date=arrival_date,
            destination=destination,
            created=store.clock.timestamp(),
        )
        origin = Origin(account_id)
        records.add(store, payout, account_id)
        balance_transactions.pay_out(store, account_id, payout)
        emit(store, "payout.created", payout, origin)
        before = copy.deepcopy(payout)
        payout["status"] = "paid"
        payout["reconciliation_status"] = "completed"
        payout["trace_id"] = {"status": "supported", "value": new_id("trace", 16)[6:]}
        emit(store, "payout.paid", payout, origin, {"status": before["status"]})
        return copy.deepcopy(payout)


def list_filtered(store: Store, params: dict[str, Any], account: str | None) -> list[dict[str, Any]]:
    payouts = records.newest_first(store, "payout", account)
    status = as_string(params, "status")
    if status is not None:
        if status not in STATUSES:
            raise invalid_param("status", f"Invalid status: must be one of {', '.join(STATUSES)}")
        payouts = [p for p in payouts if p["status"] == status]
    return payouts
