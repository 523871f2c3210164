"""Every paging, size, date and amount parameter of the JSON API has a bound; a value beyond it is a
4xx that names the field, never a 500 (nor a price plan that can no longer be shown)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ladeportal.db.engine import Database
from ladeportal.platform.api_tokens import create_api_token
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site

HUGE = 2**70
FAR = "9999-12-31T23:00:00-05:00"
FIXED: dict[str, Any] = {"energy": {"type": "fixed", "price_per_kwh": "2.50"}}


@dataclass
class Caller:
    base: str
    auth: dict[str, str]
    site: uuid.UUID
    charger: uuid.UUID
    member: uuid.UUID


@pytest.fixture
async def caller(db: Database) -> Caller:
    async with db.session() as s:
        org = await make_org(s)
        site = await make_site(s, org)
        cp = await make_charger(s, site, f"CP-{uuid.uuid4().hex[:8]}")
        member = await make_member(s, org)
        token = await create_api_token(s, ACTOR, org.id, "ci", ["read", "write"])
    return Caller(
        f"/api/v1/orgs/{org.id}", {"Authorization": f"Bearer {token.secret}"}, site.id, cp.charge_point.id, member.id
    )


def plan(**changes: Any) -> dict[str, Any]:
    return {"name": f"Plan {uuid.uuid4().hex[:6]}", "definition": {**FIXED, **changes}}


def _named(body: Any, field: str) -> bool:
    """FastAPI's 422 lists locations; a domain error names one field."""
    if isinstance(body.get("detail"), list):
        return any(
            field in [str(p) for p in err["loc"]] or field in ".".join(map(str, err["loc"])) for err in body["detail"]
        )
    return field in (body.get("field") or "") or field in body.get("message", "")


CASES: dict[str, tuple[str, str, dict[str, Any], str]] = {
    # name: (method, path below the org, request kwargs, field the answer names)
    "search page far beyond": ("GET", "/members/search", {"params": {"page": HUGE}}, "page"),
    "search page zero": ("GET", "/members/search", {"params": {"page": 0}}, "page"),
    "search page size zero": ("GET", "/members/search", {"params": {"page_size": 0}}, "page_size"),
    "search text too long": ("GET", "/members/search", {"params": {"q": "x" * 1000}}, "q"),
    "command log limit": ("GET", "/chargers/{charger}/commands", {"params": {"limit": 100_000}}, "limit"),
    "session id beyond int32": ("GET", f"/price-plans/session-estimates/{2**40}", {}, "session_id"),
    "site time zone too long": (
        "POST",
        "/sites",
        {"json": {"name": "S", "price_area": "NO1", "time_zone": "Europe/" + "x" * 300}},
        "time_zone",
    ),
    "site grid limit": (
        "POST",
        "/sites",
        {"json": {"name": "S", "price_area": "NO1", "grid_limit_amps": HUGE}},
        "grid_limit_amps",
    ),
    "charger power": (
        "POST",
        "/chargers",
        {"json": {"site_id": "{site}", "ocpp_id": "CP-X", "max_power_w": HUGE}},
        "max_power_w",
    ),
    "group with too many sites": (
        "POST",
        "/groups",
        {"json": {"name": "G", "site_ids": [str(uuid.uuid4())] * 10_001}},
        "site_ids",
    ),
    "tag uid longer than the column": (
        "POST",
        "/tags",
        {"json": {"uid": "A" * 21, "membership_id": "{member}"}},
        "uid",
    ),
    "tag expiry in year 9999": (
        "POST",
        "/tags",
        {"json": {"uid": "04A1B2C3", "membership_id": "{member}", "expires_at": FAR}},
        "expires_at",
    ),
    "plan price beyond any tariff": (
        "POST",
        "/price-plans",
        {"json": plan(energy={"type": "fixed", "price_per_kwh": "1e30"})},
        "price_per_kwh",
    ),
    "plan start fee": ("POST", "/price-plans", {"json": plan(start_fee="99999999999")}, "start_fee"),
    "plan monthly fee": (
        "POST",
        "/price-plans",
        {"json": plan(monthly_fee_per_member="1E+40")},
        "monthly_fee_per_member",
    ),
    "plan price with endless decimals": (
        "POST",
        "/price-plans",
        {"json": plan(energy={"type": "fixed", "price_per_kwh": "0." + "1" * 60})},
        "price_per_kwh",
    ),
    "plan grace minutes": (
        "POST",
        "/price-plans",
        {"json": plan(time_fee={"price_per_hour": "10", "grace_minutes": HUGE})},
        "grace_minutes",
    ),
    "plan spot factor": (
        "POST",
        "/price-plans",
        {"json": plan(energy={"type": "spot", "area": "NO1", "fallback_per_kwh": "2", "factor": "1e20"})},
        "factor",
    ),
    "plan too many bands": (
        "POST",
        "/price-plans",
        {
            "json": plan(
                energy={
                    "type": "time_of_day",
                    "bands": [{"weekdays": [0], "start": "00:00", "end": "00:01", "price_per_kwh": "1"}] * 500,
                }
            )
        },
        "bands",
    ),
    "plan takes effect in year 9999": (
        "POST",
        "/price-plans",
        {"json": {**plan(), "effective_from": FAR}},
        "effective_from",
    ),
    "quote in year 9999": (
        "POST",
        "/price-plans/{plan}/quote",
        {"json": {"start": "9999-12-30T00:00:00+00:00", "end": FAR, "energy_wh": 1000}},
        "start",
    ),
    "quote energy beyond reason": (
        "POST",
        "/price-plans/{plan}/quote",
        {"json": {"start": "2026-01-01T00:00:00+00:00", "end": "2026-01-01T02:00:00+00:00", "energy_wh": HUGE}},
        "energy_wh",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_an_out_of_range_parameter_is_a_4xx_naming_the_field(
    client: httpx.AsyncClient, caller: Caller, case: str
) -> None:
    method, path, kwargs, field = CASES[case]
    plan_id = ""
    if "{plan}" in path:
        created = await client.post(f"{caller.base}/price-plans", json=plan(), headers=caller.auth)
        assert created.status_code == 201, created.text
        plan_id = created.json()["id"]
    ids = {
        "{site}": str(caller.site),
        "{charger}": str(caller.charger),
        "{member}": str(caller.member),
        "{plan}": plan_id,
    }
    for key, value in ids.items():
        path = path.replace(key, value)
    if "json" in kwargs:
        text = str(kwargs["json"])
        for key, value in ids.items():
            text = text.replace(key, value)
        kwargs = {"json": eval(text)}  # noqa: S307 - the test's own literal with ids filled in
    response = await client.request(method, caller.base + path, headers=caller.auth, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert _named(response.json(), field), response.text[:1000]
    # the organisation's pages still read
    listed = await client.get(f"{caller.base}/price-plans", headers=caller.auth)
    assert listed.status_code == 200
