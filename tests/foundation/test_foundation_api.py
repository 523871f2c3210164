"""The JSON API: health, OpenAPI, token authentication, and isolation between organisations."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ladeportal.db.engine import Database
from ladeportal.members.models import IdTag, Membership
from ladeportal.orgs.models import Site
from ladeportal.platform.api_tokens import create_api_token, revoke_api_token
from ladeportal.settings import load_settings
from ladeportal.web.app import create_app
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, make_tag, mobile_number


@dataclass
class World:
    ids_a: dict[str, str]
    ids_b: dict[str, str]
    admin_a: dict[str, str]
    reader_a: dict[str, str]
    admin_b: dict[str, str]


@pytest.fixture
async def world(db: Database) -> World:
    async with db.session() as s:
        ids: list[dict[str, str]] = []
        tokens: list[dict[str, str]] = []
        for _ in range(2):
            org = await make_org(s)
            site = await make_site(s, org)
            cp = await make_charger(s, site)
            member = await make_member(s, org)
            tag = await make_tag(s, org, member)
            ids.append(
                {
                    "org": str(org.id),
                    "site": str(site.id),
                    "charger": str(cp.charge_point.id),
                    "member": str(member.id),
                    "tag": str(tag.id),
                }
            )
            token = await create_api_token(s, ACTOR, org.id, "ci", ["read", "write"])
            tokens.append({"Authorization": f"Bearer {token.secret}"})
        reader = await create_api_token(s, ACTOR, uuid.UUID(ids[0]["org"]), "bi", ["read"])
    return World(ids[0], ids[1], tokens[0], {"Authorization": f"Bearer {reader.secret}"}, tokens[1])


async def test_health_readiness_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    spec = (await client.get("/api/v1/openapi.json")).json()
    assert spec["info"]["title"] == "Ladeportal"
    assert "/api/v1/orgs/{org_id}/sites" in spec["paths"]


async def test_readiness_fails_when_the_database_is_unreachable() -> None:
    # Nothing listens on port 9 (discard) on loopback, so the connection is refused at once.
    unreachable = Database("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    app = create_app(load_settings(run_worker_in_process=False), db=unreachable)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        response = await c.get("/readyz")
        assert (await c.get("/healthz")).status_code == 200
    assert response.status_code == 503 and response.json()["status"] == "unavailable"
    await unreachable.dispose()


async def test_requests_without_or_with_bad_credentials_are_refused(client: httpx.AsyncClient, world: World) -> None:
    url = f"/api/v1/orgs/{world.ids_a['org']}/sites"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers={"Authorization": "Bearer lp_nope_nope"})).status_code == 401
    assert (await client.get(url, headers=world.admin_a)).status_code == 200


async def test_a_revoked_token_stops_working(client: httpx.AsyncClient, world: World, db: Database) -> None:
    async with db.session() as s:
        new = await create_api_token(s, ACTOR, uuid.UUID(world.ids_a["org"]), "tmp", ["read"])
        await revoke_api_token(s, ACTOR, new.token.organization_id, new.token.id)
    response = await client.get(
        f"/api/v1/orgs/{world.ids_a['org']}/sites", headers={"Authorization": f"Bearer {new.secret}"}
    )
    assert response.status_code == 401


async def test_a_read_only_token_cannot_change_anything(client: httpx.AsyncClient, world: World, db: Database) -> None:
    org = world.ids_a["org"]
    assert (await client.get(f"/api/v1/orgs/{org}/members", headers=world.reader_a)).status_code == 200
    response = await client.post(
        f"/api/v1/orgs/{org}/sites", headers=world.reader_a, json={"name": "New", "price_area": "NO1"}
    )
    assert response.status_code == 404
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Site)) == 2


def _org_a_urls(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any] | None]]:
    org = ids["org"]
    return [
        ("GET", f"/api/v1/orgs/{org}", None),
        ("PUT", f"/api/v1/orgs/{org}", {"legal_name": "Hijacked", "org_number": "923609016"}),
        ("GET", f"/api/v1/orgs/{org}/sites", None),
        ("POST", f"/api/v1/orgs/{org}/sites", {"name": "Evil", "price_area": "NO1"}),
        ("GET", f"/api/v1/orgs/{org}/sites/{ids['site']}", None),
        ("PUT", f"/api/v1/orgs/{org}/sites/{ids['site']}", {"name": "Evil", "price_area": "NO1"}),
        ("GET", f"/api/v1/orgs/{org}/chargers", None),
        ("POST", f"/api/v1/orgs/{org}/chargers", {"site_id": ids["site"], "ocpp_id": "EVIL-1"}),
        ("GET", f"/api/v1/orgs/{org}/chargers/{ids['charger']}", None),
        ("POST", f"/api/v1/orgs/{org}/chargers/{ids['charger']}/retire", None),
        ("GET", f"/api/v1/orgs/{org}/members", None),
        ("POST", f"/api/v1/orgs/{org}/members", {"phone": "+4791111111"}),
        ("GET", f"/api/v1/orgs/{org}/members/{ids['member']}", None),
        ("POST", f"/api/v1/orgs/{org}/members/{ids['member']}/block", None),
        ("DELETE", f"/api/v1/orgs/{org}/members/{ids['member']}", None),
        ("GET", f"/api/v1/orgs/{org}/groups", None),
        ("POST", f"/api/v1/orgs/{org}/groups", {"name": "Evil"}),
        ("GET", f"/api/v1/orgs/{org}/tags", None),
        ("POST", f"/api/v1/orgs/{org}/tags", {"uid": "0BADC0DE", "membership_id": ids["member"]}),
        ("POST", f"/api/v1/orgs/{org}/tags/{ids['tag']}/block", None),
    ]


async def test_an_outsider_gets_404_on_every_endpoint_and_nothing_changes(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    for method, url, body in _org_a_urls(world.ids_a):
        response = await client.request(method, url, headers=world.admin_b, json=body)
        assert response.status_code == 404, (method, url, response.text)
    # Swapping ids: org B's path with org A's objects.
    b = world.ids_b["org"]
    for method, url in [
        ("GET", f"/api/v1/orgs/{b}/sites/{world.ids_a['site']}"),
        ("GET", f"/api/v1/orgs/{b}/chargers/{world.ids_a['charger']}"),
        ("GET", f"/api/v1/orgs/{b}/members/{world.ids_a['member']}"),
        ("POST", f"/api/v1/orgs/{b}/members/{world.ids_a['member']}/block"),
        ("POST", f"/api/v1/orgs/{b}/tags/{world.ids_a['tag']}/block"),
        ("POST", f"/api/v1/orgs/{b}/chargers/{world.ids_a['charger']}/retire"),
    ]:
        response = await client.request(method, url, headers=world.admin_b)
        assert response.status_code == 404, (method, url, response.text)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Site)) == 2
        states = (await s.scalars(select(Membership.state))).all()
        assert {st.value for st in states} == {"invited"}
        assert {t.value for t in (await s.scalars(select(IdTag.state))).all()} == {"active"}
    own = await client.get(
        f"/api/v1/orgs/{world.ids_a['org']}/chargers/{world.ids_a['charger']}", headers=world.admin_a
    )
    assert own.status_code == 200 and own.json()["commissioning_state"] == "active"


async def test_bad_input_gets_a_clear_error(client: httpx.AsyncClient, world: World) -> None:
    org = world.ids_a["org"]
    response = await client.post(f"/api/v1/orgs/{org}/members", headers=world.admin_a, json={"phone": "22 22 22 22"})
    assert response.status_code == 422
    assert response.json()["field"] == "phone" and "mobile" in response.json()["message"]
    assert response.json()["error"] == "invalid"
    assert response.json()["code"] == "member.phone_not_mobile"
    assert response.json()["params"] == {"phone": "22 22 22 22"}
    mobile = mobile_number()
    added = await client.post(f"/api/v1/orgs/{org}/members", headers=world.admin_a, json={"phone": mobile})
    assert added.status_code in (200, 201), added.text
    again = await client.post(f"/api/v1/orgs/{org}/members", headers=world.admin_a, json={"phone": mobile})
    assert again.status_code == 409
    assert again.json() == {
        "error": "conflict",
        "message": f"{mobile} is already a member of this organisation.",
        "field": "phone",
        "code": "member.already_member",
        "params": {"phone": mobile},
    }
    response = await client.post(
        f"/api/v1/orgs/{org}/sites", headers=world.admin_a, json={"name": "X", "price_area": "XX9"}
    )
    assert response.status_code == 422 and response.json()["field"] == "price_area"
    response = await client.post(
        f"/api/v1/orgs/{org}/chargers",
        headers=world.admin_a,
        json={"site_id": world.ids_a["site"], "ocpp_id": "ok-1", "connectors": 0},
    )
    assert response.status_code == 422


async def test_commissioning_over_the_api_returns_the_password_once(client: httpx.AsyncClient, world: World) -> None:
    org = world.ids_a["org"]
    response = await client.post(
        f"/api/v1/orgs/{org}/chargers",
        headers=world.admin_a,
        json={"site_id": world.ids_a["site"], "ocpp_id": "NEW-01", "connectors": 1},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["ocpp_url"].endswith("/ocpp/NEW-01") and len(body["password"]) == 19
    again = await client.get(f"/api/v1/orgs/{org}/chargers/{body['charge_point']['id']}", headers=world.admin_a)
    assert "password" not in again.json() and again.json()["commissioning_state"] == "pending"
