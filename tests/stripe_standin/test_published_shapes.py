"""The stand-in's objects against Stripe's published examples (the fixtures of Stripe's OpenAPI
description): every top-level field of an example is present with a compatible JSON type; where the
example is null any type is accepted. The file is read where it lies, beside the repository (or where
LADEPORTAL_STRIPE_FIXTURES points), never copied into the project."""

from __future__ import annotations

import json
import os
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import new_account

REPOSITORY = Path(__file__).resolve().parents[2]
_BESIDE = Path("shared") / "fixtures" / "stripe" / "fixtures3.json"


def _fixtures() -> Path:
    """LADEPORTAL_STRIPE_FIXTURES, else the shared fixtures beside the checkout or beside one of the
    folders above it (a checkout may sit a level deeper than the working copy)."""
    named = os.environ.get("LADEPORTAL_STRIPE_FIXTURES")
    if named:
        return Path(named)
    for folder in REPOSITORY.parents:
        if (folder / _BESIDE).is_file():
            return folder / _BESIDE
    return REPOSITORY.parent / _BESIDE


FIXTURES = _fixtures()


@pytest.fixture(scope="module")
def examples() -> dict[str, Any]:
    if not FIXTURES.is_file():
        pytest.skip(f"Stripe's published examples are not at {FIXTURES} (set LADEPORTAL_STRIPE_FIXTURES)")
    resources: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]
    return resources


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, Decimal):  # the SDK reads Stripe's decimal strings as Decimal
        return "string"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def mismatches(example: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    problems = []
    for name, value in example.items():
        if name not in ours:
            problems.append(f"{name}: missing")
        elif value is not None and _json_type(ours[name]) != _json_type(value):
            problems.append(f"{name}: {_json_type(ours[name])}, Stripe's example has {_json_type(value)}")
    return problems


def test_mismatches_are_found() -> None:
    assert mismatches({"a": 1, "b": None, "c": {}}, {"a": "1", "b": [1]}) == [
        "a: string, Stripe's example has number",
        "c: missing",
    ]


def test_objects_have_the_fields_of_stripes_examples(
    examples: dict[str, Any], standin: StandinServer, client: stripe.StripeClient
) -> None:
    account = new_account(client, metadata={"org_id": "1"})
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://p.test/refresh",
            "return_url": "https://p.test/return",
        }
    )
    client.v1.accounts.update(account.id, {"metadata": {"org_id": "2"}})
    standin.complete_onboarding(account.id)
    login = client.v1.accounts.login_links.create(account.id)
    event = client.v1.events.list(options={"stripe_account": account.id}).data[0]
    listed = client.v1.accounts.list()

    ours = {
        "account": client.v1.accounts.retrieve(account.id).to_dict(),
        "account_link": link.to_dict(),
        "login_link": login.to_dict(),
        "event": event.to_dict(),
        # fixtures3 has no example of a bare list: the account example's external_accounts is one.
        "list": listed.to_dict(),
    }
    published = {name: examples[name] for name in ("account", "account_link", "login_link", "event")}
    published["list"] = examples["account"]["external_accounts"]
    problems = {name: mismatches(published[name], ours[name]) for name in published}
    assert problems == {name: [] for name in published}


def _nullable(sdk_class: type) -> set[str]:
    """The fields the SDK types as Optional: null where Stripe's example happens to show a value."""
    return {
        name for name, hint in getattr(sdk_class, "__annotations__", {}).items() if type(None) in typing.get_args(hint)
    }


def billing_mismatches(example: dict[str, Any], ours: dict[str, Any], sdk_class: type) -> list[str]:
    nullable = _nullable(sdk_class)
    return [p for p in mismatches(example, ours) if not (p.partition(":")[0] in nullable and "null," in p)]


def test_billing_objects_have_the_fields_of_stripes_examples(
    examples: dict[str, Any], standin: StandinServer, client: stripe.StripeClient
) -> None:
    owner = new_account(client)
    standin.complete_onboarding(owner.id)
    customer = client.v1.customers.create({"email": "kari@example.no", "name": "Kari"})
    rate = client.v1.tax_rates.create({"display_name": "MVA", "percentage": 25.0, "inclusive": False})
    invoice = client.v1.invoices.create(
        {
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "default_tax_rates": [rate.id],
            "transfer_data": {"destination": owner.id},
            "application_fee_amount": 100,
        }
    )
    item = client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "unit_amount_decimal": "1250.5", "quantity": 3}
    )
    final = client.v1.invoices.finalize_invoice(invoice.id)
    assert final.payments is not None
    payment = final.payments.data[0]
    intent = client.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    draft = client.v1.invoices.create({"customer": customer.id})
    deleted = client.v1.invoices.delete(draft.id)
    checkout = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://p.test/ok",
            "line_items": [
                {
                    "price_data": {"currency": "nok", "unit_amount": 100, "product_data": {"name": "Lading"}},
                    "quantity": 1,
                }
            ],
        }
    )
    standin.pay_checkout(checkout.id)
    checkout_item = client.v1.checkout.sessions.line_items.list(checkout.id).data[0]

    cases = {
        "customer": (client.v1.customers.retrieve(customer.id), stripe.Customer),
        "tax_rate": (rate, stripe.TaxRate),
        "invoiceitem": (client.v1.invoice_items.retrieve(item.id), stripe.InvoiceItem),
        "invoice": (final, stripe.Invoice),
        "line_item": (final.lines.data[0], stripe.InvoiceLineItem),
        "invoice_payment": (payment, stripe.InvoicePayment),
        "payment_intent": (intent, stripe.PaymentIntent),
        "deleted_invoice": (deleted, stripe.Invoice),
        "checkout.session": (client.v1.checkout.sessions.retrieve(checkout.id), stripe.checkout.Session),
        "item": (checkout_item, stripe.LineItem),
    }
    problems = {
        name: billing_mismatches(examples[name], obj.to_dict(), sdk_class) for name, (obj, sdk_class) in cases.items()
    }
    assert problems == {name: [] for name in cases}


def test_errors_have_stripes_fields(standin: StandinServer) -> None:
    """fixtures3 publishes no error example; the fields are those of the error object Stripe documents
    and the SDK reads (stripe.ErrorObject)."""
    answer = httpx.get(
        f"{standin.url}/v1/accounts/acct_missing", headers={"Authorization": f"Bearer {standin.api_key}"}
    )
    error = answer.json()["error"]
    assert set(error) >= {"type", "code", "param", "message", "doc_url"}
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "resource_missing", "id")
    assert all(isinstance(error[k], str) for k in ("type", "code", "param", "message", "doc_url"))
    parsed = stripe.ErrorObject._construct_from(values=error, requestor=None, api_mode="V1")  # type: ignore[arg-type]
    assert parsed.code == "resource_missing"


def test_credit_notes_refunds_and_payouts_have_the_fields_of_stripes_examples(
    examples: dict[str, Any], standin: StandinServer, client: stripe.StripeClient
) -> None:
    owner = new_account(client)
    standin.complete_onboarding(owner.id)
    customer = client.v1.customers.create({"email": "kari@example.no", "name": "Kari"})
    invoice = client.v1.invoices.create(
        {
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "transfer_data": {"destination": owner.id},
        }
    )
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 5000, "currency": "nok"})
    client.v1.invoices.finalize_invoice(invoice.id)
    intent = standin.pay_invoice(invoice.id)
    refund = client.v1.refunds.create({"payment_intent": intent["id"], "amount": 1000, "reverse_transfer": True})
    note = client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 1000, "refunds": [{"refund": refund.id, "amount_refunded": 1000}]}
    )
    payout = standin.make_payout(owner.id, 4000)
    carried = client.v1.balance_transactions.list({"payout": payout["id"]}, options={"stripe_account": owner.id})
    payment = next(t for t in carried.data if t.type == "payment")
    cases = {
        "balance_transaction": (payment, stripe.BalanceTransaction),
        "credit_note": (client.v1.credit_notes.retrieve(note.id), stripe.CreditNote),
        "credit_note_line_item": (note.lines.data[0], stripe.CreditNoteLineItem),
        "refund": (client.v1.refunds.retrieve(refund.id), stripe.Refund),
        "payout": (client.v1.payouts.retrieve(payout["id"], options={"stripe_account": owner.id}), stripe.Payout),
    }
    problems = {
        name: billing_mismatches(examples[name], obj.to_dict(), sdk_class) for name, (obj, sdk_class) in cases.items()
    }
    assert problems == {name: [] for name in cases}
