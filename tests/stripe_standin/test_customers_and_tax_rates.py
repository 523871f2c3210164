"""Customers and tax rates through the official SDK: the platform's own and a connected account's are
kept apart, as on Stripe."""

from __future__ import annotations

import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import new_account


def test_customer_create_retrieve_update_list(standin: StandinServer, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        {
            "email": "kari@example.no",
            "name": "Kari Nordmann",
            "phone": "+4791234567",
            "preferred_locales": ["nb", "en"],
            "metadata": {"member_id": "17"},
        }
    )
    assert customer.id.startswith("cus_")
    assert (customer.email, customer.name, customer.phone) == ("kari@example.no", "Kari Nordmann", "+4791234567")
    assert customer.preferred_locales == ["nb", "en"]
    assert customer.next_invoice_sequence == 1

    updated = client.v1.customers.update(customer.id, {"name": "Kari N.", "metadata": {"member_id": ""}})
    assert updated.name == "Kari N."
    assert updated.metadata.to_dict() == {}
    assert client.v1.customers.retrieve(customer.id).name == "Kari N."

    other = client.v1.customers.create({"email": "ola@example.no"})
    assert [c.id for c in client.v1.customers.list().data] == [other.id, customer.id]
    assert [c.id for c in client.v1.customers.list({"email": "ola@example.no"}).data] == [other.id]
    assert [e["type"] for e in standin.events()] == ["customer.created", "customer.updated", "customer.created"]


def test_a_bad_update_changes_nothing(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "kari@example.no", "name": "Kari"})
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.customers.update(customer.id, {"name": "Other", "email": "not-an-address"})
    assert (bad.value.http_status, bad.value.param) == (400, "email")
    assert client.v1.customers.retrieve(customer.id).name == "Kari"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create({"email": "a@example.no", "source": "tok_visa"})  # type: ignore[typeddict-item]
    assert unknown.value.code == "parameter_unknown"


def test_connected_accounts_customers_are_separate(standin: StandinServer, client: stripe.StripeClient) -> None:
    account = new_account(client)
    platform_customer = client.v1.customers.create({"email": "platform@example.no"})
    connected = client.v1.customers.create({"email": "member@example.no"}, options={"stripe_account": account.id})

    assert [c.id for c in client.v1.customers.list().data] == [platform_customer.id]
    listed = client.v1.customers.list(options={"stripe_account": account.id}).data
    assert [c.id for c in listed] == [connected.id]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve(connected.id)
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(platform_customer.id, {"name": "Taken over"}, options={"stripe_account": account.id})
    assert client.v1.customers.retrieve(platform_customer.id).name is None
    created = [e for e in standin.events("customer.created")]
    assert [e.get("account") for e in created] == [None, account.id]


def test_tax_rates(client: stripe.StripeClient) -> None:
    mva = client.v1.tax_rates.create(
        {"display_name": "MVA", "percentage": 25.0, "inclusive": False, "country": "NO", "jurisdiction": "NO"}
    )
    assert mva.id.startswith("txr_")
    assert (mva.display_name, mva.percentage, mva.inclusive, mva.country, mva.active) == ("MVA", 25, False, "NO", True)
    inclusive = client.v1.tax_rates.create({"display_name": "MVA", "percentage": 25.0, "inclusive": True})
    assert client.v1.tax_rates.retrieve(mva.id).jurisdiction == "NO"
    assert [r.id for r in client.v1.tax_rates.list().data] == [inclusive.id, mva.id]
    assert [r.id for r in client.v1.tax_rates.list({"inclusive": True}).data] == [inclusive.id]

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.tax_rates.create({"display_name": "MVA", "percentage": 25.0})  # type: ignore[typeddict-item]
    assert missing.value.param == "inclusive"
    with pytest.raises(stripe.InvalidRequestError) as too_high:
        client.v1.tax_rates.create({"display_name": "MVA", "percentage": 125.0, "inclusive": False})
    assert too_high.value.param == "percentage"
    assert len(client.v1.tax_rates.list().data) == 2
