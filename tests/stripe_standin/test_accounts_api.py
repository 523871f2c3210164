"""The official SDK, unchanged, against the stand-in over HTTP: accounts, links, lists and expand."""

from __future__ import annotations

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import new_account


def test_new_express_account_link_and_login_link(standin: StandinServer, client: stripe.StripeClient) -> None:
    account = new_account(client, metadata={"org_id": "org-1"})

    assert account.id.startswith("acct_")
    assert account.type == "express"
    assert (account.country, account.default_currency) == ("NO", "nok")
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (False, False, False)
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.requirements.current_deadline is None
    due = account.requirements.currently_due
    assert {"business_profile.url", "external_account", "tos_acceptance.date", "tos_acceptance.ip"} <= set(due)
    assert "representative.first_name" in due
    assert "company.name" not in due  # given at creation
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert account.metadata.to_dict() == {"org_id": "org-1"}

    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://portal.test/refresh",
            "return_url": "https://portal.test/return",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith(f"{standin.url}/setup/s/{account.id}/")
    assert link.expires_at == link.created + 300

    with pytest.raises(stripe.InvalidRequestError) as not_onboarded:
        client.v1.accounts.login_links.create(account.id)
    assert not_onboarded.value.http_status == 400

    standin.complete_onboarding(account.id)
    login = client.v1.accounts.login_links.create(account.id)
    assert login.object == "login_link"
    dashboard = httpx.get(login.url)
    assert dashboard.status_code == 200
    assert "Express dashboard" in dashboard.text and account.id in dashboard.text
    assert "Test mode — Stripe stand-in" in dashboard.text


def test_nested_parameters_update_and_expand(client: stripe.StripeClient) -> None:
    account = new_account(
        client,
        company={"name": "Solsiden borettslag", "tax_id": "987654321", "address": {"city": "Oslo", "line1": "Gata 1"}},
        business_profile={"url": "https://solsiden.example.no", "mcc": "5552"},
        metadata={"org_id": "org-1", "keep": "yes"},
    )
    assert account.company.address.city == "Oslo"
    assert account.company.tax_id_provided is True
    assert "tax_id" not in account.company  # write-only, as on Stripe
    due = set(account.requirements.currently_due)
    assert not due & {"company.tax_id", "company.address.city", "business_profile.url", "business_profile.mcc"}
    assert "company.address.postal_code" in due

    updated = client.v1.accounts.update(
        account.id, {"metadata": {"org_id": "", "new": "1"}, "business_profile": {"support_email": "a@b.no"}}
    )
    assert updated.metadata.to_dict() == {"keep": "yes", "new": "1"}  # "" removes a key
    assert updated.business_profile.support_email == "a@b.no"
    assert updated.business_profile.url == "https://solsiden.example.no"

    expanded = client.v1.accounts.retrieve(account.id, {"expand": ["settings.branding.icon"]})
    assert expanded.id == account.id
    with pytest.raises(stripe.InvalidRequestError) as not_expandable:
        client.v1.accounts.retrieve(account.id, {"expand": ["business_profile"]})
    assert not_expandable.value.param == "expand"
    assert "cannot be expanded" in str(not_expandable.value.user_message)


def test_pagination_newest_first_with_both_cursors(client: stripe.StripeClient) -> None:
    ids = [new_account(client).id for _ in range(5)]
    newest_first = list(reversed(ids))

    first = client.v1.accounts.list({"limit": 2})
    assert [a.id for a in first.data] == newest_first[:2]
    assert first.has_more is True and first.url == "/v1/accounts"
    second = client.v1.accounts.list({"limit": 2, "starting_after": first.data[-1].id})
    assert [a.id for a in second.data] == newest_first[2:4]
    back = client.v1.accounts.list({"limit": 2, "ending_before": second.data[0].id})
    assert [a.id for a in back.data] == newest_first[:2]
    assert back.has_more is False
    closest = client.v1.accounts.list({"limit": 1, "ending_before": newest_first[2]})
    assert ([a.id for a in closest.data], closest.has_more) == ([newest_first[1]], True)
    assert [a.id for a in client.v1.accounts.list({"limit": 2}).auto_paging_iter()] == newest_first

    with pytest.raises(stripe.InvalidRequestError) as bad_limit:
        client.v1.accounts.list({"limit": 101})
    assert bad_limit.value.param == "limit"


def test_events_list_and_retrieve_are_scoped_to_the_account(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    account = new_account(client)
    client.v1.accounts.update(account.id, {"metadata": {"a": "1"}})
    event = standin.events("account.updated")[-1]
    assert event["account"] == account.id
    assert event["data"]["previous_attributes"] == {"metadata": {}}

    scoped = client.v1.events.retrieve(event["id"], options={"stripe_account": account.id})
    assert scoped.id == event["id"] and scoped.data.object.metadata.to_dict() == {"a": "1"}
    listed = client.v1.events.list({"type": "account.updated"}, options={"stripe_account": account.id})
    assert [e.id for e in listed.data] == [event["id"]]
    with pytest.raises(stripe.InvalidRequestError):  # a Connect event is not among the platform's own
        client.v1.events.retrieve(event["id"])


async def test_async_use_with_the_async_sdk_methods() -> None:
    from tests.stripe_standin.conftest import config

    async with StandinServer(config()) as standin:
        client = stripe.StripeClient(
            standin.api_key,
            base_addresses={"api": standin.url, "connect": standin.url, "files": standin.url},
            http_client=stripe.HTTPXClient(),
        )
        account = await client.v1.accounts.create_async({"type": "express", "country": "SE"})
        fetched = await client.v1.accounts.retrieve_async(account.id)
        assert (fetched.id, fetched.default_currency) == (account.id, "sek")
        assert "business_type" in fetched.requirements.currently_due
