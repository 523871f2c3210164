"""Settings -> Payments against the Stripe stand-in over HTTP: "Start" sends the browser to a fresh
onboarding link whose return and refresh addresses are the page's; an expired or used link comes
back to /refresh, which makes a new one; /return re-reads the account and shows its state in plain
words; the Express dashboard opens once details are submitted. The board and the finance contact may
use it; a plain member and another organisation's admin get 404 and change nothing. With no Stripe
key the page says payments are switched off and offers no button. The dashboard's card shows the
state and the days left to the invoicing switch date; the demo cooperative gets a date a month ahead."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.deadlines import invoicing_deadline, local_today, set_invoicing_switch_date
from ladeportal.billing.onboarding import payments_status
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.demo import load_demo
from ladeportal.members.models import Role
from ladeportal.members.services import make_operator
from ladeportal.settings import get_settings, load_settings
from ladeportal.stripe_standin.server import StandinConfig, StandinServer
from ladeportal.web import app as web_app
from tests.factories import ACTOR, make_member, make_org, mobile_number
from tests.portal.conftest import TwoOrgs, csrf_of, new_client, sign_in

PUBLIC = "http://testserver"
Configure = Callable[..., None]


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Configure]:
    """Set LADEPORTAL_* variables: the app's settings and the billing area's (get_settings) agree."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"LADEPORTAL_{name.upper()}", str(value))
        get_settings.cache_clear()

    apply(public_url=PUBLIC, stripe_max_network_retries=0)
    yield apply
    get_settings.cache_clear()


@pytest.fixture
def standin(request: pytest.FixtureRequest) -> Iterator[StandinServer]:
    """Verification of submitted details takes `request.param` seconds of the stand-in's clock (none unless
    a test says so through indirect parametrisation)."""
    config = StandinConfig(
        webhook_url=None,
        platform_webhook_secret="whsec_test_platform",
        connect_webhook_secret="whsec_test_connect",
        verify_delay_seconds=float(getattr(request, "param", 0.0)),
        state_file=None,
    )
    with StandinServer(config) as server:
        yield server


async def _running(db: Database) -> AsyncIterator[FastAPI]:
    settings = load_settings(database_url=db.url, mode="test", run_worker_in_process=False)
    application = web_app.create_app(settings, db=db)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def app(db: Database, standin: StandinServer, configure: Configure) -> AsyncIterator[FastAPI]:
    """The portal with payments switched on, talking to the stand-in."""
    configure(stripe_api_key=standin.api_key, stripe_api_base=standin.url)
    async for application in _running(db):
        yield application


def _page(org_id: uuid.UUID) -> str:
    return f"/portal/o/{org_id}/payments"


async def _start(client: httpx.AsyncClient, org_id: uuid.UUID) -> httpx.Response:
    page = await client.get(_page(org_id))
    assert page.status_code == 200, page.text
    return await client.post(f"{_page(org_id)}/start", data={"csrf_token": csrf_of(page.text)})


def _forwarded_to(response: httpx.Response) -> str:
    """Where the answer to a form sends the browser: a page that moves on by itself to Stripe (the
    portal's content security policy keeps form posts from being redirected to another site)."""
    assert response.status_code == 200, response.text
    delay, _, target = response.headers["refresh"].partition("; url=")
    assert delay == "0" and f'href="{target}"' in response.text.replace("&amp;", "&")
    return target


async def _open(url: str) -> httpx.Response:
    """A browser opening a link on the stand-in; redirects are followed only within the stand-in
    (to its form or dashboard), so a redirect back to the portal is what the test sees."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(url)
        while response.is_redirect and response.headers["location"].startswith("/"):
            response = await browser.get(str(response.url.join(response.headers["location"])))
        return response


async def _account_id(session: AsyncSession, org_id: uuid.UUID) -> str | None:
    await session.commit()  # a fresh read of what the app committed
    return (await payments_status(session, org_id)).account_id


async def test_start_sends_the_board_to_a_fresh_onboarding_link_on_stripe(
    two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession
) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a
    page = await c.get(_page(org.id))
    assert "Ikke startet" in page.text and "Start registrering" in page.text
    assert "Fortsett registreringen" not in page.text and "Åpne Stripe Express-dashbordet" not in page.text
    assert 'name="iban"' not in page.text.lower() and "kontonummer" not in page.text.lower()

    link = _forwarded_to(await _start(c, org.id))
    assert link.startswith(f"{standin.url}/")
    account = await _account_id(session, org.id)
    assert account is not None and standin.account(account)["type"] == "express"
    form = await _open(link)
    assert form.status_code == 200  # Stripe's hosted onboarding form
    # "Save and finish later" there brings the browser back to the page's /return.
    async with httpx.AsyncClient() as browser:
        saved = await browser.post(str(form.url), data={"company_name": "Alfa Borettslag", "action": "save"})
    assert saved.is_redirect and saved.headers["location"] == f"{PUBLIC}{_page(org.id)}/return"
    # Links are single-use: opened again, it sends the browser back to the page's /refresh.
    used = await _open(link)
    assert used.is_redirect and used.headers["location"] == f"{PUBLIC}{_page(org.id)}/refresh"

    page = await c.get(_page(org.id))
    assert "Registrering påbegynt" in page.text and "Fortsett registreringen" in page.text
    assert 'data-testid="payments-due"' in page.text
    # "Continue" makes a new link for the same account.
    assert _forwarded_to(await _start(c, org.id)) != link
    assert await _account_id(session, org.id) == account


async def test_an_expired_link_comes_back_to_refresh_which_makes_a_new_one(
    two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession
) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a
    first = _forwarded_to(await _start(c, org.id))
    account = await _account_id(session, org.id)
    standin.advance_time(301)  # a link lives 300 s

    expired = await _open(first)
    assert expired.is_redirect
    refresh_url = expired.headers["location"]
    assert refresh_url == f"{PUBLIC}{_page(org.id)}/refresh"

    again = await c.get(refresh_url.removeprefix(PUBLIC))
    assert again.status_code == 303
    fresh = again.headers["location"]
    assert fresh.startswith(f"{standin.url}/") and fresh != first
    assert (await _open(fresh)).status_code == 200
    assert await _account_id(session, org.id) == account  # the same account, only a new link


async def test_refresh_after_the_portal_session_is_gone_signs_in_and_comes_back(
    app: FastAPI, two_orgs: TwoOrgs
) -> None:
    target = f"{_page(two_orgs.org_a.id)}/refresh"
    async with new_client(app) as signed_out:
        response = await signed_out.get(target)
    assert response.status_code == 303
    assert response.headers["location"] == f"/portal/login?next={target}"


async def test_return_shows_what_is_still_due_then_ready(
    two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession
) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a
    await _start(c, org.id)
    account = await _account_id(session, org.id)
    assert account is not None

    standin.complete_onboarding(account, leave_due=["external_account"])
    page = await c.get(f"{_page(org.id)}/return")
    assert page.status_code == 200
    # What Stripe still asks for, in plain words, and the way back to Stripe's form.
    assert 'data-testid="payments-due"' in page.text and "En bankkonto for utbetalinger" in page.text
    assert "Fortsett registreringen" in page.text and "Klar til å motta betalinger" not in page.text

    standin.complete_onboarding(account)
    page = await c.get(f"{_page(org.id)}/return")
    assert page.status_code == 200
    assert "Klar til å motta betalinger" in page.text
    assert 'data-testid="payments-due"' not in page.text
    assert "Start registrering" not in page.text and "Fortsett registreringen" not in page.text
    # From now on the page shows the stored state without asking Stripe.
    assert "Klar til å motta betalinger" in (await c.get(_page(org.id))).text


@pytest.mark.parametrize("standin", [3600.0], indirect=True)
async def test_while_stripe_verifies_the_state_card_refreshes_itself_until_the_outcome(
    two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession
) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a
    await _start(c, org.id)
    account = await _account_id(session, org.id)
    assert account is not None
    standin.complete_onboarding(account)

    page = await c.get(f"{_page(org.id)}/return")
    assert "Venter på Stripe" in page.text and "Du trenger ikke gjøre noe nå" in page.text
    assert 'hx-trigger="every 3s"' in page.text
    card = await c.get(_page(org.id), params={"partial": "status"}, headers={"x-background": "1"})
    assert card.status_code == 200
    assert 'id="payments-live"' in card.text and "<html" not in card.text and "Venter på Stripe" in card.text

    standin.advance_time(3601)  # Stripe is done checking
    page = await c.get(f"{_page(org.id)}/return")
    assert "Klar til å motta betalinger" in page.text and 'hx-trigger="every 3s"' not in page.text


async def test_a_stripe_failure_on_return_shows_the_last_known_state(
    two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession
) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a
    await _start(c, org.id)
    account = await _account_id(session, org.id)
    assert account is not None
    standin.complete_onboarding(account)
    standin.inject_failures(503)  # Stripe answers the next request with an outage (no retries here)

    page = await c.get(f"{_page(org.id)}/return")
    assert page.status_code == 503
    assert 'data-testid="payments-error"' in page.text
    assert "Registrering påbegynt" in page.text  # the state last known, not a guess
    # The next visit reads Stripe again and is up to date.
    assert "Klar til å motta betalinger" in (await c.get(f"{_page(org.id)}/return")).text


async def test_a_stripe_failure_on_start_is_a_message_on_the_page(
    two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession, configure: Configure
) -> None:
    c, org = two_orgs.admin_a.client, two_orgs.org_a
    standin.inject_failures(503)
    response = await _start(c, org.id)
    assert response.status_code == 503
    assert 'data-testid="payments-error"' in response.text and "Start registrering" in response.text
    assert "Stripe kan ikke nås akkurat nå" in response.text

    configure(stripe_api_key="sk_live_not_this_platforms")  # Stripe refuses the key (401)
    refused = await _start(c, org.id)
    assert refused.status_code == 422 and 'data-testid="payments-error"' in refused.text
    assert "Stripe avviste forespørselen" in refused.text
    assert await _account_id(session, org.id) is None


async def test_the_finance_contact_opens_the_express_dashboard_once_details_are_submitted(
    two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession
) -> None:
    c, org = two_orgs.finance_a.client, two_orgs.org_a
    _forwarded_to(await _start(c, org.id))
    page = await c.get(_page(org.id))
    assert "Åpne Stripe Express-dashbordet" not in page.text
    early = await c.post(f"{_page(org.id)}/dashboard", data={"csrf_token": csrf_of(page.text)})
    assert early.status_code == 422 and 'data-testid="payments-error"' in early.text

    account = await _account_id(session, org.id)
    assert account is not None
    standin.complete_onboarding(account)
    page = await c.get(f"{_page(org.id)}/return")
    assert "Åpne Stripe Express-dashbordet" in page.text
    opened = await c.post(f"{_page(org.id)}/dashboard", data={"csrf_token": csrf_of(page.text)})
    dashboard = _forwarded_to(opened)
    assert dashboard.startswith(f"{standin.url}/") and (await _open(dashboard)).status_code == 200


async def test_a_member_and_another_organisations_admin_get_404_and_nothing_changes(
    app: FastAPI, two_orgs: TwoOrgs, standin: StandinServer, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    # A resident of A (plain member there) who signs in to the portal as the admin of their own garage.
    phone, own = mobile_number(), await make_org(session, legal_name="Egen Garasje AS")
    await make_member(session, org, phone, role=Role.member)
    await make_member(session, own, phone, role=Role.org_admin)
    async with new_client(app) as member:
        assert (await sign_in(member, session, phone)).status_code == 303
        outsider = two_orgs.admin_b.client
        own_page = {outsider: _page(two_orgs.org_b.id), member: _page(own.id)}
        for c in (member, outsider):
            token = csrf_of((await c.get(own_page[c])).text)
            for url in (_page(org.id), f"{_page(org.id)}/refresh", f"{_page(org.id)}/return"):
                assert (await c.get(url)).status_code == 404, url
            for url in (f"{_page(org.id)}/start", f"{_page(org.id)}/dashboard"):
                assert (await c.post(url, data={"csrf_token": token})).status_code == 404, url
            assert 'data-testid="payments-card"' not in (await c.get(f"/portal/o/{org.id}/")).text
    assert await _account_id(session, org.id) is None
    assert standin.events() == []


async def test_switched_off_payments_say_so_and_offer_no_button(
    db: Database, session: AsyncSession, configure: Configure
) -> None:
    configure(stripe_api_key="", stripe_api_base="")
    org = await make_org(session)
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin)
    async for application in _running(db):
        async with new_client(application) as c:
            assert (await sign_in(c, session, phone)).status_code == 303
            page = await c.get(_page(org.id))
            assert page.status_code == 200
            assert 'data-testid="payments-off"' in page.text and "Betalinger er slått av" in page.text
            assert "/payments/start" not in page.text and "/payments/dashboard" not in page.text
            for action in ("start", "dashboard"):
                refused = await c.post(f"{_page(org.id)}/{action}", data={"csrf_token": csrf_of(page.text)})
                assert refused.status_code == 303 and refused.headers["location"] == _page(org.id)
            assert (await c.get(f"{_page(org.id)}/refresh")).headers["location"] == _page(org.id)
            assert 'data-testid="payments-card"' not in (await c.get(f"/portal/o/{org.id}/")).text
    assert await _account_id(session, org.id) is None


async def test_the_dashboard_card_shows_the_state_and_the_days_to_the_switch_date(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    staff = await make_operator(session, ACTOR, mobile_number(), "Ola Drift")
    for person in (two_orgs.admin_a, two_orgs.finance_a):
        card = (await person.client.get(f"/portal/o/{org.id}/")).text
        assert 'data-testid="payments-card"' in card and "ikke satt ennå" in card

    switch = local_today(org.time_zone) + timedelta(days=30)
    await set_invoicing_switch_date(session, [org.id], switch, staff_id=staff.user_id)
    for person in (two_orgs.admin_a, two_orgs.finance_a):
        page = await person.client.get(f"/portal/o/{org.id}/")
        assert 'data-testid="payments-card"' in page.text
        assert "Ikke startet" in page.text and "30 dager igjen" in page.text
        assert f'href="/portal/o/{org.id}/payments"' in page.text
        payments = await person.client.get(_page(org.id))
        assert "30 dager igjen" in payments.text
    # The other organisation has no date.
    assert "30 dager igjen" not in (await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/")).text


async def test_the_demo_cooperative_has_a_month_to_register(
    db: Database, session: AsyncSession, tmp_path: Path
) -> None:
    before = utcnow().date()
    demo = await load_demo(db, str(tmp_path / "demo-chargers.json"))
    after = utcnow().date()
    deadline = await invoicing_deadline(session, demo.organization_id)
    assert deadline.switch_date in {before + timedelta(days=30), after + timedelta(days=30)}
    assert (await payments_status(session, demo.organization_id)).state == "not_started"
