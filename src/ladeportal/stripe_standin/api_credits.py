"""/v1/credit_notes, /v1/refunds, /v1/payouts and /v1/balance_transactions: each reads the request and
calls the change in `credit_notes`, `refunds`, `payouts` or `balance_transactions`."""

from __future__ import annotations

from typing import Any

from ladeportal.stripe_standin import balance_transactions, credit_notes, payouts, records, refunds
from ladeportal.stripe_standin.api import ApiRequest, check_expand
from ladeportal.stripe_standin.listing import LIST_PARAMS, list_object
from ladeportal.stripe_standin.origin import Origin
from ladeportal.stripe_standin.params import reject_unknown


def _origin(api: ApiRequest) -> Origin:
    return Origin(api.stripe_account, api.request_id, api.idempotency_key)


def _checked(api: ApiRequest, allowed: tuple[str, ...]) -> None:
    reject_unknown(api.params, allowed)
    check_expand(api.params, frozenset())


def create_credit_note(api: ApiRequest) -> dict[str, Any]:
    _checked(api, credit_notes.CREATE_PARAMS)
    return credit_notes.create_credit_note(api.store, api.params, _origin(api))


def retrieve_credit_note(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return records.fetch(api.store, "credit_note", api.path_params["credit_note"], api.stripe_account)


def list_credit_notes(api: ApiRequest) -> dict[str, Any]:
    _checked(api, (*LIST_PARAMS, "invoice", "customer"))
    notes = credit_notes.list_filtered(api.store, api.params, api.stripe_account)
    return list_object(notes, api.params, url="/v1/credit_notes", kind="credit_note")


def void_credit_note(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return credit_notes.void_credit_note(api.store, api.path_params["credit_note"], _origin(api))


def create_refund(api: ApiRequest) -> dict[str, Any]:
    _checked(api, refunds.CREATE_PARAMS)
    return refunds.create_refund(api.store, api.params, _origin(api))


def retrieve_refund(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return records.fetch(api.store, "refund", api.path_params["refund"], api.stripe_account)


def list_payouts(api: ApiRequest) -> dict[str, Any]:
    _checked(api, (*LIST_PARAMS, "status"))
    found = payouts.list_filtered(api.store, api.params, api.stripe_account)
    return list_object(found, api.params, url="/v1/payouts", kind="payout")


def retrieve_payout(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return records.fetch(api.store, "payout", api.path_params["payout"], api.stripe_account)


def list_balance_transactions(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, (*LIST_PARAMS, *balance_transactions.LIST_PARAMS_EXTRA))
    found = balance_transactions.list_filtered(api.store, api.params, api.stripe_account)
    return list_object(found, api.params, url="/v1/balance_transactions", kind="balance_transaction")
