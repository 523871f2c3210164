"""Invoice items: one line of money each for a customer, pending until an invoice takes it or made on a
draft invoice directly; never on more than one invoice. Also what invoices share with them: tax rates,
currencies, metadata and a draft's totals."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from ladeportal.stripe_standin import records
from ladeportal.stripe_standin.accounts import merged_metadata
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, missing_param
from ladeportal.stripe_standin.ids import new_id
from ladeportal.stripe_standin.invoice_shapes import new_invoice_item, settle_totals
from ladeportal.stripe_standin.origin import Origin, emit
from ladeportal.stripe_standin.params import as_bool, as_hash, as_int, as_list, as_string
from ladeportal.stripe_standin.store import Store

MAX_AMOUNT = 99_999_999


def not_editable(invoice: dict[str, Any]) -> StripeApiError:
    return StripeApiError(
        400,
        f"This invoice is {invoice['status']}: it can no longer be edited, only its metadata can change.",
        code="invoice_not_editable",
        param="invoice",
    )


def tax_rates_of(store: Store, ids: list[Any], origin: Origin, param: str) -> list[dict[str, Any]]:
    rates = []
    for rate_id in ids:
        if not isinstance(rate_id, str):
            raise invalid_param(param, f"Invalid array: {param} must be tax rate ids")
        rate = records.fetch(store, "tax_rate", rate_id, origin.account, param)
        if not rate["active"]:
            raise invalid_param(param, f"Tax rate {rate_id} is inactive: an inactive tax rate cannot be applied.")
        rates.append(rate)
    if len({r["id"] for r in rates}) != len(rates):
        raise invalid_param(param, "The same tax rate cannot be applied twice.")
    return rates


def metadata_update(current: dict[str, str], params: dict[str, Any]) -> dict[str, str]:
    update = as_hash(params, "metadata")
    return current if update is None else merged_metadata(current, update)


def decimal_param(params: dict[str, Any], name: str) -> Decimal | None:
    text = as_string(params, name)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise invalid_param(name, f"Invalid decimal: {text}") from exc
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -12:  # type: ignore[operator]
        raise invalid_param(name, f"Invalid decimal: {text}")
    return value


def currency_param(params: dict[str, Any], default: str) -> str:
    currency = (as_string(params, "currency") or default).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid_param("currency", f"Invalid currency: {currency}")
    return currency


def default_currency(store: Store, origin: Origin) -> str:
    if origin.account is None:
        return "nok"
    with store.lock:
        return str(store.accounts[origin.account]["default_currency"])


# -- invoice items -----------------------------------------------------------------------------------


def create_invoice_item(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    customer_id = as_string(params, "customer")
    if not customer_id:
        raise missing_param("customer")
    amount = as_int(params, "amount", low=-MAX_AMOUNT, high=MAX_AMOUNT)
    unit = decimal_param(params, "unit_amount_decimal")
    if (amount is None) == (unit is None):
        raise StripeApiError(
            400, "You must specify exactly one of amount or unit_amount_decimal.", param="amount"
        )  # the stand-in has no prices: one of the two is the item's money
    quantity_int = as_int(params, "quantity", low=0, high=MAX_AMOUNT)
    quantity_dec = decimal_param(params, "quantity_decimal")
    if quantity_int is not None and quantity_dec is not None:
        raise StripeApiError(
            400, "You may only specify one of these parameters: quantity, quantity_decimal.", param="quantity"
        )
    if amount is not None and (quantity_int not in (None, 1) or quantity_dec is not None):
        raise invalid_param("quantity", "When `amount` is given, quantity must be 1; use unit_amount_decimal instead.")
    quantity = quantity_dec if quantity_dec is not None else Decimal(quantity_int if quantity_int is not None else 1)
    period = as_hash(params, "period")
    invoice_id = as_string(params, "invoice")
    with store.lock:
        customer = records.fetch(store, "customer", customer_id, origin.account, "customer")
        currency = currency_param(params, customer["currency"] or default_currency(store, origin))
        now = store.clock.timestamp()
        item = new_invoice_item(
            new_id("ii"),
            customer=customer_id,
            currency=currency,
            unit_amount_decimal=unit if unit is not None else Decimal(amount or 0),
            quantity=quantity,
            created=now,
        )
        item["description"] = as_string(params, "description")
        item["metadata"] = metadata_update({}, params)
        item["tax_rates"] = tax_rates_of(store, as_list(params, "tax_rates"), origin, "tax_rates")
        if (discountable := as_bool(params, "discountable")) is not None:
            item["discountable"] = discountable
        if period is not None:
            start = as_int(period, "start", low=0, high=2**40)
            end = as_int(period, "end", low=0, high=2**40)
            if start is None or end is None:
                raise missing_param("period[start]" if start is None else "period[end]")
            if end < start:
                raise invalid_param("period[end]", "The period's end must be on or after its start.")
            item["period"] = {"end": end, "start": start}
        invoice = None
        if invoice_id:
            invoice = records.stored(store, "invoice", invoice_id, origin.account, "invoice")
            if invoice["status"] != "draft":
                raise not_editable(invoice)
            if invoice["customer"] != customer_id:
                raise invalid_param("invoice", "The invoice belongs to another customer than the invoice item.")
            if invoice["currency"] != currency:
                raise invalid_param("currency", f"The invoice's currency is {invoice['currency']}, not {currency}.")
            item["invoice"] = invoice_id
        records.add(store, item, origin.account)
        emit(store, "invoiceitem.created", item, origin)
        if invoice is not None:
            resettle(store, invoice)
        return copy.deepcopy(item)


def items_of(store: Store, invoice_id: str) -> list[dict[str, Any]]:
    return [i for i in store.objects.get("invoiceitem", {}).values() if i["invoice"] == invoice_id]


def resettle(store: Store, invoice: dict[str, Any]) -> None:
    settle_totals(invoice, items_of(store, invoice["id"]))
