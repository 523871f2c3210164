"""Onboarding an organisation's Stripe Express account: one account per organisation however often and
by whom it is started, made with an idempotency key so a crash between Stripe's answer and storing it
makes no second one; a fresh link every time (an expired one leads back to a new one); Stripe's
refusals and outages stored and raised with codes the portal shows; other organisations unreachable."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing import onboarding
from ladeportal.billing.account_status import PaymentsState
from ladeportal.billing.models import StripeAccount
from ladeportal.billing.onboarding import express_dashboard_link, onboarding_link, payments_status, sync_account
from ladeportal.billing.stripe_gateway import StripeGateway
from ladeportal.db.engine import Database
from ladeportal.errors import DomainError, NotFound, ValidationFailed
from ladeportal.members.models import Role
from ladeportal.platform.models import AuditEvent
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import (
    REFRESH_URL,
    RETURN_URL,
    point_settings_at,
    staff_member,
    standin_accounts,
    stored_account,
)
from tests.factories import make_org


async def _link(db: Database, org_id, user_id) -> str:  # type: ignore[no-untyped-def]
    return await onboarding_link(db, org_id, actor_user_id=user_id, return_url=RETURN_URL, refresh_url=REFRESH_URL)


async def _open(url: str) -> httpx.Response:
    """Open a Stripe link as a browser would, following redirects within Stripe but not out of it."""
    async with httpx.AsyncClient() as http:
        response = await http.get(url, follow_redirects=False)
        while response.is_redirect and response.headers["location"].startswith("/"):
            response = await http.get(
                response.next_request.url if response.next_request else "", follow_redirects=False
            )
        return response


async def test_start_makes_one_account_and_a_second_board_member_continues_it(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org, Role.org_admin)
    finance = await staff_member(session, org, Role.finance)

    first = await _link(db, org.id, admin.user_id)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None and row.account_id.startswith("acct_")
    assert (await payments_status(session, org.id)).state == PaymentsState.in_progress
    assert (await _open(first)).status_code == 200  # the hosted onboarding page

    second = await _link(db, org.id, finance.user_id)
    assert second != first
    again = await stored_account(session, org.id)
    assert again is not None and again.account_id == row.account_id
    assert [a["id"] for a in await standin_accounts(standin, org.id)] == [row.account_id]
    audits = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "payments.account_create")
    )
    assert audits == 1


async def test_a_crash_between_stripes_answer_and_the_commit_makes_no_second_account(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process died before the commit")

    # Stripe has made the account and answered; storing its id fails (the whole transaction rolls back).
    monkeypatch.setattr(onboarding, "record", crash)
    with pytest.raises(RuntimeError):
        await _link(db, org.id, admin.user_id)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is None
    made = await standin_accounts(standin, org.id)
    assert len(made) == 1

    monkeypatch.undo()
    point_settings_at(monkeypatch, standin.url, standin.api_key)
    await _link(db, org.id, admin.user_id)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id == made[0]["id"]
    assert [a["id"] for a in await standin_accounts(standin, org.id)] == [made[0]["id"]]


async def test_an_expired_link_leads_back_to_a_fresh_one(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    old = await _link(db, org.id, admin.user_id)
    standin.advance_time(301)

    expired = await _open(old)
    assert expired.status_code in (302, 303) and expired.headers["location"] == REFRESH_URL
    # The refresh_url's page asks for a link again: a new one, never an error.
    fresh = await _link(db, org.id, admin.user_id)
    assert fresh != old and (await _open(fresh)).status_code == 200


async def test_outsiders_and_plain_members_reach_nothing(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    org_a, org_b = await make_org(session), await make_org(session)
    admin_b = await staff_member(session, org_b)
    member_a = await staff_member(session, org_a, Role.member)
    for user_id in (admin_b.user_id, member_a.user_id):
        with pytest.raises(NotFound):
            await _link(db, org_a.id, user_id)
        with pytest.raises(NotFound):
            await express_dashboard_link(db, org_a.id, actor_user_id=user_id)
    assert await stored_account(session, org_a.id) is None
    assert await standin_accounts(standin, org_a.id) == []


async def test_the_dashboard_link_needs_submitted_details(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    await _link(db, org.id, admin.user_id)
    with pytest.raises(ValidationFailed) as refused:
        await express_dashboard_link(db, org.id, actor_user_id=admin.user_id)
    assert refused.value.code == "payments.onboarding_not_done"

    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None
    standin.complete_onboarding(row.account_id)
    status = await sync_account(db, org.id)
    assert status.state == PaymentsState.ready and status.charges_enabled and status.payouts_enabled
    url = await express_dashboard_link(db, org.id, actor_user_id=admin.user_id)
    assert (await _open(url)).status_code == 200


async def test_sync_stores_what_stripe_asks_for_now(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    await _link(db, org.id, admin.user_id)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None
    standin.complete_onboarding(row.account_id)
    deadline = standin.now() + 7 * 86400
    standin.set_requirements(
        row.account_id, currently_due=["company.tax_id"], eventually_due=["company.tax_id"], current_deadline=deadline
    )
    status = await sync_account(db, org.id)
    assert status.state == PaymentsState.action_needed and status.currently_due == ("company.tax_id",)
    assert status.deadline is not None and int(status.deadline.timestamp()) == deadline
    stored = await stored_account(session, org.id)
    assert stored is not None and stored.state == "action_needed" and stored.synced_at is not None

    # Asked for at once (no deadline): Stripe disables the account until it is given.
    standin.set_requirements(row.account_id, currently_due=["company.tax_id"], eventually_due=["company.tax_id"])
    status = await sync_account(db, org.id)
    assert status.state == PaymentsState.restricted and status.disabled_reason == "requirements.past_due"


async def test_without_an_api_key_payments_are_switched_off_and_nothing_is_stored(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    point_settings_at(monkeypatch, standin.url, "")
    with pytest.raises(ValidationFailed) as off:
        await _link(db, org.id, admin.user_id)
    assert off.value.code == "payments.switched_off"
    assert await session.scalar(select(func.count()).select_from(StripeAccount)) == 0


async def test_a_refusal_is_stored_and_raised_with_stripes_code(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    point_settings_at(monkeypatch, standin.url, "rk_not_a_secret_key")
    with pytest.raises(ValidationFailed) as refused:
        await _link(db, org.id, admin.user_id)
    assert refused.value.code == "payments.stripe_rejected" and refused.value.params["stripe_code"]
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is None and row.last_error_code == refused.value.params["stripe_code"]

    point_settings_at(monkeypatch, standin.url, standin.api_key)
    await _link(db, org.id, admin.user_id)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None and row.last_error_code is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_outage_after_the_retries_is_stored_and_raised_as_unavailable(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    point_settings_at(monkeypatch, f"http://127.0.0.1:{_closed_port()}", standin.api_key, retries=1)
    with pytest.raises(DomainError) as down:
        await _link(db, org.id, admin.user_id)
    assert down.value.code == "payments.stripe_unavailable"
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is None and row.last_error_code == "payments.stripe_unavailable"


async def test_server_errors_are_retried_with_the_same_key_and_rate_limits_reported(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    point_settings_at(monkeypatch, standin.url, standin.api_key, retries=2)
    standin.inject_failures(500, 502)  # the account's create call fails twice, then goes through
    await _link(db, org.id, admin.user_id)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None and row.last_error_code is None
    assert len(await standin_accounts(standin, org.id)) == 1

    # A rate limit is waited out and retried with the same key (the SDK alone would retry a 429 only
    # when Stripe says so): the next link is made.
    links_before = len(standin.events())
    standin.inject_failures(429, 429)
    assert (await _link(db, org.id, admin.user_id)).startswith(standin.url)
    assert len(standin.events()) == links_before  # a link makes no event; nothing was made twice
    assert len(await standin_accounts(standin, org.id)) == 1

    # Rate limits and 5xx beyond the retries are an outage for the caller, who may try again; the
    # account is untouched.
    for failures in ((429, 429, 429), (503, 503, 503)):
        standin.inject_failures(*failures)
        with pytest.raises(DomainError) as down:
            await _link(db, org.id, admin.user_id)
        assert down.value.code == "payments.stripe_unavailable"
        again = await stored_account(session, org.id)
        assert again is not None and again.account_id == row.account_id
        assert again.last_error_code == "payments.stripe_unavailable"
    await _link(db, org.id, admin.user_id)
    assert (await stored_account(session, org.id)).last_error_code is None  # type: ignore[union-attr]


async def test_no_database_connection_is_held_while_stripe_is_asked(
    db: Database, session: AsyncSession, standin: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org)
    await session.commit()
    held: dict[str, int] = {}

    def watching(name: str) -> None:
        real = getattr(StripeGateway, name)

        async def call(self: StripeGateway, *args: object, **kwargs: object) -> object:
            # Every transaction of the operation has ended: its connection is back in the pool.
            held[name] = db.engine.pool.checkedout()  # type: ignore[attr-defined]
            return await real(self, *args, **kwargs)

        monkeypatch.setattr(StripeGateway, name, call)

    for name in ("create_express_account", "create_account_link", "retrieve_account", "create_login_link"):
        watching(name)
    await _link(db, org.id, admin.user_id)
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None
    standin.complete_onboarding(row.account_id)
    await sync_account(db, org.id)
    await express_dashboard_link(db, org.id, actor_user_id=admin.user_id)
    assert held == {
        "create_express_account": 0,
        "create_account_link": 0,
        "retrieve_account": 0,
        "create_login_link": 0,
    }


async def test_two_board_members_starting_at_the_same_moment_share_one_account(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    org = await make_org(session)
    admin = await staff_member(session, org, Role.org_admin)
    finance = await staff_member(session, org, Role.finance)
    links = await asyncio.gather(_link(db, org.id, admin.user_id), _link(db, org.id, finance.user_id))
    assert links[0] != links[1]
    row = await stored_account(session, org.id)
    assert row is not None and row.account_id is not None and row.links_made == 2
    assert [a["id"] for a in await standin_accounts(standin, org.id)] == [row.account_id]
    assert await session.scalar(select(func.count()).select_from(StripeAccount)) == 1


async def test_the_account_is_made_for_the_organisations_country_and_kind_with_its_details_filled_in(
    db: Database, session: AsyncSession, standin: StandinServer
) -> None:
    coop = await make_org(session, legal_name="Solsiden Borettslag", contact_email="styret@solsiden.example")
    company = await make_org(
        session, org_number="5560360793", country="SE", kind="company", currency="SEK", time_zone="Europe/Stockholm"
    )
    for org in (coop, company):
        admin = await staff_member(session, org, Role.org_admin)
        await _link(db, org.id, admin.user_id)

    coop_row = await stored_account(session, coop.id)
    company_row = await stored_account(session, company.id)
    assert coop_row is not None and coop_row.account_id and company_row is not None and company_row.account_id
    coop_account = standin.account(coop_row.account_id)
    assert coop_account["type"] == "express" and coop_account["country"] == "NO"
    assert coop_account["business_type"] == "non_profit"
    assert coop_account["company"]["name"] == "Solsiden Borettslag"
    assert coop_account["company"]["tax_id_provided"] is True
    assert coop_account["business_profile"]["name"] == "Solsiden Borettslag"
    assert coop_account["email"] == "styret@solsiden.example"
    assert coop_account["capabilities"].keys() >= {"card_payments", "transfers"}
    company_account = standin.account(company_row.account_id)
    assert company_account["country"] == "SE" and company_account["business_type"] == "company"
    assert "company.tax_id" not in company_account["requirements"]["currently_due"]
