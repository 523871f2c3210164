"""Guest payments at a public charger: Checkout Sessions, their hosted page, manual capture, cancel,
expiry and the events, through the official SDK."""

from __future__ import annotations

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.test_invoices_api import onboarded


def session(client: stripe.StripeClient, owner: str, **intent: object) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "nok",
                        "unit_amount": 20000,
                        "product_data": {"name": "Lading, ladepunkt 3"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://portal.test/guest/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://portal.test/guest/cancel",
            "payment_intent_data": {
                "capture_method": "manual",
                "application_fee_amount": 500,
                "on_behalf_of": owner,
                "transfer_data": {"destination": owner},
                **intent,  # type: ignore[typeddict-item]
            },
            "metadata": {"connector": "3"},
        }
    )


def _types(standin: StandinServer) -> list[str]:
    return [e["type"] for e in standin.events() if e["type"].startswith(("checkout.", "payment_intent."))]


def test_a_guest_authorizes_and_the_platform_captures_what_was_used(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    owner = onboarded(standin, client)
    created = session(client, owner.id)
    assert created.id.startswith("cs_test_")
    assert (created.status, created.payment_status, created.amount_total) == ("open", "unpaid", 20000)
    assert created.payment_intent is None
    assert created.url and created.url.startswith(f"{standin.url}/c/pay/")

    page = httpx.get(created.url)
    assert "Pay Solsiden borettslag" in page.text and "Lading, ladepunkt 3" in page.text and "200.00 NOK" in page.text
    paid = httpx.post(
        created.url,
        data={"email": "guest@example.com", "number": "4242424242424242", "expiry": "12/34", "cvc": "123"},
    )
    assert paid.status_code == 303
    assert paid.headers["location"] == f"https://portal.test/guest/done?session={created.id}"

    completed = client.v1.checkout.sessions.retrieve(created.id)
    assert (completed.status, completed.payment_status) == ("complete", "unpaid")
    assert completed.customer_details is not None and completed.customer_details.email == "guest@example.com"
    intent = client.v1.payment_intents.retrieve(str(completed.payment_intent))
    assert (intent.status, intent.amount_capturable, intent.capture_method) == ("requires_capture", 20000, "manual")
    assert standin.transfers() == []

    captured = client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 7350})
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 7350, 0)
    assert [(t["amount"], t["destination"]) for t in standin.transfers()] == [(7350, owner.id)]
    assert [f["amount"] for f in standin.application_fees()] == [500]
    assert client.v1.checkout.sessions.retrieve(created.id).payment_status == "paid"
    assert _types(standin) == [
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
        "checkout.session.completed",
        "payment_intent.succeeded",
    ]
    with pytest.raises(stripe.InvalidRequestError) as twice:
        client.v1.payment_intents.capture(intent.id)
    assert twice.value.code == "payment_intent_unexpected_state"


def test_automatic_capture_pays_at_once(standin: StandinServer, client: stripe.StripeClient) -> None:
    owner = onboarded(standin, client)
    created = session(client, owner.id, capture_method="automatic")
    intent = standin.pay_checkout(created.id)
    assert intent["status"] == "succeeded"
    done = client.v1.checkout.sessions.retrieve(created.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert _types(standin)[-2:] == ["payment_intent.succeeded", "checkout.session.completed"]


def test_declined_and_3d_secure_cards(standin: StandinServer, client: stripe.StripeClient) -> None:
    owner = onboarded(standin, client)
    created = session(client, owner.id)
    declined = httpx.post(
        str(created.url),
        data={"email": "guest@example.com", "number": "4000000000000002", "expiry": "12/34", "cvc": "123"},
    )
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert client.v1.checkout.sessions.retrieve(created.id).status == "open"

    intent = standin.pay_checkout(created.id, card="4000002500003155")
    assert intent["status"] == "requires_action"
    answer = httpx.post(intent["next_action"]["redirect_to_url"]["url"], data={"action": "complete"})
    assert answer.status_code == 303
    assert client.v1.checkout.sessions.retrieve(created.id).status == "complete"
    assert client.v1.payment_intents.retrieve(intent["id"]).status == "requires_capture"


def test_cancel_releases_the_authorization(standin: StandinServer, client: stripe.StripeClient) -> None:
    owner = onboarded(standin, client)
    created = session(client, owner.id)
    intent = standin.pay_checkout(created.id)
    canceled = client.v1.payment_intents.cancel(intent["id"], {"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.amount_capturable, canceled.cancellation_reason) == ("canceled", 0, "abandoned")
    assert standin.transfers() == [] and standin.application_fees() == []
    assert _types(standin)[-1] == "payment_intent.canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.capture(intent["id"])


def test_expire_by_request_and_by_time(standin: StandinServer, client: stripe.StripeClient) -> None:
    owner = onboarded(standin, client)
    first = session(client, owner.id)
    expired = client.v1.checkout.sessions.expire(first.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(first.id)
    assert "expired" in httpx.get(str(first.url)).text

    second = session(client, owner.id)
    standin.advance_time(24 * 3600)
    assert client.v1.checkout.sessions.retrieve(second.id).status == "expired"
    assert [e["data"]["object"]["id"] for e in standin.events("checkout.session.expired")] == [first.id, second.id]


def test_bad_sessions_are_refused(standin: StandinServer, client: stripe.StripeClient) -> None:
    owner = onboarded(standin, client)
    pending = client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as not_enabled:
        session(client, owner.id, transfer_data={"destination": pending.id})
    assert not_enabled.value.code == "insufficient_capabilities_for_transfer"
    with pytest.raises(stripe.InvalidRequestError) as subscription:
        client.v1.checkout.sessions.create({"mode": "subscription", "success_url": "https://p.test/ok"})
    assert subscription.value.param == "mode"
    with pytest.raises(stripe.InvalidRequestError) as too_soon:
        client.v1.checkout.sessions.create(
            {
                "mode": "payment",
                "success_url": "https://p.test/ok",
                "expires_at": standin.now() + 60,
                "line_items": [
                    {
                        "price_data": {"currency": "nok", "unit_amount": 100, "product_data": {"name": "x"}},
                        "quantity": 1,
                    }
                ],
            }
        )
    assert too_soon.value.param == "expires_at"
    assert [e for e in standin.events() if e["type"].startswith("checkout.")] == []


def test_invoice_payment_intents_cannot_be_canceled_directly(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    from tests.stripe_standin.test_invoice_payments import open_invoice

    invoice = open_invoice(standin, client, connect=False)
    intent_id = str(invoice.payments.data[0].payment.payment_intent)  # type: ignore[union-attr]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(intent_id)
    assert client.v1.payment_intents.retrieve(intent_id).status == "requires_payment_method"


def test_another_account_cannot_touch_a_session_or_its_payment(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    owner = onboarded(standin, client)
    outsider = onboarded(standin, client)
    scope = {"stripe_account": owner.id}
    created = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://portal.test/ok",
            "line_items": [
                {
                    "price_data": {"currency": "nok", "unit_amount": 5000, "product_data": {"name": "Lading"}},
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {"capture_method": "manual", "application_fee_amount": 100},
        },
        options=scope,
    )
    intent = standin.pay_checkout(created.id)
    assert intent["status"] == "requires_capture"
    other = {"stripe_account": outsider.id}
    attempts = [
        lambda: client.v1.checkout.sessions.retrieve(created.id, options=other),
        lambda: client.v1.checkout.sessions.expire(created.id, options=other),
        lambda: client.v1.payment_intents.retrieve(intent["id"], options=other),
        lambda: client.v1.payment_intents.capture(intent["id"], options=other),
        lambda: client.v1.payment_intents.cancel(intent["id"], options=other),
        lambda: client.v1.payment_intents.capture(intent["id"]),  # the platform's own key alone
    ]
    for attempt in attempts:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            attempt()
        assert refused.value.http_status == 404
    assert client.v1.payment_intents.retrieve(intent["id"], options=scope).status == "requires_capture"
    captured = client.v1.payment_intents.capture(intent["id"], options=scope)
    assert captured.status == "succeeded"
    # A direct charge on the connected account: the platform's fee, no transfer.
    assert [(f["amount"], f["account"]) for f in standin.application_fees()] == [(100, owner.id)]
    assert standin.transfers() == []
    completed = [e for e in standin.events("checkout.session.completed")]
    assert [e.get("account") for e in completed] == [owner.id]
