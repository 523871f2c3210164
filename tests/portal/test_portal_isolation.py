"""The isolation matrix: an admin of A, a finance user of A and an admin of B. Every page and action
reached with another organisation's ids answers 404 and changes nothing; finance only reads."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.orgs.models import Site
from ladeportal.platform.api_tokens import ApiToken, create_api_token
from ladeportal.platform.models import AuditEvent
from tests.factories import ACTOR, make_charger, make_site
from tests.portal.conftest import TwoOrgs, csrf_of

pytestmark = pytest.mark.asyncio


async def _objects(session: AsyncSession, orgs: TwoOrgs) -> dict[str, dict[str, str]]:
    ids: dict[str, dict[str, str]] = {}
    for key, org in (("A", orgs.org_a), ("B", orgs.org_b)):
        site = await make_site(session, org)
        charger = await make_charger(session, site)
        token = await create_api_token(session, ACTOR, org.id, "export", ["read"])
        ids[key] = {
            "org": str(org.id),
            "site": str(site.id),
            "charger": str(charger.charge_point.id),
            "token": str(token.token.id),
        }
    return ids


def _gets(org: str, o: dict[str, str]) -> list[str]:
    base = f"/portal/o/{org}"
    return [
        f"{base}/",
        f"{base}/sites",
        f"{base}/sites/{o['site']}/edit",
        f"{base}/chargers",
        f"{base}/chargers/{o['charger']}",
        f"{base}/settings",
        f"{base}/chargers/new",
    ]


def _posts(org: str, o: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Every form; in the caller's own organisation only those that carry another tenant's ids."""
    base = f"/portal/o/{org}"
    own_org = org != o["org"]
    forms = [
        (f"{base}/sites/{o['site']}/edit", {"name": "Renamed", "price_area": "NO2"}),
        (f"{base}/chargers/new", {"site_id": o["site"], "ocpp_id": "INTRUDER-1", "connectors": "1"}),
        (f"{base}/chargers/{o['charger']}/activate", {}),
        (f"{base}/chargers/{o['charger']}/commands/reset", {"type": "Soft"}),
        (f"{base}/settings/tokens/{o['token']}/revoke", {}),
    ]
    if not own_org:
        forms += [
            (f"{base}/sites/new", {"name": "Intruder", "price_area": "NO1"}),
            (f"{base}/settings/tokens", {"name": "intruder", "scopes": "write"}),
        ]
    return forms


async def _state(session: AsyncSession) -> tuple[object, ...]:
    await session.commit()  # ends the read transaction without expiring the test's objects
    return (
        tuple((await session.execute(select(Site.id, Site.name, Site.price_area).order_by(Site.id))).all()),
        tuple(
            (
                await session.execute(select(ChargePoint.id, ChargePoint.commissioning_state).order_by(ChargePoint.id))
            ).all()
        ),
        tuple((await session.execute(select(ApiToken.id, ApiToken.revoked_at).order_by(ApiToken.id))).all()),
        await session.scalar(select(func.count()).select_from(AuditEvent)),
    )


async def _token(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/portal/", follow_redirects=True)).text)


async def test_swapping_any_id_between_organisations_gives_404_and_changes_nothing(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    ids = await _objects(session, two_orgs)
    a, b = ids["A"], ids["B"]
    before = await _state(session)
    # Each person tries: the other organisation in the path, and their own org with the other's ids.
    attempts = [
        (two_orgs.admin_a, b["org"], b),
        (two_orgs.admin_a, a["org"], b),
        (two_orgs.finance_a, b["org"], b),
        (two_orgs.finance_a, a["org"], b),
        (two_orgs.admin_b, a["org"], a),
        (two_orgs.admin_b, b["org"], a),
    ]
    for person, org, objects in attempts:
        for url in _gets(org, objects):
            response = await person.client.get(url)
            swapped_object = org != objects["org"]
            if swapped_object and url.endswith(("/", "/sites", "/chargers", "/settings", "/chargers/new")):
                continue  # own organisation's list pages are fine to see
            assert response.status_code == 404, (person.phone, url, response.status_code)
        csrf = await _token(person.client)
        for url, data in _posts(org, objects):
            response = await person.client.post(url, data={**data, "csrf_token": csrf})
            assert response.status_code == 404, (person.phone, url, response.status_code)
    assert await _state(session) == before


async def test_finance_reads_but_cannot_change(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    ids = await _objects(session, two_orgs)
    a = ids["A"]
    finance = two_orgs.finance_a.client
    for url in (
        f"/portal/o/{a['org']}/",
        f"/portal/o/{a['org']}/sites",
        f"/portal/o/{a['org']}/chargers",
        f"/portal/o/{a['org']}/chargers/{a['charger']}",
        f"/portal/o/{a['org']}/settings",
    ):
        assert (await finance.get(url)).status_code == 200, url
    page = (await finance.get(f"/portal/o/{a['org']}/sites")).text
    assert "/sites/new" not in page
    before = await _state(session)
    csrf = await _token(finance)
    for url, data in _posts(a["org"], a):
        assert (await finance.post(url, data={**data, "csrf_token": csrf})).status_code == 404, url
    assert await _state(session) == before


async def test_the_json_api_with_a_browser_session_is_isolated_too(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    ids = await _objects(session, two_orgs)
    admin_a = two_orgs.admin_a.client
    assert (await admin_a.get(f"/api/v1/orgs/{ids['A']['org']}/chargers")).status_code == 200
    assert (await admin_a.get(f"/api/v1/orgs/{ids['B']['org']}/chargers")).status_code == 404
    assert (await admin_a.get(f"/api/v1/orgs/{ids['A']['org']}/chargers/{ids['B']['charger']}")).status_code == 404
    # An unsafe API request by cookie needs the CSRF header, or the cookie does not count.
    response = await admin_a.post(f"/api/v1/orgs/{ids['A']['org']}/chargers/{ids['A']['charger']}/activate")
    assert response.status_code == 401
