"""Every problem the plan checks find has a code: the price form shows each in the reader's language
(bokmål or English), never the engine's English, and stores nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal import i18n
from ladeportal.pricing.plan_codec import plan_from_json
from ladeportal.pricing.plans import FixedEnergyPrice, PlanVersion
from ladeportal.pricing.validation import InvalidPlan, validate_plan
from ladeportal.web.portal.error_texts import TEXTS, coded_text
from tests.portal.conftest import TwoOrgs, csrf_of, form_post
from tests.portal.test_portal_prices import _field_error, _form, _state

PLAN = {"prices_include_vat": True, "vat_rate_bp": 2500, "currency": "NOK", "energy": {"type": "fixed"}}


def _problems(call: Any) -> list[tuple[str, str | None, dict[str, object]]]:
    with pytest.raises(InvalidPlan) as caught:
        call()
    assert caught.value.code == "plan.invalid" and caught.value.params == {"count": len(caught.value.problems)}
    return [(p.field, p.code, p.params) for p in caught.value.problems]


def test_too_many_decimals_and_infinite_amounts_have_codes() -> None:
    six = PlanVersion(energy=FixedEnergyPrice(Decimal("1.0000001")), vat_rate_bp=2500, prices_include_vat=True)
    assert _problems(lambda: validate_plan(six)) == [
        ("energy.price_per_kwh", "price.amount_too_precise", {"decimals": 6})
    ]
    endless = PlanVersion(energy=FixedEnergyPrice(Decimal("Infinity")), vat_rate_bp=2500, prices_include_vat=True)
    assert _problems(lambda: validate_plan(endless))[0][1] == "price.amount_not_finite"
    decoded = _problems(lambda: plan_from_json({**PLAN, "energy": {"type": "fixed", "price_per_kwh": "NaN"}}))
    assert decoded == [("energy.price_per_kwh", "price.amount_not_finite", {"value": "NaN"})]


def test_every_problem_of_an_engine_plan_has_a_code_with_a_sentence() -> None:
    bad = PlanVersion(energy=FixedEnergyPrice(Decimal(1)), vat_rate_bp=-1, prices_include_vat=True, currency="GBP")
    problems = _problems(lambda: validate_plan(bad))
    assert {code for _, code, _ in problems} == {"plan.currency_unsupported", "plan.vat_rate_range"}
    i18n.set_language("nb")
    try:
        texts = [coded_text(code, params) for _, code, params in problems]
        assert "GBP er ikke en støttet valuta; bruk en av DKK, EUR, NOK, SEK." in texts
    finally:
        i18n.set_language("nb")
    assert all(code in TEXTS for _, code, _ in problems)


@pytest.mark.parametrize(
    ("price", "bokmal", "english"),
    [
        ("1,0000001", "Høyst 6 desimaler.", "At most 6 decimals."),
        ("Infinity", "Infinity er ikke et endelig beløp; skriv det som 2,50.", "Infinity is not a finite amount"),
    ],
)
async def test_the_price_form_shows_the_problem_in_the_readers_language(
    two_orgs: TwoOrgs, session: AsyncSession, price: str, bokmal: str, english: str
) -> None:
    c, new = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}/prices/new"
    before = await _state(session)
    response = await form_post(c, new, new, _form(price_per_kwh=price))
    assert response.status_code == 422
    assert _field_error(response.text, "price_per_kwh").startswith(bokmal)
    page = (await c.get(new)).text
    await c.post("/portal/language", data={"language": "en", "next": new, "csrf_token": csrf_of(page)})
    response = await form_post(c, new, new, _form(price_per_kwh=price))
    assert response.status_code == 422
    shown = _field_error(response.text, "price_per_kwh")
    assert shown.startswith(english) and "must" not in shown
    assert await _state(session) == before
