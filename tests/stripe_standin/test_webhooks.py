"""Signed webhook delivery to a receiver on loopback, verified with the SDK, and retries."""

from __future__ import annotations

import json

import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import (
    CONNECT_SECRET,
    PLATFORM_SECRET,
    WebhookReceiver,
    config,
    new_account,
    sdk_client,
)


def test_connect_events_are_signed_with_the_connect_secret(receiver: WebhookReceiver) -> None:
    with StandinServer(config(webhook_url=receiver.url)) as standin:
        account = new_account(sdk_client(standin))
        standin.complete_onboarding(account.id)
        assert standin.wait_for_webhooks()
        sent = standin.events()

    assert [json.loads(r.body)["id"] for r in receiver.received] == [e["id"] for e in sent]
    first = receiver.received[0]
    event = stripe.Webhook.construct_event(first.body, first.signature, CONNECT_SECRET)
    assert event.type == "account.updated"
    assert event.account == account.id
    assert event.data.object.id == account.id
    assert event.pending_webhooks == 1
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(first.body, first.signature, PLATFORM_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(first.body.replace(account.id, "acct_other"), first.signature, CONNECT_SECRET)
    assert sent[-1]["data"]["object"]["charges_enabled"] is True


def test_a_failed_delivery_is_retried_until_accepted(receiver: WebhookReceiver) -> None:
    receiver.fail_next = 2
    with StandinServer(config(webhook_url=receiver.url)) as standin:
        account = new_account(sdk_client(standin))
        sdk_client(standin).v1.accounts.update(account.id, {"metadata": {"a": "1"}})
        assert standin.wait_for_webhooks()
        deliveries = standin.deliveries()

    (event_id,) = {d["event_id"] for d in deliveries}
    assert [(d["attempt"], d["status_code"], d["succeeded"]) for d in deliveries] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert [json.loads(r.body)["id"] for r in receiver.received] == [event_id] * 3
    for received in receiver.received:
        stripe.Webhook.construct_event(received.body, received.signature, CONNECT_SECRET)


def test_delivery_is_given_up_after_the_last_retry(receiver: WebhookReceiver) -> None:
    receiver.fail_next = 100
    with StandinServer(config(webhook_url=receiver.url, webhook_retry_delays=(0.01,))) as standin:
        account = new_account(sdk_client(standin))
        sdk_client(standin).v1.accounts.update(account.id, {"metadata": {"a": "1"}})
        assert standin.wait_for_webhooks()
        assert [d["attempt"] for d in standin.deliveries()] == [1, 2]


def test_without_a_webhook_url_events_are_only_recorded(standin: StandinServer, client: stripe.StripeClient) -> None:
    account = new_account(client)
    client.v1.accounts.update(account.id, {"metadata": {"a": "1"}})
    assert standin.events()[0]["pending_webhooks"] == 0
    assert standin.deliveries() == []
