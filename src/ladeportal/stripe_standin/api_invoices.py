"""/v1/invoiceitems, /v1/invoices and their actions, and /v1/payment_intents/{id}: each a few lines that
read the request and call the change in `invoice_changes` / `invoice_payments`."""

from __future__ import annotations

from typing import Any

from ladeportal.stripe_standin import invoice_changes as changes
from ladeportal.stripe_standin import invoice_items, invoice_payments, records
from ladeportal.stripe_standin.api import ApiRequest, check_expand
from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.listing import LIST_PARAMS, list_object
from ladeportal.stripe_standin.origin import Origin
from ladeportal.stripe_standin.params import as_bool, as_string, reject_unknown

ITEM_PARAMS = (
    "customer", "currency", "amount", "unit_amount_decimal", "quantity", "quantity_decimal", "description",
    "period", "tax_rates", "invoice", "metadata", "discountable", "expand",
)  # fmt: skip
STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def _origin(api: ApiRequest) -> Origin:
    return Origin(api.stripe_account, api.request_id, api.idempotency_key)


def _checked(api: ApiRequest, allowed: tuple[str, ...]) -> None:
    reject_unknown(api.params, allowed)
    check_expand(api.params, frozenset())


def create_invoice_item(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ITEM_PARAMS)
    return invoice_items.create_invoice_item(api.store, api.params, _origin(api))


def retrieve_invoice_item(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return records.fetch(api.store, "invoiceitem", api.path_params["invoiceitem"], api.stripe_account)


def create_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, changes.CREATE_PARAMS)
    return changes.create_invoice(api.store, api.params, _origin(api))


def retrieve_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return records.fetch(api.store, "invoice", api.path_params["invoice"], api.stripe_account)


def update_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, changes.UPDATE_PARAMS)
    return changes.update_invoice(api.store, api.path_params["invoice"], api.params, _origin(api))


def delete_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ())
    return changes.delete_invoice(api.store, api.path_params["invoice"], _origin(api))


def list_invoices(api: ApiRequest) -> dict[str, Any]:
    _checked(api, (*LIST_PARAMS, "customer", "status", "collection_method"))
    invoices = records.newest_first(api.store, "invoice", api.stripe_account)
    for name in ("customer", "status", "collection_method"):
        if (wanted := as_string(api.params, name)) is not None:
            if name == "status" and wanted not in STATUSES:
                raise StripeApiError(400, f"Invalid status: must be one of {', '.join(STATUSES)}", param="status")
            invoices = [i for i in invoices if i[name] == wanted]
    return list_object(invoices, api.params, url="/v1/invoices", kind="invoice")


def list_lines(api: ApiRequest) -> dict[str, Any]:
    _checked(api, LIST_PARAMS)
    invoice = records.fetch(api.store, "invoice", api.path_params["invoice"], api.stripe_account, "invoice")
    # Stripe lists an invoice's lines in their order on the invoice, not newest first.
    url = f"/v1/invoices/{invoice['id']}/lines"
    return list_object(invoice["lines"]["data"], api.params, url=url, kind="line_item")


def finalize_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("auto_advance", "expand"))
    if as_bool(api.params, "auto_advance") is not None:
        changes.update_invoice(
            api.store, api.path_params["invoice"], {"auto_advance": api.params["auto_advance"]}, _origin(api)
        )
    return changes.finalize_invoice(api.store, api.path_params["invoice"], _origin(api))


def send_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return changes.send_invoice(api.store, api.path_params["invoice"], _origin(api))


def pay_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("paid_out_of_band", "expand"))
    if as_bool(api.params, "paid_out_of_band") is not True:
        records.fetch(api.store, "invoice", api.path_params["invoice"], api.stripe_account)
        raise StripeApiError(
            400,
            "This customer has no attached payment source or default payment method. The stand-in's customers "
            "pay on the hosted invoice page, or the invoice is marked paid_out_of_band.",
        )
    return invoice_payments.pay_out_of_band(api.store, api.path_params["invoice"], _origin(api))


def void_invoice(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return changes.void_invoice(api.store, api.path_params["invoice"], _origin(api))


def mark_uncollectible(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand",))
    return changes.mark_uncollectible(api.store, api.path_params["invoice"], _origin(api))


def retrieve_payment_intent(api: ApiRequest) -> dict[str, Any]:
    _checked(api, ("expand", "client_secret"))
    return invoice_payments.retrieve_intent(api.store, api.path_params["intent"], api.stripe_account)
