"""Paying an invoice: the hosted invoice page over HTTP, Stripe's test cards, 3-D Secure, the
application fee and transfer to the owner's account, and the signed events."""

from __future__ import annotations

import json

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import PLATFORM_SECRET, WebhookReceiver, config, sdk_client
from tests.stripe_standin.test_invoices_api import draft, mva, onboarded

PAYMENT_EVENTS = ("payment_intent.", "invoice.paid", "invoice.payment_", "application_fee.")


def open_invoice(standin: StandinServer, client: stripe.StripeClient, *, connect: bool = True) -> stripe.Invoice:
    customer = client.v1.customers.create({"email": "kari@example.no", "name": "Kari Nordmann"})
    rate = mva(client, inclusive=False)
    extra: dict[str, object] = {}
    if connect:
        owner = onboarded(standin, client)
        extra = {"on_behalf_of": owner.id, "transfer_data": {"destination": owner.id}, "application_fee_amount": 250}
    invoice = draft(client, customer.id, default_tax_rates=[rate.id], **extra)
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 10000, "currency": "nok", "description": "Lading"}
    )
    return client.v1.invoices.finalize_invoice(invoice.id)


def _payment_events(standin: StandinServer) -> list[str]:
    return [e["type"] for e in standin.events() if e["type"].startswith(PAYMENT_EVENTS)]


def test_the_page_shows_merchant_lines_vat_total_and_due_date(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    invoice = open_invoice(standin, client)
    page = httpx.get(str(invoice.hosted_invoice_url))
    assert page.status_code == 200
    text = page.text
    assert "Invoice from Solsiden borettslag" in text
    assert "Lading" in text and "100.00 NOK" in text
    assert "MVA 25 %" in text and "25.00 NOK" in text
    assert "125.00 NOK" in text
    assert "Due date" in text and "Card number" in text
    assert httpx.get(f"{standin.url}/i/not-a-token").status_code == 404


def test_4242_pays_and_moves_the_money(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client)
    answer = httpx.post(
        str(invoice.hosted_invoice_url),
        data={"number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"},
        follow_redirects=True,
    )
    assert answer.status_code == 200 and "This invoice is paid" in answer.text
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 12500, 0)
    assert paid.status_transitions.paid_at is not None
    intent = client.v1.payment_intents.retrieve(str(paid.payments.data[0].payment.payment_intent))  # type: ignore[union-attr]
    assert (intent.status, intent.amount_received, intent.application_fee_amount) == ("succeeded", 12500, 250)
    owner = str(invoice.on_behalf_of)
    assert [(f["amount"], f["account"]) for f in standin.application_fees()] == [(250, owner)]
    assert [(t["amount"], t["destination"]) for t in standin.transfers()] == [(12500, owner)]
    assert _payment_events(standin) == [
        "payment_intent.created",
        "application_fee.created",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_0002_is_declined_and_the_invoice_stays_open(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client)
    answer = httpx.post(
        str(invoice.hosted_invoice_url), data={"number": "4000000000000002", "expiry": "12/34", "cvc": "123"}
    )
    assert answer.status_code == 402 and "Your card was declined." in answer.text
    current = client.v1.invoices.retrieve(invoice.id)
    assert (current.status, current.amount_paid, current.attempt_count) == ("open", 0, 1)
    intent = client.v1.payment_intents.retrieve(str(current.payments.data[0].payment.payment_intent))  # type: ignore[union-attr]
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert (intent.last_payment_error.code, intent.last_payment_error.decline_code) == (
        "card_declined",
        "generic_decline",
    )
    assert standin.application_fees() == [] and standin.transfers() == []
    assert _payment_events(standin)[-2:] == ["payment_intent.payment_failed", "invoice.payment_failed"]
    # A second try with a good card pays.
    assert standin.pay_invoice(invoice.id)["status"] == "succeeded"
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_a_mistyped_card_changes_nothing(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client, connect=False)
    before = standin.invoice(invoice.id)
    answer = httpx.post(
        str(invoice.hosted_invoice_url), data={"number": "4242 4242 4242 4241", "expiry": "13/20", "cvc": "1"}
    )
    assert answer.status_code == 400
    assert "Your card number is incorrect." in answer.text
    assert "expiration date is incomplete" in answer.text and "security code is incomplete" in answer.text
    assert standin.invoice(invoice.id) == before


def test_3155_needs_3d_secure(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client)
    intent = standin.pay_invoice(invoice.id, card="4000002500003155")
    assert intent["status"] == "requires_action"
    challenge_url = intent["next_action"]["redirect_to_url"]["url"]
    assert client.v1.invoices.retrieve(invoice.id).status == "open"
    page = httpx.get(challenge_url)
    assert "Complete" in page.text and "Fail" in page.text and "125.00 NOK" in page.text

    failed = httpx.post(challenge_url, data={"action": "fail"})
    assert failed.status_code == 402
    assert client.v1.invoices.retrieve(invoice.id).status == "open"
    assert _payment_events(standin)[-2:] == ["payment_intent.payment_failed", "invoice.payment_failed"]
    assert httpx.get(challenge_url).status_code == 404  # answered once

    retry = standin.pay_invoice(invoice.id, card="4000 0025 0000 3155")
    completed = httpx.post(
        retry["next_action"]["redirect_to_url"]["url"], data={"action": "complete"}, follow_redirects=True
    )
    assert "This invoice is paid" in completed.text
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_void_and_paid_invoices_cannot_be_paid(standin: StandinServer, client: stripe.StripeClient) -> None:
    invoice = open_invoice(standin, client, connect=False)
    client.v1.invoices.void_invoice(invoice.id)
    answer = httpx.post(
        str(invoice.hosted_invoice_url), data={"number": "4242424242424242", "expiry": "12/34", "cvc": "123"}
    )
    assert answer.status_code == 400 and "void" in answer.text
    assert client.v1.invoices.retrieve(invoice.id).amount_paid == 0
    with pytest.raises(StripeApiError):
        standin.finish_3ds(invoice.id)
    with pytest.raises(StripeApiError):
        standin.pay_invoice(invoice.id)


def test_payment_events_are_signed_webhooks(receiver: WebhookReceiver) -> None:
    with StandinServer(config(webhook_url=receiver.url)) as standin:
        client = sdk_client(standin)
        invoice = open_invoice(standin, client, connect=False)
        standin.pay_invoice(invoice.id)
        assert standin.wait_for_webhooks()
    bodies = {json.loads(r.body)["type"]: r for r in receiver.received}
    paid = bodies["invoice.paid"]
    event = stripe.Webhook.construct_event(paid.body, paid.signature, PLATFORM_SECRET)
    assert event.data.object.id == invoice.id and event.data.object.status == "paid"
    assert "account" not in json.loads(paid.body)
