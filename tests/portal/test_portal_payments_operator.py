"""The operator's payments overview: every organisation with its state and switch date, searched and
filtered by state; setting the switch date of several organisations is confirmed first and changes
only those. Staff only: an organisation's admin gets 404 on the page and the post, and nothing changes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.deadlines import invoicing_deadline, local_today
from ladeportal.billing.models import StripeAccount
from ladeportal.members.services import make_operator
from ladeportal.orgs.models import Organization
from ladeportal.platform.models import AuditEvent
from tests.factories import ACTOR, make_org, mobile_number
from tests.portal.conftest import TwoOrgs, csrf_of, new_client, sign_in

PAGE = "/portal/operator/payments"
POST = f"{PAGE}/switch-date"


@pytest.fixture
async def staff(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    phone = mobile_number()
    await make_operator(session, ACTOR, phone, "Ola Operatør")
    async with new_client(app) as c:
        assert (await sign_in(c, session, phone)).status_code == 303
        yield c


async def _switch_dates(session: AsyncSession, *orgs: Organization) -> list[date | None]:
    await session.commit()  # a fresh read of what the app committed
    return [(await invoicing_deadline(session, org.id)).switch_date for org in orgs]


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="payments-row" data-org="([^"]+)"', html)


async def test_staff_see_every_organisation_and_filter_by_name_and_state(
    staff: httpx.AsyncClient, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    a, b = two_orgs.org_a, two_orgs.org_b
    session.add(
        StripeAccount(
            organization_id=b.id,
            country="NO",
            business_type="company",
            account_id="acct_b1",
            state="in_progress",
            currently_due=["external_account", "tos_acceptance.date"],
        )
    )
    await session.commit()

    page = await staff.get(PAGE)
    assert page.status_code == 200
    assert set(_rows(page.text)) == {str(a.id), str(b.id)}
    assert "Ikke startet" in page.text and "Registrering påbegynt" in page.text

    assert _rows((await staff.get(PAGE, params={"q": "alfa"})).text) == [str(a.id)]
    assert _rows((await staff.get(PAGE, params={"state": "in_progress"})).text) == [str(b.id)]
    assert _rows((await staff.get(PAGE, params={"state": "ready"})).text) == []
    # An unknown state filters nothing out rather than failing.
    assert len(_rows((await staff.get(PAGE, params={"state": "nonsense"})).text)) == 2


async def test_setting_the_switch_date_is_confirmed_first_and_changes_only_the_selected(
    staff: httpx.AsyncClient, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    a, b = two_orgs.org_a, two_orgs.org_b
    c = await make_org(session, legal_name="Gamma Sameie")
    when = local_today(a.time_zone) + timedelta(days=45)
    token = csrf_of((await staff.get(PAGE)).text)
    form = {"orgs": [str(a.id), str(c.id)], "switch_date": when.isoformat(), "csrf_token": token}

    confirm = await staff.post(POST, data=form)
    assert confirm.status_code == 200 and 'data-testid="switch-confirm"' in confirm.text
    assert "Alfa Borettslag" in confirm.text and "Gamma Sameie" in confirm.text and "Beta AS" not in confirm.text
    assert await _switch_dates(session, a, b, c) == [None, None, None]  # nothing before the confirmation

    done = await staff.post(POST, data={**form, "confirm": "1", "csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303 and done.headers["location"] == PAGE
    assert await _switch_dates(session, a, b, c) == [when, None, when]
    audited = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "payments.switch_date"))).all()
    assert len(audited) == 2

    listing = await staff.get(PAGE)
    assert "Overgangsdatoen er satt for 2 organisasjoner." in listing.text
    assert listing.text.count("45 dager igjen") == 2

    # Removing the date again, for one of them.
    token = csrf_of(listing.text)
    removed = await staff.post(POST, data={"orgs": [str(c.id)], "switch_date": "", "confirm": "1", "csrf_token": token})
    assert removed.status_code == 303
    assert await _switch_dates(session, a, b, c) == [when, None, None]


async def test_bad_input_is_refused_with_a_message_and_nothing_changes(
    staff: httpx.AsyncClient, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    a = two_orgs.org_a
    token = csrf_of((await staff.get(PAGE)).text)
    cases = [
        ({"switch_date": "2030-01-01"}, "Velg minst én organisasjon."),
        ({"orgs": [str(a.id)], "switch_date": "31.02.2030"}, "2027-01-31"),
        ({"orgs": [str(a.id)], "switch_date": (local_today(a.time_zone) - timedelta(days=1)).isoformat()}, None),
    ]
    for data, message in cases:
        response = await staff.post(POST, data={**data, "confirm": "1", "csrf_token": token}, follow_redirects=True)
        assert response.status_code == 200
        assert 'class="alert alert-danger' in response.text, data
        if message:
            assert message in response.text
        token = csrf_of(response.text)
    assert await _switch_dates(session, a) == [None]


async def test_an_org_admin_gets_404_and_nothing_changes(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c = two_orgs.admin_a.client
    assert (await c.get(PAGE)).status_code == 404
    token = csrf_of((await c.get(f"/portal/o/{two_orgs.org_a.id}/")).text)
    refused = await c.post(
        POST,
        data={"orgs": [str(two_orgs.org_a.id)], "switch_date": "2030-01-01", "confirm": "1", "csrf_token": token},
    )
    assert refused.status_code == 404
    assert await _switch_dates(session, two_orgs.org_a) == [None]
