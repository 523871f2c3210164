"""An invalid plan sent to the JSON API is answered with code plan.invalid and every problem with its
field, code, params and message, so a client can show each in its own words; nothing is stored."""

from __future__ import annotations

import httpx
from tests.pricing_persistence.test_pricing_db_api import Org, orgs  # noqa: F401  (the fixture)

GOOD = {"prices_include_vat": True}


async def test_every_problem_is_returned_with_its_code_and_params(
    client: httpx.AsyncClient,
    orgs: tuple[Org, Org],  # noqa: F811
) -> None:
    a, _ = orgs
    definition = {
        **GOOD,
        "energy": {"type": "spot", "area": "NO9", "fallback_per_kwh": "2", "factor": "250"},
        "start_fee": "-1",
    }
    r = await client.post(a.base, json={"name": "Feil", "definition": definition}, headers=a.admin)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "plan.invalid" and body["error"] == "invalid"
    problems = {p["field"]: p for p in body["problems"]}
    assert problems["energy.area"]["code"] == "price.area_unknown"
    assert problems["energy.area"]["params"]["area"] == "NO9"
    assert problems["energy.factor"]["code"] == "price.amount_too_large"
    assert problems["energy.factor"]["params"] == {"amount": "250", "maximum": "100"}
    assert problems["start_fee"] == {
        "field": "start_fee",
        "code": "price.amount_negative",
        "params": {"amount": "-1"},
        "message": "must not be negative, got -1",
    }
    assert len(body["problems"]) == 3 and body["params"] == {"count": 3}
    assert (await client.get(a.base, headers=a.admin)).json() == []

    definition = {**GOOD, "energy": {"type": "fixed", "price_per_kwh": "1.0000001"}, "start_fee": "1.005"}
    r = await client.post(a.base, json={"name": "Feil", "definition": definition}, headers=a.admin)
    assert r.status_code == 422, r.text
    codes = {(p["field"], p["code"], str(p["params"])) for p in r.json()["problems"]}
    assert codes == {
        ("energy.price_per_kwh", "price.amount_too_precise", "{'decimals': 6}"),
        ("start_fee", "price.amount_fraction", "{'amount': '1.005'}"),
    }
    assert (await client.get(a.base, headers=a.admin)).json() == []


async def test_another_organisations_plan_is_not_found_before_its_definition_is_read(
    client: httpx.AsyncClient,
    orgs: tuple[Org, Org],  # noqa: F811
) -> None:
    a, b = orgs
    r = await client.post(b.base.replace(b.id, a.id), json={"name": "X", "definition": {}}, headers=b.admin)
    assert r.status_code == 404
    assert (await client.get(a.base, headers=a.admin)).json() == []
