"""The pricing JSON API: plans, versions, assignments and quotes work for the admin, every bad input is
refused with a message naming the field, and an admin of org B reaches nothing of org A."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pricing_db_support import GUESTS, RESIDENTS, SPOT, Place, charge, make_place, utc
from sqlalchemy import func, select
from tests.factories import ACTOR, make_charger

from ladeportal.db.engine import Database
from ladeportal.members.models import IdTag
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.api_tokens import create_api_token
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PricePlanVersion


@dataclass
class Org:
    id: str
    group: str
    site: str
    admin: dict[str, str]
    reader: dict[str, str]

    @property
    def base(self) -> str:
        return f"/api/v1/orgs/{self.id}/price-plans"


@pytest.fixture
async def orgs(db: Database) -> tuple[Org, Org]:
    out = []
    async with db.session() as s:
        for _ in range(2):
            place = await make_place(s)
            admin = await create_api_token(s, ACTOR, place.org.id, "ci", ["read", "write"])
            reader = await create_api_token(s, ACTOR, place.org.id, "ro", ["read"])
            out.append(
                Org(
                    str(place.org.id),
                    str(place.residents.id),
                    str(place.site.id),
                    {"Authorization": f"Bearer {admin.secret}"},
                    {"Authorization": f"Bearer {reader.secret}"},
                )
            )
    return out[0], out[1]


async def new_plan(
    client: httpx.AsyncClient,
    org: Org,
    name: str,
    definition: dict[str, Any],
    effective_from: str = "2026-01-01T00:00:00Z",
) -> dict[str, Any]:
    r = await client.post(
        org.base, json={"name": name, "definition": definition, "effective_from": effective_from}, headers=org.admin
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_residents_and_guests_priced_differently_and_previewed(
    client: httpx.AsyncClient, orgs: tuple[Org, Org]
) -> None:
    a, _ = orgs
    residents = await new_plan(client, a, "Beboere", RESIDENTS)
    guests = await new_plan(client, a, "Gjester", GUESTS)
    spot = await new_plan(client, a, "Spot", SPOT)
    assert residents["current_version"]["number"] == 1
    assert "kWh" in residents["current_version"]["description"]
    assert residents["current_version"]["definition"]["vat_rate_bp"] == 2500

    r = await client.put(f"{a.base}/assignments/groups/{a.group}", json={"plan_id": residents["id"]}, headers=a.admin)
    assert r.status_code == 200 and r.json()["audience"] == "private"
    r = await client.put(
        f"{a.base}/assignments/public", json={"plan_id": guests["id"], "site_id": a.site}, headers=a.admin
    )
    assert r.status_code == 200 and r.json()["site_id"] == a.site
    r = await client.get(a.base, headers=a.reader)
    used = {p["name"]: [(u["audience"], u["group_name"]) for u in p["used_by"]] for p in r.json()}
    assert used == {"Beboere": [("private", "Beboere")], "Gjester": [("public", None)], "Spot": []}

    # 21:00-23:00 in Oslo, 8 kWh spread evenly: 4 kWh by day at 2,00 and 4 kWh at night at 1,00 + kr 5.
    body = {"start": "2026-03-02T21:00:00+01:00", "end": "2026-03-02T23:00:00+01:00", "energy_wh": 8000}
    r = await client.post(f"{a.base}/{residents['id']}/quote", json=body, headers=a.reader)
    assert r.status_code == 200, r.text
    q = r.json()
    assert (q["total"], q["total_incl_vat"], q["total_excl_vat"], q["vat"]) == (1700, 1700, 1360, 340)
    assert [(x["label"], x["gross"], x["unit_price_incl_vat"], x["unit_price_excl_vat"]) for x in q["lines"]] == [
        ("day", 800, "2.00", "1.6"),
        ("night", 400, "1.00", "0.8"),
        ("", 500, "5", "4"),
    ]
    samples = {
        "start": body["start"],
        "end": body["end"],
        "meter_samples": [
            {"at": "2026-03-02T20:00:00Z", "register_wh": 100},
            {"at": "2026-03-02T21:00:00Z", "register_wh": 100},
            {"at": "2026-03-02T22:00:00Z", "register_wh": 8100},
        ],
    }
    r = await client.post(f"{a.base}/{residents['id']}/quote", json=samples, headers=a.reader)
    assert [x["gross"] for x in r.json()["lines"]] == [800, 500]  # all 8 kWh at night
    r = await client.post(f"{a.base}/{guests['id']}/quote", json=body, headers=a.reader)
    assert r.json()["total"] == 8 * 450 + 60 * 50 + 1000  # energy, 60 min after the free hour, start fee
    r = await client.post(f"{a.base}/{spot['id']}/quote", json=body, headers=a.reader)
    assert r.json()["needs_review"] is True and r.json()["warnings"][0]["code"] == "spot_price_missing"

    r = await client.post(
        f"{a.base}/{residents['id']}/versions",
        headers=a.admin,
        json={"definition": {**RESIDENTS, "start_fee": "0"}, "effective_from": "2030-01-01T00:00:00+01:00"},
    )
    assert r.status_code == 201 and r.json()["status"] == "scheduled" and r.json()["number"] == 2
    r = await client.get(f"{a.base}/{residents['id']}/versions", headers=a.reader)
    assert [v["status"] for v in r.json()] == ["current", "scheduled"]
    r = await client.delete(f"{a.base}/{residents['id']}/versions/{r.json()[1]['id']}", headers=a.admin)
    assert r.status_code == 204
    r = await client.patch(f"{a.base}/{spot['id']}", json={"name": "Spotpris"}, headers=a.admin)
    assert r.json()["name"] == "Spotpris"
    assert (await client.delete(f"{a.base}/{spot['id']}", headers=a.admin)).status_code == 204
    assert [p["name"] for p in (await client.get(a.base, headers=a.reader)).json()] == ["Beboere", "Gjester"]
    # Reading is for staff; changing is for admins.
    r = await client.post(a.base, json={"name": "X", "definition": GUESTS}, headers=a.reader)
    assert r.status_code == 404


def band(start: str, end: str, price: str = "1") -> dict[str, Any]:
    return {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": start, "end": end, "price_per_kwh": price}


@pytest.mark.parametrize(
    ("energy", "field", "words"),
    [
        ({"type": "fixed", "price_per_kwh": "-0.5"}, "energy.price_per_kwh", "negative"),
        ({"type": "time_of_day", "bands": [band("00:00", "12:00")]}, "energy.bands", "no band covers"),
        ({"type": "time_of_day", "bands": [band("00:00", "13:00"), band("12:00", "00:00")]}, "energy.bands", "overlap"),
        ({"type": "spot", "area": "DK1", "fallback_per_kwh": "2"}, "energy.area", "unknown price area"),
        (
            {"type": "spot", "area": "NO1", "fallback_per_kwh": "2", "floor_per_kwh": "3", "ceiling_per_kwh": "1"},
            "energy.floor_per_kwh",
            "above the ceiling",
        ),
    ],
)
async def test_bad_plans_are_refused_with_the_field(
    client: httpx.AsyncClient, orgs: tuple[Org, Org], energy: dict[str, Any], field: str, words: str
) -> None:
    a, _ = orgs
    r = await client.post(a.base, json={"name": "Feil", "definition": {"energy": energy}}, headers=a.admin)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and words in r.json()["message"]
    assert (await client.get(a.base, headers=a.admin)).json() == []


async def test_other_bad_inputs(client: httpx.AsyncClient, orgs: tuple[Org, Org]) -> None:
    a, _ = orgs
    plan = await new_plan(client, a, "Beboere", RESIDENTS)
    r = await client.post(a.base, json={"name": "Beboere", "definition": RESIDENTS}, headers=a.admin)
    assert r.status_code == 409 and r.json()["field"] == "name"
    r = await client.post(
        a.base,
        json={"name": "Min", "definition": {**GUESTS, "minimum_per_session": "50", "maximum_per_session": "20"}},
        headers=a.admin,
    )
    assert r.status_code == 422 and "above the maximum" in r.json()["message"]
    r = await client.post(
        f"{a.base}/{plan['id']}/quote",
        headers=a.admin,
        json={"start": "2026-03-02T23:00:00Z", "end": "2026-03-02T21:00:00Z", "energy_wh": 1},
    )
    assert r.status_code == 422 and r.json()["field"] == "end"
    r = await client.post(
        f"{a.base}/{plan['id']}/quote",
        headers=a.admin,
        json={"start": "2025-03-02T21:00:00Z", "end": "2025-03-02T23:00:00Z", "energy_wh": 1},
    )
    assert r.status_code == 422 and "No version" in r.json()["message"]


async def test_a_version_in_the_past_over_priced_sessions_is_refused(
    db: Database, client: httpx.AsyncClient, orgs: tuple[Org, Org]
) -> None:
    a, _ = orgs
    plan = await new_plan(client, a, "Beboere", RESIDENTS)
    await client.put(f"{a.base}/assignments/groups/{a.group}", json={"plan_id": plan["id"]}, headers=a.admin)
    async with db.session() as s:
        org = await s.get(Organization, uuid.UUID(a.id))
        site = await s.get(Site, uuid.UUID(a.site))
        tag = await s.scalar(select(IdTag).where(IdTag.organization_id == uuid.UUID(a.id)))
        assert org is not None and site is not None and tag is not None
        cp = await make_charger(s, site)
        row = await charge(
            s,
            Place(org, site, None, None, tag),
            cp.charge_point.id,  # type: ignore[arg-type]
            utc(2026, 2, 1, 18),
            utc(2026, 2, 1, 19),
            4000,
        )
        assert row.cost_total_minor is not None and row.cost_total_minor > 0
    r = await client.post(
        f"{a.base}/{plan['id']}/versions",
        headers=a.admin,
        json={"definition": GUESTS, "effective_from": "2026-02-01T00:00:00Z"},
    )
    assert r.status_code == 422 and r.json()["field"] == "effective_from"
    assert "already priced" in r.json()["message"]
    r = await client.get(f"{a.base}/{plan['id']}/versions", headers=a.admin)
    assert len(r.json()) == 1
    estimate = await client.get(f"{a.base}/session-estimates/{row.id}", headers=a.reader)
    assert estimate.status_code == 200 and estimate.json()["breakdown"]["total"] == row.cost_total_minor


async def test_an_admin_of_org_b_reaches_nothing_of_org_a(
    db: Database, client: httpx.AsyncClient, orgs: tuple[Org, Org]
) -> None:
    a, b = orgs
    plan = await new_plan(client, a, "Beboere", RESIDENTS)
    version = plan["current_version"]["id"]
    pid = plan["id"]
    quote = {"start": "2026-03-02T21:00:00Z", "end": "2026-03-02T23:00:00Z", "energy_wh": 1000}
    attempts = [
        ("GET", a.base, None),
        ("POST", a.base, {"name": "X", "definition": GUESTS}),
        ("GET", f"{a.base}/{pid}", None),
        ("PATCH", f"{a.base}/{pid}", {"name": "Stolen"}),
        ("DELETE", f"{a.base}/{pid}", None),
        ("GET", f"{a.base}/{pid}/versions", None),
        ("POST", f"{a.base}/{pid}/versions", {"definition": GUESTS}),
        ("GET", f"{a.base}/{pid}/versions/{version}", None),
        ("DELETE", f"{a.base}/{pid}/versions/{version}", None),
        ("POST", f"{a.base}/{pid}/quote", quote),
        ("PUT", f"{a.base}/assignments/groups/{a.group}", {"plan_id": pid}),
        ("PUT", f"{a.base}/assignments/public", {"plan_id": pid}),
        # Org A's ids under org B's own path: as unknown as any other id.
        ("GET", f"{b.base}/{pid}", None),
        ("POST", f"{b.base}/{pid}/quote", quote),
        ("POST", f"{b.base}/{pid}/versions", {"definition": GUESTS}),
        ("PUT", f"{b.base}/assignments/groups/{a.group}", {"plan_id": pid}),
        ("PUT", f"{b.base}/assignments/public", {"plan_id": pid}),
        ("GET", f"{b.base}/{pid}/versions/{version}", None),
    ]
    for method, path, body in attempts:
        r = await client.request(method, path, json=body, headers=b.admin)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(PricePlan)) == 1
        assert await s.scalar(select(func.count()).select_from(PricePlanVersion)) == 1
        assert await s.scalar(select(func.count()).select_from(GroupPricePlan)) == 0
        assert (await s.scalar(select(PricePlan.name))) == "Beboere"
