"""Every change of an invoice, in one place: each locks the store, checks what Stripe
checks, changes the stored objects and records the events Stripe sends (Connect events for objects made
with `Stripe-Account`). Card payments are in `invoice_payments`."""

from __future__ import annotations

import copy
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, missing_param, resource_missing
from ladeportal.stripe_standin.events import changed_attributes
from ladeportal.stripe_standin.ids import new_id, new_token
from ladeportal.stripe_standin.invoice_items import (
    MAX_AMOUNT,
    currency_param,
    default_currency,
    items_of,
    metadata_update,
    not_editable,
    resettle,
    tax_rates_of,
)
from ladeportal.stripe_standin.invoice_payments import cancel_payment, open_payment, settle_zero
from ladeportal.stripe_standin.invoice_shapes import invoice_payment, new_invoice, settle_totals
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.params import as_bool, as_hash, as_int, as_list, as_string
from ladeportal.stripe_standin.store import Store

AUTO_FINALIZE_SECONDS = 3600  # a draft with auto_advance is finalized about an hour after it was made
MAX_DAYS_UNTIL_DUE = 1825


CREATE_PARAMS = (
    "customer", "collection_method", "days_until_due", "due_date", "currency", "description", "footer",
    "on_behalf_of", "transfer_data", "application_fee_amount", "default_tax_rates",
    "pending_invoice_items_behavior", "auto_advance", "metadata", "expand",
)  # fmt: skip
UPDATE_PARAMS = tuple(p for p in CREATE_PARAMS if p not in ("customer", "pending_invoice_items_behavior", "currency"))


def connected_account(store: Store, account_id: str, param: str, origin: Origin) -> None:
    if origin.account is not None:
        raise StripeApiError(
            400, f"`{param}` cannot be used in a request made on behalf of a connected account.", param=param
        )
    with store.lock:
        account = store.accounts.get(account_id)
        enabled = account is not None and account["charges_enabled"]
    if account is None:
        raise resource_missing("destination" if param.startswith("transfer_data") else "account", account_id, param)
    if not enabled:
        raise StripeApiError(
            400,
            f"The account {account_id} cannot take charges yet: its capabilities card_payments and transfers "
            "are not active (charges_enabled is false).",
            code="insufficient_capabilities_for_transfer",
            param=param,
        )


def _apply_invoice_params(store: Store, invoice: dict[str, Any], params: dict[str, Any], origin: Origin) -> None:
    now = store.clock.timestamp()
    if "collection_method" in params:
        method = as_string(params, "collection_method")
        if method not in ("charge_automatically", "send_invoice"):
            raise invalid_param("collection_method", "Invalid collection_method: charge_automatically or send_invoice")
        invoice["collection_method"] = method
    days = as_int(params, "days_until_due", low=0, high=MAX_DAYS_UNTIL_DUE)
    due_date = as_int(params, "due_date", low=0, high=2**40)
    if days is not None and due_date is not None:
        raise StripeApiError(
            400, "You may only specify one of these parameters: days_until_due, due_date.", param="due_date"
        )
    if days is not None:
        invoice["due_date"] = invoice["created"] + days * 86400
    elif due_date is not None:
        if due_date <= now:
            raise invalid_param("due_date", "The due date must be in the future.")
        invoice["due_date"] = due_date
    if invoice["collection_method"] == "send_invoice":
        if invoice["due_date"] is None:
            raise StripeApiError(
                400,
                "Invoices with collection_method `send_invoice` need `days_until_due` or `due_date`.",
                param="days_until_due",
            )
    elif days is not None or due_date is not None:
        raise invalid_param(
            "days_until_due", "`days_until_due` and `due_date` are only for collection_method `send_invoice`."
        )
    else:
        invoice["due_date"] = None
    for field in ("description", "footer"):
        if field in params:
            value = as_string(params, field)
            if value is not None and len(value) > 5000:
                raise invalid_param(field, f"Invalid {field}: must be at most 5000 characters")
            invoice[field] = value or None
    if "on_behalf_of" in params:
        on_behalf_of = as_string(params, "on_behalf_of") or None
        if on_behalf_of:
            connected_account(store, on_behalf_of, "on_behalf_of", origin)
        invoice["on_behalf_of"] = on_behalf_of
    if "transfer_data" in params:
        transfer = as_hash(params, "transfer_data") or {}
        destination = as_string(transfer, "destination", "transfer_data[destination]")
        if transfer and not destination:
            raise missing_param("transfer_data[destination]")
        if destination:
            connected_account(store, destination, "transfer_data[destination]", origin)
        invoice["transfer_data"] = {"amount": None, "destination": destination} if destination else None
    if "application_fee_amount" in params:
        invoice["application_fee_amount"] = as_int(params, "application_fee_amount", low=0, high=MAX_AMOUNT)
    if invoice["application_fee_amount"] is not None and invoice["transfer_data"] is None and origin.account is None:
        raise StripeApiError(
            400,
            "An application_fee_amount can only be set when the invoice is made on behalf of a connected account "
            "(with the Stripe-Account header or transfer_data[destination]).",
            param="application_fee_amount",
        )
    if "default_tax_rates" in params:
        invoice["default_tax_rates"] = tax_rates_of(
            store, as_list(params, "default_tax_rates"), origin, "default_tax_rates"
        )
    if (auto_advance := as_bool(params, "auto_advance")) is not None:
        invoice["auto_advance"] = auto_advance
    auto_at = invoice["created"] + AUTO_FINALIZE_SECONDS
    invoice["automatically_finalizes_at"] = auto_at if invoice["auto_advance"] else None
    invoice["metadata"] = metadata_update(invoice["metadata"], params)
    merchant = invoice["on_behalf_of"] or origin.account
    invoice["account_name"] = _business_name(store, merchant) if merchant else store.platform_name


def _business_name(store: Store, account_id: str) -> str | None:
    with store.lock:
        account = store.accounts[account_id]
        name: str | None = account["business_profile"]["name"] or account["company"]["name"]
        return name


def create_invoice(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    customer_id = as_string(params, "customer")
    if not customer_id:
        raise missing_param("customer")
    behavior = as_string(params, "pending_invoice_items_behavior") or "exclude"
    if behavior not in ("include", "exclude"):
        raise invalid_param(
            "pending_invoice_items_behavior", "Invalid pending_invoice_items_behavior: must be include or exclude"
        )
    with store.lock:
        customer = records.fetch(store, "customer", customer_id, origin.account, "customer")
        currency = currency_param(params, customer["currency"] or default_currency(store, origin))
        invoice = new_invoice(new_id("in"), customer=customer, currency=currency, created=store.clock.timestamp())
        _apply_invoice_params(store, invoice, params, origin)
        pending = [
            i
            for i in store.objects.get("invoiceitem", {}).values()
            if i["invoice"] is None and i["customer"] == customer_id and records.owner(store, i["id"]) == origin.account
        ]
        if behavior == "include":
            for item in pending:
                if item["currency"] != currency:
                    raise invalid_param(
                        "currency", f"The customer's pending invoice items are in {item['currency']}, not {currency}."
                    )
        records.add(store, invoice, origin.account)
        if behavior == "include":
            for item in pending:
                item["invoice"] = invoice["id"]
        resettle(store, invoice)
        emit(store, "invoice.created", invoice, origin)
        return copy.deepcopy(invoice)


def update_invoice(store: Store, invoice_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account)
        before = copy.deepcopy(invoice)
        working = copy.deepcopy(invoice)
        if invoice["status"] != "draft":
            if set(params) - {"metadata", "expand"}:
                raise not_editable(invoice)
            working["metadata"] = metadata_update(working["metadata"], params)
        else:
            _apply_invoice_params(store, working, params, origin)
            settle_totals(working, items_of(store, invoice_id))
        invoice.update(working)
        if working != before:
            emit(store, "invoice.updated", working, origin, changed_attributes(before, working))
        return copy.deepcopy(working)


def delete_invoice(store: Store, invoice_id: str, origin: Origin) -> dict[str, Any]:
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account)
        if invoice["status"] != "draft":
            raise StripeApiError(
                400, "You can only delete draft invoices; void or mark uncollectible a finalized one.",
                code="invoice_not_editable", param="invoice",
            )  # fmt: skip
        for item in items_of(store, invoice_id):
            item["invoice"] = None  # back to the customer's pending items
        records.remove(store, "invoice", invoice_id)
        emit(store, "invoice.deleted", invoice, origin)
    return {"id": invoice_id, "object": "invoice", "deleted": True}


def _open_for(invoice: dict[str, Any], action: str, allowed: tuple[str, ...]) -> None:
    if invoice["status"] not in allowed:
        raise StripeApiError(
            400,
            f"You can only {action} an invoice whose status is {' or '.join(allowed)}; "
            f"this one is {invoice['status']}.",
            code="invoice_unexpected_state" if invoice["status"] != "draft" else "invoice_not_editable",
            param="invoice",
        )


def finalize_invoice(store: Store, invoice_id: str, origin: Origin) -> dict[str, Any]:
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account)
        _open_for(invoice, "finalize", ("draft",))
        _finalize(store, invoice, origin)
        return copy.deepcopy(invoice)


def _finalize(store: Store, invoice: dict[str, Any], origin: Origin) -> None:
    fee = invoice["application_fee_amount"]
    if fee is not None and fee > invoice["amount_due"]:
        raise invalid_param("application_fee_amount", "The application fee cannot be more than the amount due.")
    if invoice["amount_due"] < 0:
        raise StripeApiError(400, "The invoice's total is negative: the stand-in does not keep credit balances.")
    customer = records.stored(store, "customer", invoice["customer"], origin.account)
    now = store.clock.timestamp()
    token = new_token(24)
    invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
    customer["next_invoice_sequence"] += 1
    invoice["status"] = "open"
    invoice["status_transitions"]["finalized_at"] = now
    invoice["effective_at"] = now
    invoice["automatically_finalizes_at"] = None
    invoice["hosted_invoice_url"] = f"{store.base_url}/i/{token}"
    invoice["invoice_pdf"] = f"{store.base_url}/i/{token}/pdf"
    invoice["customer_email"], invoice["customer_name"] = customer["email"], customer["name"]
    store.hosted_pages[token] = invoice["id"]
    store.internal[invoice["id"]]["page"] = token
    if invoice["amount_due"] > 0:
        intent = open_payment(store, invoice, origin)
        invoice["payments"]["data"] = [invoice_payment(new_id("inpay"), invoice, intent["id"], now)]
    emit(store, "invoice.finalized", invoice, origin)
    if invoice["amount_due"] == 0:
        settle_zero(store, invoice, origin)  # nothing to pay: Stripe marks it paid at once


def send_invoice(store: Store, invoice_id: str, origin: Origin) -> dict[str, Any]:
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account)
        if invoice["collection_method"] != "send_invoice":
            raise invalid_param("invoice", "Only invoices with collection_method `send_invoice` can be sent.")
        _open_for(invoice, "send", ("open", "paid", "uncollectible"))
        customer = records.fetch(store, "customer", invoice["customer"], origin.account)
        if not customer["email"]:
            raise invalid_param("customer", "The customer has no e-mail address to send the invoice to.")
        emit(store, "invoice.sent", invoice, origin)  # in test mode Stripe sends no e-mail, only the event
        return copy.deepcopy(invoice)


def void_invoice(store: Store, invoice_id: str, origin: Origin) -> dict[str, Any]:
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account)
        _open_for(invoice, "void", ("open", "uncollectible"))
        before = copy.deepcopy(invoice)
        invoice["status"] = "void"
        invoice["status_transitions"]["voided_at"] = store.clock.timestamp()
        invoice["amount_remaining"] = 0
        cancel_payment(store, invoice, origin, "void_invoice")
        emit(store, "invoice.voided", invoice, origin, changed_attributes(before, invoice))
        return copy.deepcopy(invoice)


def mark_uncollectible(store: Store, invoice_id: str, origin: Origin) -> dict[str, Any]:
    with store.lock:
        invoice = records.stored(store, "invoice", invoice_id, origin.account)
        _open_for(invoice, "mark uncollectible", ("open",))
        before = copy.deepcopy(invoice)
        invoice["status"] = "uncollectible"
        invoice["status_transitions"]["marked_uncollectible_at"] = store.clock.timestamp()
        emit(store, "invoice.marked_uncollectible", invoice, origin, changed_attributes(before, invoice))
        return copy.deepcopy(invoice)


def apply_due_dates(store: Store) -> None:
    """By the stand-in's clock: drafts with auto_advance are finalized (and sent) after an hour; an open
    send_invoice invoice past its due date stays open, and invoice.overdue is recorded once."""
    now = store.clock.now()
    with store.lock:
        for invoice in list(store.objects.get("invoice", {}).values()):
            internal = store.internal[invoice["id"]]
            origin = Origin(internal["account"])
            due_to_finalize = invoice["automatically_finalizes_at"]
            if invoice["status"] == "draft" and due_to_finalize is not None and due_to_finalize <= now:
                try:
                    _finalize(store, invoice, origin)
                except StripeApiError as exc:
                    invoice["auto_advance"] = False
                    invoice["automatically_finalizes_at"] = None
                    invoice["last_finalization_error"] = exc.body()["error"]
                    emit(store, "invoice.finalization_failed", invoice, origin)
                    continue
                if invoice["collection_method"] == "send_invoice" and invoice["status"] == "open":
                    emit(store, "invoice.sent", invoice, origin)
            overdue = (
                invoice["status"] == "open"
                and invoice["collection_method"] == "send_invoice"
                and invoice["due_date"] is not None
                and invoice["due_date"] <= now
            )
            if overdue and not internal.get("overdue_sent"):
                internal["overdue_sent"] = True
                emit(store, "invoice.overdue", invoice, origin)
