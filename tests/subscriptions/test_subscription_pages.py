"""The owner's Subscription page (org_admin and finance; a member and another organisation's admin get
404) and the operator's subscription pages (staff only): a plan made, a quarter run confirmed and made."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.jobs.outbox import run_due_tasks
from ladeportal.members.models import Role
from ladeportal.members.services import make_operator
from ladeportal.platform.models import AuditEvent
from ladeportal.stripe_standin.server import StandinServer
from ladeportal.subscriptions.models import SubscriptionInvoice, SubscriptionPlan
from tests.factories import ACTOR, make_charger, make_member, make_site, mobile_number
from tests.portal.conftest import TwoOrgs, form_post, new_client, sign_in
from tests.portal.test_portal_norwegian_walk import untranslated_english, visible_texts
from tests.subscriptions.world import LONG_AGO, a_plan, backdate, run_quarter

OPERATOR_PAGE = "/portal/operator/subscriptions"


def assert_norwegian(response: httpx.Response) -> None:
    english = untranslated_english()
    found = sorted({t for t in visible_texts(response.text) if english.find(t) is not None})
    assert found == [], f"English on {response.url}: {found}"


@pytest.fixture
async def staff(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    phone = mobile_number()
    await make_operator(session, ACTOR, phone, "Ola Operatør")
    async with new_client(app) as c:
        assert (await sign_in(c, session, phone)).status_code == 303
        yield c


async def test_owners_see_their_price_and_invoices_and_nobody_else_does(
    app: FastAPI, db: Database, session: AsyncSession, two_orgs: TwoOrgs, standin: StandinServer
) -> None:
    a = two_orgs.org_a
    site = await make_site(session, a)
    for _ in range(3):
        new = await make_charger(session, site)
        await backdate(session, new.charge_point.id, LONG_AGO)
    await a_plan(session, minimum=0)  # 100 kr per charger and month
    url = f"/portal/o/{a.id}/subscription"

    page = await two_orgs.admin_a.client.get(url)
    assert page.status_code == 200
    assert "subscription-plan" in page.text
    # 3 chargers x 100 kr x 3 months = 900 kr + 25 % VAT.
    total = re.search(r'data-testid="quote-total">([^<]+)<', page.text)
    assert total and "1\u00a0125,00" in total.group(1)
    assert "Ingen fakturaer ennå" in page.text
    assert_norwegian(page)

    await run_quarter(db, session, "2027-Q1")
    page = await two_orgs.finance_a.client.get(url)
    assert page.status_code == 200
    row = await session.scalar(select(SubscriptionInvoice).where(SubscriptionInvoice.organization_id == a.id))
    await session.commit()
    assert row is not None and row.pdf_url and row.hosted_url
    assert row.pdf_url in page.text and 'data-testid="pay-link"' in page.text and row.hosted_url in page.text
    assert_norwegian(page)

    # Another organisation's admin and a plain member of A: 404, as for a page that does not exist.
    assert (await two_orgs.admin_b.client.get(url)).status_code == 404
    phone = mobile_number()
    await make_member(session, a, phone, role=Role.member)
    await make_member(session, two_orgs.org_b, phone, role=Role.org_admin)  # so the person can sign in at all
    async with new_client(app) as member:
        assert (await sign_in(member, session, phone)).status_code == 303
        assert (await member.get(url)).status_code == 404
    # B sees its own page, with nothing of A's.
    own = await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/subscription")
    assert own.status_code == 200 and row.hosted_url not in own.text


async def test_staff_make_a_plan_and_run_a_quarter_after_confirming(
    staff: httpx.AsyncClient, db: Database, session: AsyncSession, two_orgs: TwoOrgs, standin: StandinServer
) -> None:
    response = await form_post(
        staff,
        OPERATOR_PAGE,
        f"{OPERATOR_PAGE}/plans",
        {
            "name": "Standard",
            "unit": "charger",
            "currency": "NOK",
            "price_1": "99,50",
            "up_to_1": "10",
            "price_2": "79",
            "minimum": "500",
            "proration": "prorate",
            "days_until_due": "14",
            "is_default": "1",
        },
    )
    assert response.status_code == 303
    plan = await session.scalar(select(SubscriptionPlan).where(SubscriptionPlan.name == "Standard"))
    await session.commit()
    assert plan is not None and plan.is_default
    assert plan.tiers == [{"up_to": 10, "unit_price_minor": 9950}, {"up_to": None, "unit_price_minor": 7900}]
    assert plan.minimum_quarter_minor == 50000

    bad = await form_post(
        staff, OPERATOR_PAGE, f"{OPERATOR_PAGE}/plans",
        {"name": "Bad", "unit": "charger", "currency": "NOK", "price_1": "abc", "proration": "prorate"},
    )  # fmt: skip
    assert bad.status_code == 422

    confirm = await form_post(staff, OPERATOR_PAGE, f"{OPERATOR_PAGE}/runs", {"quarter": "2027-Q2"})
    assert confirm.status_code == 200 and 'data-testid="run-confirm"' in confirm.text
    assert (await session.scalar(select(SubscriptionInvoice.id))) is None
    done = await form_post(staff, OPERATOR_PAGE, f"{OPERATOR_PAGE}/runs", {"quarter": "2027-Q2", "confirm": "1"})
    assert done.status_code == 303
    await run_due_tasks(db, "test-worker")
    page = await staff.get(OPERATOR_PAGE)
    assert re.search(r"2 av 2 fakturaer laget", page.text), page.text
    assert_norwegian(page)
    actions = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("subscription%"))))
    await session.commit()
    assert {"subscription_plan.create", "subscription_run.start"} <= actions


async def test_owners_never_reach_the_operator_pages(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    client = two_orgs.admin_a.client
    assert (await client.get(OPERATOR_PAGE)).status_code == 404
    assert (await client.post(f"{OPERATOR_PAGE}/runs", data={"quarter": "2027-Q1", "confirm": "1"})).status_code in (
        403,
        404,
    )
    await session.commit()
    assert (await session.scalar(select(SubscriptionPlan.id))) is None
