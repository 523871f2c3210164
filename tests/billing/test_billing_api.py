"""GET /api/v1/orgs/{org_id}/payments: the organisation's payments state and switch date for its
administrators and finance contacts; members and outsiders get 404, strangers 401."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.models import InvoicingSwitchDate
from ladeportal.billing.onboarding import onboarding_link
from ladeportal.db.engine import Database
from ladeportal.members.models import Role, User
from tests.billing.conftest import REFRESH_URL, RETURN_URL, stored_account
from tests.factories import make_member, make_org, mobile_number
from tests.portal.conftest import TwoOrgs, new_client, sign_in


async def test_staff_see_their_own_organisations_payments_only(
    db: Database, session: AsyncSession, app: FastAPI, two_orgs: TwoOrgs
) -> None:
    a, b = two_orgs.org_a, two_orgs.org_b
    admin_a_id = await session.scalar(select(User.id).where(User.phone == two_orgs.admin_a.phone))
    assert admin_a_id is not None
    await onboarding_link(db, a.id, actor_user_id=admin_a_id, return_url=RETURN_URL, refresh_url=REFRESH_URL)
    session.add(InvoicingSwitchDate(organization_id=a.id, switch_date=date(2199, 1, 1)))
    await session.commit()
    row = await stored_account(session, a.id)
    assert row is not None

    for person in (two_orgs.admin_a, two_orgs.finance_a):
        answer = await person.client.get(f"/api/v1/orgs/{a.id}/payments")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["state"] == "in_progress" and body["account_id"] == row.account_id
        assert body["switch_date"] == "2199-01-01" and body["days_left"] > 0
        assert "external_account" in body["currently_due"]

    outsider = await two_orgs.admin_b.client.get(f"/api/v1/orgs/{a.id}/payments")
    assert outsider.status_code == 404
    own = (await two_orgs.admin_b.client.get(f"/api/v1/orgs/{b.id}/payments")).json()
    assert own["state"] == "not_started" and own["account_id"] is None and own["switch_date"] is None

    # A resident of A (plain member there) who signs in as the admin of their own garage company.
    member_phone = mobile_number()
    await make_member(session, a, member_phone, role=Role.member)
    await make_member(session, await make_org(session), member_phone, role=Role.org_admin)
    async with new_client(app) as member:
        assert (await sign_in(member, session, member_phone)).status_code == 303
        assert (await member.get(f"/api/v1/orgs/{a.id}/payments")).status_code == 404

    async with new_client(app) as stranger:
        assert (await stranger.get(f"/api/v1/orgs/{a.id}/payments")).status_code == 401
