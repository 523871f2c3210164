"""The hosted onboarding form and the stand-in's clock: expiry, single use, save, submit, verification
and requirement deadlines."""

from __future__ import annotations

import re

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import config, new_account, sdk_client

REFRESH = "https://portal.test/payments/refresh"
RETURN = "https://portal.test/payments/return"
FULL_FORM = {
    "business_type": "non_profit",
    "company_name": "Solsiden borettslag",
    "company_tax_id": "987654321",
    "address_line1": "Solveien 1",
    "postal_code": "0123",
    "city": "Oslo",
    "mcc": "5552",
    "url": "https://solsiden.example.no",
    "first_name": "Kari",
    "last_name": "Nordmann",
    "email": "kari@example.no",
    "phone": "+4791234567",
    "dob": "1970-05-17",
    "iban": "NO93 8601 1117 947",
    "account_holder_name": "Solsiden borettslag",
    "tos": "accept",
}


def _link(client: stripe.StripeClient, account_id: str) -> str:
    return client.v1.account_links.create(
        {"account": account_id, "type": "account_onboarding", "refresh_url": REFRESH, "return_url": RETURN}
    ).url


def _open_form(browser: httpx.Client, link: str) -> str:
    """Opens the link as a browser does and returns the form's address."""
    landing = browser.get(link)
    assert landing.status_code == 303
    form_page = browser.get(landing.headers["location"])
    assert form_page.status_code == 200
    match = re.search(r'<form method="post" action="([^"]+)"', form_page.text)
    assert match
    return match[1]


@pytest.fixture
def browser(standin: StandinServer) -> httpx.Client:
    return httpx.Client(base_url=standin.url, follow_redirects=False)


def test_an_expired_link_sends_the_browser_to_refresh_url(
    standin: StandinServer, client: stripe.StripeClient, browser: httpx.Client
) -> None:
    link = _link(client, new_account(client).id)
    standin.advance_time(301)
    answer = browser.get(link)
    assert (answer.status_code, answer.headers["location"]) == (302, REFRESH)


def test_a_used_link_sends_the_browser_to_refresh_url(client: stripe.StripeClient, browser: httpx.Client) -> None:
    link = _link(client, new_account(client).id)
    _open_form(browser, link)
    again = browser.get(link)
    assert (again.status_code, again.headers["location"]) == (302, REFRESH)


def test_the_form_is_labelled_prefilled_and_marked_test_mode(
    client: stripe.StripeClient, browser: httpx.Client
) -> None:
    account = new_account(client, business_profile={"url": "https://solsiden.example.no"})
    action = _open_form(browser, _link(client, account.id))
    page = browser.get(action).text
    assert "Test mode — Stripe stand-in" in page
    assert 'value="Solsiden borettslag"' in page and 'value="https://solsiden.example.no"' in page
    for name in re.findall(r'<(?:input|select) id="([^"]+)"', page):
        assert f'<label for="{name}">' in page, name
    assert "Save and finish later" in page and ">Submit<" in page


def test_save_and_finish_later_keeps_what_was_filled_and_leaves_the_rest_due(
    standin: StandinServer, client: stripe.StripeClient, browser: httpx.Client
) -> None:
    account = new_account(client)
    action = _open_form(browser, _link(client, account.id))
    partial = {"business_type": "company", "city": "Oslo", "first_name": "Kari", "action": "save"}
    answer = browser.post(action, data=partial)
    assert (answer.status_code, answer.headers["location"]) == (303, RETURN)

    saved = client.v1.accounts.retrieve(account.id)
    assert saved.details_submitted is False and saved.charges_enabled is False
    assert saved.company.address.city == "Oslo"
    due = set(saved.requirements.currently_due)
    assert not due & {"company.address.city", "representative.first_name"}
    assert {"external_account", "representative.last_name", "tos_acceptance.date"} <= due
    assert standin.events("account.updated")[-1]["account"] == account.id

    # The next link's form shows what was saved; the session that saved is over.
    assert browser.get(action).headers["location"] == REFRESH
    page = browser.get(browser.get(_link(client, account.id)).headers["location"]).text
    assert 'value="Oslo"' in page and 'value="Kari"' in page


def test_submit_then_verification_then_charges_enabled() -> None:
    with StandinServer(config(verify_delay_seconds=3600)) as standin:
        client = sdk_client(standin)
        browser = httpx.Client(base_url=standin.url)
        account = new_account(client)
        action = _open_form(browser, _link(client, account.id))
        answer = browser.post(action, data={**FULL_FORM, "action": "submit"}, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, RETURN)

        pending = client.v1.accounts.retrieve(account.id)
        assert pending.details_submitted is True and pending.charges_enabled is False
        assert pending.requirements.currently_due == []
        assert pending.requirements.pending_verification
        assert pending.requirements.disabled_reason == "requirements.pending_verification"
        assert pending.external_accounts.data[0].last4 == "7947"
        assert pending.tos_acceptance.date is not None

        standin.advance_time(3600)
        ready = client.v1.accounts.retrieve(account.id)
        assert (ready.charges_enabled, ready.payouts_enabled) == (True, True)
        assert ready.requirements.pending_verification == [] and ready.requirements.disabled_reason is None
        assert ready.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
        states = [e["data"]["object"]["charges_enabled"] for e in standin.events("account.updated")]
        assert states[-2:] == [False, True]


def test_submit_with_fields_missing_is_refused_and_changes_nothing(
    standin: StandinServer, client: stripe.StripeClient, browser: httpx.Client
) -> None:
    account = new_account(client)
    action = _open_form(browser, _link(client, account.id))
    incomplete = {k: v for k, v in FULL_FORM.items() if k != "iban"}
    answer = browser.post(action, data={**incomplete, "action": "submit"})
    assert answer.status_code == 400
    assert "external_account" in answer.text
    bad_iban = browser.post(action, data={**FULL_FORM, "iban": "NO00 0000 0000 000", "action": "submit"})
    assert bad_iban.status_code == 400 and "IBAN is not valid" in bad_iban.text
    unchanged = client.v1.accounts.retrieve(account.id)
    assert unchanged.details_submitted is False
    assert unchanged.to_dict() == account.to_dict()
    assert standin.events() == []


def test_a_passed_deadline_makes_requirements_past_due(standin: StandinServer, client: stripe.StripeClient) -> None:
    account = new_account(client)
    standin.complete_onboarding(account.id)
    deadline = standin.now() + 7 * 86400
    asked = standin.set_requirements(account.id, currently_due=["company.tax_id"], current_deadline=deadline)
    assert asked["charges_enabled"] is True  # still enabled until the deadline
    assert asked["requirements"]["current_deadline"] == deadline

    standin.advance_time(7 * 86400 + 1)
    overdue = client.v1.accounts.retrieve(account.id)
    assert overdue.requirements.past_due == ["company.tax_id"]
    assert overdue.charges_enabled is False
    assert overdue.requirements.disabled_reason == "requirements.past_due"
    last = standin.events("account.updated")[-1]
    assert last["data"]["object"]["requirements"]["past_due"] == ["company.tax_id"]
    assert last["account"] == account.id


def test_complete_onboarding_can_leave_fields_due(standin: StandinServer, client: stripe.StripeClient) -> None:
    account = new_account(client)
    done = standin.complete_onboarding(account.id, leave_due=["external_account"])
    assert done["details_submitted"] is True
    assert done["requirements"]["currently_due"] == ["external_account"]
    assert done["charges_enabled"] is False


def test_control_endpoints(standin: StandinServer, client: stripe.StripeClient, browser: httpx.Client) -> None:
    account = new_account(client)
    link = _link(client, account.id)
    before = standin.now()
    moved = browser.post("/_standin/time/advance", data={"seconds": "400"})
    assert moved.status_code == 200 and moved.json()["now"] >= before + 400
    assert browser.get(link).headers["location"] == REFRESH
    assert browser.post("/_standin/time/advance", data={"seconds": "soon"}).status_code == 400
    assert browser.post(f"/_standin/accounts/{account.id}/complete_onboarding").json()["details_submitted"] is True
    events = browser.get("/_standin/events").json()["data"]
    assert events and events[-1]["account"] == account.id
    missing = browser.post("/_standin/accounts/acct_nope/complete_onboarding")
    assert missing.status_code == 404


def test_giving_what_is_past_due_enables_the_account_again(
    standin: StandinServer, client: stripe.StripeClient, browser: httpx.Client
) -> None:
    account = new_account(client)
    standin.complete_onboarding(account.id)
    standin.set_requirements(account.id, currently_due=["company.tax_id"], current_deadline=standin.now() + 60)
    standin.advance_time(61)
    assert client.v1.accounts.retrieve(account.id).charges_enabled is False

    action = _open_form(browser, _link(client, account.id))
    assert browser.post(action, data={"action": "submit"}).status_code == 400  # the organisation number is due
    answer = browser.post(action, data={"company_tax_id": "987654321", "action": "submit"})
    assert (answer.status_code, answer.headers["location"]) == (303, RETURN)
    enabled = client.v1.accounts.retrieve(account.id)
    assert (enabled.charges_enabled, enabled.requirements.past_due, enabled.requirements.currently_due) == (
        True,
        [],
        [],
    )


def test_submitting_again_when_nothing_is_due_changes_nothing(
    standin: StandinServer, client: stripe.StripeClient, browser: httpx.Client
) -> None:
    account = new_account(client)
    standin.complete_onboarding(account.id)
    events_before = standin.events()
    action = _open_form(browser, _link(client, account.id))
    assert browser.post(action, data={"action": "submit"}).status_code == 303
    assert client.v1.accounts.retrieve(account.id).charges_enabled is True
    assert standin.events() == events_before


def test_complete_onboarding_of_an_account_without_business_type(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create({"type": "express", "country": "SE"})
    done = standin.complete_onboarding(account.id)
    assert (done["business_type"], done["charges_enabled"], done["requirements"]["eventually_due"]) == (
        "company",
        True,
        [],
    )
