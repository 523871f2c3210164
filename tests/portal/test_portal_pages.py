"""Pages of one organisation: sites, commissioning, tokens, language, error pages; bad input on every form."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.orgs.models import Site
from ladeportal.platform.api_tokens import ApiToken
from tests.factories import make_site
from tests.portal.conftest import TwoOrgs, csrf_of, form_post


async def _count(session: AsyncSession, model: type) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_admin_creates_and_edits_a_site(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    empty = await c.get(f"{base}/sites")
    assert "empty-title" in empty.text
    response = await form_post(
        c,
        f"{base}/sites/new",
        f"{base}/sites/new",
        {"name": "Garasje A", "price_area": "NO1", "grid_limit_amps": "125", "grid_phases": "3"},
    )
    assert response.status_code == 303
    listing = await c.get(f"{base}/sites")
    assert "Garasje A" in listing.text and "125 A" in listing.text
    site = await session.scalar(select(Site).where(Site.name == "Garasje A"))
    assert site is not None
    response = await form_post(
        c,
        f"{base}/sites/{site.id}/edit",
        f"{base}/sites/{site.id}/edit",
        {"name": "Garasje B", "price_area": "NO5", "street": "Storgata 1", "grid_phases": "1"},
    )
    assert response.status_code == 303
    assert "Storgata 1" in (await c.get(f"{base}/sites")).text


async def test_bad_site_input_shows_an_error_and_stores_nothing(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    for data in (
        {"name": "", "price_area": "NO1"},
        {"name": "X", "price_area": "SE3"},
        {"name": "X", "price_area": "NO1", "grid_limit_amps": "lots"},
        {"name": "X", "price_area": "NO1", "grid_limit_amps": "0"},
        {"name": "X", "price_area": "NO1", "grid_phases": "2"},
        {"name": "x" * 121, "price_area": "NO1"},
    ):
        response = await form_post(c, f"{base}/sites/new", f"{base}/sites/new", data)
        assert response.status_code == 422, data
        assert "is-invalid" in response.text or "alert-danger" in response.text, data
    assert await _count(session, Site) == 0
    await make_site(session, two_orgs.org_a, name="Taken")
    response = await form_post(c, f"{base}/sites/new", f"{base}/sites/new", {"name": "Taken", "price_area": "NO1"})
    assert response.status_code == 422
    assert "Et anlegg med navnet Taken finnes allerede." in response.text
    assert await _count(session, Site) == 1
    response = await form_post(c, f"{base}/sites/new", f"{base}/sites/new", {"name": "X", "price_area": "SE3"})
    assert "Prisområde SE3 ligger ikke i NO." in response.text
    response = await form_post(c, f"{base}/sites/new", f"{base}/sites/new", {"name": "X", "price_area": "XX9"})
    assert "XX9 er ikke et prisområde; bruk et av NO1, NO2, NO3, NO4, NO5, SE1, SE2, SE3, SE4." in response.text


async def test_commissioning_shows_ocpp_url_and_password_once_then_activates(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    site = await make_site(session, two_orgs.org_a)
    response = await form_post(
        c,
        f"{base}/chargers/new",
        f"{base}/chargers/new",
        {"site_id": str(site.id), "ocpp_id": "EVB-P1", "name": "Plass 1", "connectors": "2", "max_power_kw": "11"},
    )
    assert response.status_code == 200
    assert "/ocpp/EVB-P1" in response.text and 'data-testid="ocpp-password"' in response.text
    assert response.headers["cache-control"] == "no-store"
    cp = await session.scalar(select(ChargePoint).where(ChargePoint.ocpp_id == "EVB-P1"))
    assert cp is not None and cp.commissioning_state == CommissioningState.pending
    detail = await c.get(f"{base}/chargers/{cp.id}")
    assert detail.status_code == 200 and "ocpp-password" not in detail.text
    response = await c.post(f"{base}/chargers/{cp.id}/activate", data={"csrf_token": csrf_of(detail.text)})
    assert response.status_code == 303
    await session.refresh(cp)
    assert cp.commissioning_state == CommissioningState.active


async def test_bad_commissioning_input_shows_an_error_and_stores_nothing(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    site = await make_site(session, two_orgs.org_a)
    for data in (
        {"site_id": "", "ocpp_id": "OK-1", "connectors": "1"},
        {"site_id": str(site.id), "ocpp_id": "bad id/with:colon", "connectors": "1"},
        {"site_id": str(site.id), "ocpp_id": "OK-1", "connectors": "0"},
        {"site_id": str(site.id), "ocpp_id": "OK-1", "connectors": "two"},
        {"site_id": str(site.id), "ocpp_id": "OK-1", "connectors": "1", "max_power_kw": "9999"},
    ):
        response = await form_post(c, f"{base}/chargers/new", f"{base}/chargers/new", data)
        assert response.status_code == 422, data
        assert "is-invalid" in response.text, data
    assert await _count(session, ChargePoint) == 0


async def test_the_charger_list_polls_one_partial(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    site = await make_site(session, two_orgs.org_a)
    await form_post(
        c,
        f"{base}/chargers/new",
        f"{base}/chargers/new",
        {"site_id": str(site.id), "ocpp_id": "POLL-1", "connectors": "1"},
    )
    page = await c.get(f"{base}/chargers")
    assert 'hx-trigger="every 5s"' in page.text and "POLL-1" in page.text
    rows = await c.get(f"{base}/chargers?partial=rows", headers={"HX-Request": "true", "X-Background": "1"})
    assert rows.status_code == 200 and "<html" not in rows.text and 'id="cp-' in rows.text
    filtered = await c.get(f"{base}/chargers?state=offline&partial=rows")
    assert "POLL-1" not in filtered.text  # pending, not offline


async def test_api_tokens_are_shown_once_and_revocable(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    page = await c.get(f"{base}/settings")
    response = await c.post(
        f"{base}/settings/tokens", data={"name": "Regnskap", "scopes": "read", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 200 and 'data-testid="new-token"' in response.text
    assert response.headers["cache-control"] == "no-store"
    again = await c.get(f"{base}/settings")
    assert "Regnskap" in again.text and "new-token" not in again.text
    token = await session.scalar(select(ApiToken))
    assert token is not None
    response = await c.post(f"{base}/settings/tokens/{token.id}/revoke", data={"csrf_token": csrf_of(again.text)})
    assert response.status_code == 303
    await session.refresh(token)
    assert token.revoked_at is not None


async def test_bad_token_input_shows_an_error_and_stores_nothing(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    for data in ({"name": "", "scopes": "read"}, {"name": "x"}, {"name": "x", "scopes": "admin"}):
        page = await c.get(f"{base}/settings")
        response = await c.post(f"{base}/settings/tokens", data={**data, "csrf_token": csrf_of(page.text)})
        assert response.status_code == 422, data
    assert await _count(session, ApiToken) == 0


async def test_language_switch_and_locale_formats(two_orgs: TwoOrgs) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    page = await c.get(f"{base}/")
    await c.post("/portal/language", data={"language": "en", "next": f"{base}/", "csrf_token": csrf_of(page.text)})
    english = await c.get(f"{base}/")
    assert "Energy this month" in english.text and "0.0 kWh" in english.text and 'lang="en"' in english.text
    await c.post("/portal/language", data={"language": "nb", "next": f"{base}/", "csrf_token": csrf_of(english.text)})
    norwegian = await c.get(f"{base}/")
    assert "Energi denne måneden" in norwegian.text and "0,0 kWh" in norwegian.text


async def test_only_built_sections_are_in_the_navigation(two_orgs: TwoOrgs) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    page = (await c.get(f"{base}/")).text
    import re

    for href in set(re.findall(r'href="(/portal/[^"?#]*)"', page)):
        if "logout" in href:
            continue
        assert (await c.get(href)).status_code == 200, href


async def test_error_pages(two_orgs: TwoOrgs, client: httpx.AsyncClient) -> None:
    c = two_orgs.admin_a.client
    missing = await c.get("/portal/o/00000000-0000-0000-0000-000000000000/sites")
    assert missing.status_code == 404 and "<html" in missing.text
    assert (await c.get("/portal/nowhere")).status_code == 404
    anonymous = await client.get(f"/portal/o/{two_orgs.org_a.id}/sites")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/portal/login?next=")
    api_missing = await c.get("/api/v1/orgs/00000000-0000-0000-0000-000000000000/chargers")
    assert api_missing.headers["content-type"].startswith("application/json")


async def test_operator_area_lists_organisations(app: object, session: AsyncSession, two_orgs: TwoOrgs) -> None:
    from ladeportal.members.services import make_operator
    from tests.factories import ACTOR, mobile_number
    from tests.portal.conftest import new_client, sign_in

    phone = mobile_number()
    await make_operator(session, ACTOR, phone, "Ola Operatør")
    async with new_client(app) as c:  # type: ignore[arg-type]
        await sign_in(c, session, phone)
        page = await c.get("/portal/operator/")
        assert page.status_code == 200 and "Alfa Borettslag" in page.text and "Beta AS" in page.text
    assert (await two_orgs.admin_a.client.get("/portal/operator/")).status_code == 404
