"""The organisation's admin sees a member's phones signed in to the app on the member page and logs
them out; another organisation's admin cannot."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Role
from ladeportal.orgs.models import Organization
from tests.enduser.conftest import World
from tests.factories import make_member, mobile_number
from tests.portal.conftest import csrf_of, new_client, sign_in


async def _admin(app: FastAPI, session: AsyncSession, org: Organization) -> httpx.AsyncClient:
    phone = mobile_number()
    await make_member(session, org, phone, role=Role.org_admin)
    client = new_client(app)
    assert (await sign_in(client, session, phone)).status_code == 303
    return client


async def test_the_admin_logs_a_member_out_of_the_app(app: FastAPI, session: AsyncSession, world: World) -> None:
    org_id, member_id, other_org_id = world.org.id, world.me.membership.id, world.outsider_org.id
    admin = await _admin(app, session, world.org)
    outsider_admin = await _admin(app, session, world.outsider_org)
    try:
        page = await admin.get(f"/portal/o/{org_id}/users/{member_id}")
        assert page.status_code == 200 and 'data-testid="app-sessions"' in page.text
        assert "Logg ut av appen" in page.text
        confirm = await admin.get(f"/portal/o/{org_id}/app-sessions/{member_id}/revoke")
        assert confirm.status_code == 200
        # Another organisation's admin reaches neither the question nor the revocation.
        assert (await outsider_admin.get(f"/portal/o/{org_id}/app-sessions/{member_id}/revoke")).status_code == 404
        theirs = await outsider_admin.get(f"/portal/o/{other_org_id}/users")
        assert (
            await outsider_admin.post(
                f"/portal/o/{org_id}/app-sessions/{member_id}/revoke", data={"csrf_token": csrf_of(theirs.text)}
            )
        ).status_code == 404
        assert (await world.me.client.get("/app/")).status_code == 200
        done = await admin.post(
            f"/portal/o/{org_id}/app-sessions/{member_id}/revoke", data={"csrf_token": csrf_of(confirm.text)}
        )
        assert done.status_code == 303
        assert (await world.me.client.get("/app/")).status_code == 303
        assert (await world.neighbour.client.get("/app/")).status_code == 200
    finally:
        await admin.aclose()
        await outsider_admin.aclose()
