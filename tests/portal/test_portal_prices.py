"""The Prices pages: plans in plain words with who pays by them and their versions, creating and
changing plans through the form (every bad input next to its field, nothing stored), assignments,
archiving, the calculator against the pricing engine, and the isolation matrix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import DomainError
from ladeportal.members.groups import create_group
from ladeportal.members.models import UserGroup
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.models import AuditEvent
from ladeportal.pricing import assignments, services
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PricePlanVersion, PublicPricePlan
from ladeportal.pricing.quotes import QuoteRequest, quote
from ladeportal.pricing.validation import InvalidPlan
from ladeportal.sessions.services import ChargerRef, start_session, stop_session
from ladeportal.web.portal.error_texts import coded_text, error_text
from tests.factories import ACTOR, make_charger, make_member, make_site, make_tag
from tests.portal.conftest import TwoOrgs, csrf_of, form_post

OSLO = ZoneInfo("Europe/Oslo")
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FIXED: dict[str, Any] = {
    "energy": {"type": "fixed", "price_per_kwh": "2.50"},
    "time_fee": {"price_per_hour": "20", "grace_minutes": 240},
}
WEEK = {
    "band0_days": ["0", "1", "2", "3", "4"],
    "band0_start": "06:00",
    "band0_end": "22:00",
    "band0_price": "2,00",
    "band1_days": ["5", "6"],
    "band1_start": "06:00",
    "band1_end": "22:00",
    "band1_price": "1,50",
    "band2_days": [str(d) for d in range(7)],
    "band2_start": "22:00",
    "band2_end": "06:00",
    "band2_price": "1",
}


def _form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Beboere",
        "energy_type": "fixed",
        "price_per_kwh": "2,50",
        "prices_include_vat": "incl",
        "spot_factor": "1",
        **fields,
    }


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="e-{re.escape(field)}">([^<]+)<', html)
    assert match, f"no error shown next to {field}"
    return match.group(1)


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    await session.commit()  # ends the read transaction so the next count sees the app's commits
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def _state(session: AsyncSession) -> tuple[object, ...]:
    await session.commit()
    return (
        tuple(
            (
                await session.execute(
                    select(PricePlan.id, PricePlan.name, PricePlan.archived_at).order_by(PricePlan.id)
                )
            ).all()
        ),
        tuple((await session.execute(select(PricePlanVersion.id).order_by(PricePlanVersion.id))).all()),
        tuple(
            (
                await session.execute(
                    select(GroupPricePlan.scope, GroupPricePlan.plan_id).order_by(GroupPricePlan.scope)
                )
            ).all()
        ),
        tuple(
            (
                await session.execute(
                    select(PublicPricePlan.scope, PublicPricePlan.plan_id).order_by(PublicPricePlan.scope)
                )
            ).all()
        ),
        await session.scalar(select(func.count()).select_from(AuditEvent)),
    )


async def _plan(
    session: AsyncSession, org: Organization, name: str = "Beboere", definition: dict[str, Any] | None = None
) -> PricePlan:
    return await services.create_plan(session, ACTOR, org.id, name, definition or FIXED, effective_from=JAN)


async def test_prices_page_shows_plans_in_plain_words_with_groups_and_versions(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    base = f"/portal/o/{org.id}"
    site = await make_site(session, org, name="Garasje Nord")
    residents = await create_group(session, ACTOR, org.id, "Beboere")
    plan = await _plan(session, org, definition={**FIXED, "monthly_fee_per_member": "300"})
    await services.add_version(
        session,
        ACTOR,
        org.id,
        plan.id,
        {"energy": {"type": "fixed", "price_per_kwh": "3"}},
        effective_from=datetime.now(UTC) + timedelta(days=30),
    )
    await assignments.assign_group_plan(session, ACTOR, org.id, residents.id, plan.id)
    guests = await _plan(session, org, "Gjester", {"energy": {"type": "fixed", "price_per_kwh": "4.50"}})
    await assignments.assign_public_plan(session, ACTOR, org.id, guests.id, site_id=site.id)

    page = (await c.get(f"{base}/prices")).text
    assert "kr 2,50 per kWh inkl. mva, kr 20 per time etter 4 timer" in page
    assert "kr 2 per kWh eks. mva, kr 16 per time etter 4 timer" in page  # the same prices without VAT
    assert "kr 300,00 inkl. mva" in page and "kr 240,00 eks. mva" in page  # monthly fee both ways
    assert "1 endring planlagt" in page
    assert re.search(r'data-testid="used-by">\s*Beboere · alle anlegg', page)
    assert re.search(r'data-testid="used-by">\s*Gjester \(offentlig pris\) · Garasje Nord', page)
    assert 'data-testid="calculator"' in page and f'href="{base}/prices/new"' in page

    detail = (await c.get(f"{base}/prices/{plan.id}")).text
    assert [m for m in re.findall(r'data-status="(\w+)"', detail)] == ["scheduled", "current"]
    assert "kr 3 per kWh inkl. mva" in detail and "Trekk tilbake" in detail

    c.cookies.set("lp_lang", "en")
    english = await c.get(f"{base}/prices/{plan.id}")
    assert "NOK 2.50 per kWh incl. VAT, NOK 20 per hour after 4 hours" in english.text


async def test_create_fixed_time_of_day_and_spot_plans_through_the_form(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    base = f"/portal/o/{org.id}"
    new = f"{base}/prices/new"
    assert "Tid på døgnet og ukedag" in (await c.get(new)).text

    response = await form_post(
        c,
        new,
        new,
        _form(
            time_fee_per_hour="20",
            time_fee_grace_minutes="240",
            start_fee="5",
            maximum_per_session="500",
            monthly_fee_per_member="300",
            prices_include_vat="incl",
        ),
    )
    assert response.status_code == 303, response.text
    response = await form_post(c, new, new, {**_form(name="Natt og dag", energy_type="time_of_day"), **WEEK})
    assert response.status_code == 303, response.text
    response = await form_post(
        c,
        new,
        new,
        _form(
            name="Gjester",
            energy_type="spot",
            spot_area="NO1",
            spot_factor="1",
            spot_markup="0,30",
            spot_ceiling="5",
            spot_fallback="2",
            prices_include_vat="excl",
            time_fee_per_hour="30",
            time_fee_grace_minutes="60",
            time_fee_hours="08-22",
        ),
    )
    assert response.status_code == 303, response.text
    response = await form_post(c, new, new, _form(name="Gratis", energy_type="free"))
    assert response.status_code == 303, response.text

    await session.commit()
    stored = {
        p.name: (await services.list_versions(session, org.id, p.id))[0].definition
        for p in await services.list_plans(session, org.id)
    }
    assert stored["Beboere"]["energy"] == {"type": "fixed", "price_per_kwh": "2.50"}
    assert stored["Beboere"]["time_fee"] == {"price_per_hour": "20", "grace_minutes": 240, "local_hours": None}
    assert (stored["Beboere"]["start_fee"], stored["Beboere"]["maximum_per_session"]) == ("5", "500")
    assert stored["Beboere"]["monthly_fee_per_member"] == "300"
    bands = stored["Natt og dag"]["energy"]["bands"]
    assert [(b["weekdays"], b["start"], b["end"], b["price_per_kwh"]) for b in bands] == [
        ([0, 1, 2, 3, 4], "06:00", "22:00", "2.00"),
        ([5, 6], "06:00", "22:00", "1.50"),
        ([0, 1, 2, 3, 4, 5, 6], "22:00", "06:00", "1"),
    ]
    assert stored["Gjester"]["energy"] == {
        "type": "spot",
        "area": "NO1",
        "factor": "1",
        "markup_per_kwh": "0.30",
        "fallback_per_kwh": "2",
        "floor_per_kwh": None,
        "ceiling_per_kwh": "5",
    }
    assert stored["Gjester"]["prices_include_vat"] is False
    assert stored["Gjester"]["time_fee"]["local_hours"] == list(range(8, 22))
    assert stored["Gratis"]["energy"] == {"type": "fixed", "price_per_kwh": "0"}

    plan_id = next(p.id for p in await services.list_plans(session, org.id) if p.name == "Natt og dag")
    edit = (await c.get(f"{base}/prices/{plan_id}/edit")).text
    assert 'name="band2_start" id="f-band2_start" value="22:00"' in edit and 'value="1,50"' not in edit
    assert 'name="band1_price" id="f-band1_price" value="1.50"' in edit


async def test_the_add_band_button_shows_another_row_and_stores_nothing(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    c, new = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}/prices/new"
    before = (await c.get(new)).text.count('data-testid="band-row"')
    response = await form_post(
        c, new, new, {**_form(energy_type="time_of_day"), **WEEK, "add_band": "1", "band_rows": str(before)}
    )
    assert response.status_code == 200
    assert response.text.count('data-testid="band-row"') == before + 1
    assert 'value="1,50"' in response.text  # what was typed stays
    assert await _count(session, PricePlan) == 0


BAD_INPUTS: list[tuple[dict[str, Any], str, str]] = [
    (_form(price_per_kwh="-1"), "price_per_kwh", "Kan ikke være negativ."),
    (_form(price_per_kwh="abc"), "price_per_kwh", "abc er ikke et beløp; skriv det som 2,50."),
    (_form(price_per_kwh=""), "price_per_kwh", "Må fylles ut."),
    (_form(name=""), "name", "Planen må ha et navn."),
    (_form(energy_type=""), "energy_type", "Velg hvordan energien prises."),
    (_form(start_fee="-5"), "start_fee", "Kan ikke være negativ."),
    (_form(start_fee="1,005"), "start_fee", "Høyst to desimaler (hele øre)."),
    (
        _form(minimum_per_session="50", maximum_per_session="20"),
        "minimum_per_session",
        "Minstebeløpet 50 er over høyeste beløp 20.",
    ),
    (_form(monthly_fee_per_member="-300"), "monthly_fee_per_member", "Kan ikke være negativ."),
    (
        _form(price_per_kwh="250000"),
        "price_per_kwh",
        "250\u00a0000 er mer enn det høyeste tillatte beløpet, 100\u00a0000.",
    ),
    (
        _form(monthly_fee_per_member="123456,5"),
        "monthly_fee_per_member",
        "123\u00a0456,5 er mer enn det høyeste tillatte beløpet, 100\u00a0000.",
    ),
    (_form(time_fee_per_hour="-20"), "time_fee_per_hour", "Kan ikke være negativ."),
    (
        _form(time_fee_per_hour="20", time_fee_grace_minutes="fire timer"),
        "time_fee_grace_minutes",
        "Oppgi hele minutter, 0 eller flere.",
    ),
    (
        _form(time_fee_per_hour="20", time_fee_grace_minutes="-5"),
        "time_fee_grace_minutes",
        "Oppgi hele minutter, 0 eller flere.",
    ),
    (
        _form(time_fee_per_hour="20", time_fee_hours="8 til 22"),
        "time_fee_hours",
        "Oppgi timer som 08-22, eller 0-6, 22-24.",
    ),
    (
        _form(energy_type="spot", spot_area="NO1", spot_fallback="2", spot_floor="3", spot_ceiling="1"),
        "spot_floor",
        "Gulvet 3 er over taket 1.",
    ),
    (
        _form(energy_type="spot", spot_area="NO1", spot_fallback="", spot_markup="-0,1"),
        "spot_fallback",
        "Må fylles ut.",
    ),
    (
        _form(energy_type="spot", spot_area="NO1", spot_fallback="2", spot_markup="-0,1"),
        "spot_markup",
        "Kan ikke være negativ.",
    ),
    (_form(energy_type="spot", spot_area="XX9", spot_fallback="2"), "spot_area", "Velg et prisområde."),
    (
        {**_form(energy_type="time_of_day"), **WEEK, "band2_start": "21:00"},
        "bands",
        "Bånd 1, 3 overlapper man 21:00-22:00; hvert minutt må ha nøyaktig ett bånd. Bånd 1, 3 overlapper tir "
        "21:00-22:00; hvert minutt må ha nøyaktig ett bånd. (5 til av samme slag)",
    ),
    (
        {**_form(energy_type="time_of_day"), **WEEK, "band1_days": ["5"]},
        "bands",
        "Ingen bånd dekker søn 06:00-22:00; båndene må dekke hele uken.",
    ),
    (
        {**_form(energy_type="time_of_day"), **WEEK, "band2_days": [str(d) for d in range(1, 7)]},
        "bands",
        "Ingen bånd dekker man 22:00 til tir 06:00; båndene må dekke hele uken.",
    ),
    ({**_form(energy_type="time_of_day"), **WEEK, "band1_price": "-1"}, "band1_price", "Kan ikke være negativ."),
    ({**_form(energy_type="time_of_day"), **WEEK, "band1_days": []}, "band1_days", "Kryss av minst én dag."),
    ({**_form(energy_type="time_of_day"), **WEEK, "band1_start": ""}, "band1_start", "Oppgi et klokkeslett som 06:00."),
    (
        _form(effective_from="i morgen", effective_default="2026-01-01T00:00"),
        "effective_from",
        "Oppgi dato og klokkeslett, f.eks. 2026-05-01 00:00.",
    ),
]


@pytest.mark.parametrize(
    ("data", "field", "message"), BAD_INPUTS, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_INPUTS)]
)
async def test_every_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
    two_orgs: TwoOrgs, session: AsyncSession, data: dict[str, Any], field: str, message: str
) -> None:
    c, new = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}/prices/new"
    before = await _state(session)
    response = await form_post(c, new, new, data)
    assert response.status_code == 422, response.text
    assert _field_error(response.text, field).startswith(message)
    assert await _state(session) == before


async def test_several_bad_inputs_are_shown_at_once_and_a_taken_name_too(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    c, new = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}/prices/new"
    response = await form_post(c, new, new, _form(name="", price_per_kwh="-1", start_fee="-1"))
    for field in ("name", "price_per_kwh", "start_fee"):
        _field_error(response.text, field)
    await _plan(session, two_orgs.org_a)
    before = await _state(session)
    response = await form_post(c, new, new, _form(name="beboere"))
    assert response.status_code == 422
    assert _field_error(response.text, "name") == "En prisplan med navnet beboere finnes allerede."
    assert await _state(session) == before


async def _priced_session(
    session: AsyncSession, org: Organization, site: Site, group: UserGroup, start: datetime
) -> None:
    member = await make_member(session, org, group_id=group.id)
    tag = await make_tag(session, org, member)
    charger = await make_charger(session, site)
    ref = ChargerRef(charger.charge_point.id, org.id, site.id)
    started = await start_session(session, ref, connector=1, id_tag=tag.uid, meter_start_wh=1000, started_at=start)
    await stop_session(
        session,
        ref,
        transaction_id=started.transaction_id,
        meter_stop_wh=11_000,
        stopped_at=start + timedelta(hours=2),
        reason="Local",
        id_tag=None,
        readings=[],
        payload={},
    )


async def test_change_prices_adds_a_version_and_a_scheduled_one_can_be_withdrawn(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    plan = await _plan(session, org)
    base, edit = f"/portal/o/{org.id}/prices/{plan.id}", f"/portal/o/{org.id}/prices/{plan.id}/edit"
    page = (await c.get(edit)).text
    assert 'name="price_per_kwh" type="text" value="2.50"' in page
    default = re.search(r'name="effective_default" value="([^"]+)"', page)
    assert default and default.group(1) == datetime.now(OSLO).strftime("%Y-%m-%dT%H:%M")

    later = (datetime.now(OSLO) + timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)
    response = await form_post(
        c,
        edit,
        edit,
        _form(price_per_kwh="3", effective_from=later.strftime("%Y-%m-%dT%H:%M"), effective_default=default.group(1)),
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == base
    versions = await services.list_versions(session, org.id, plan.id)
    assert [(v.number, v.effective_from) for v in versions][-1] == (2, later.astimezone(UTC))

    # The prefilled "now", sent back unchanged, means now to the second.
    page = (await c.get(edit)).text
    shown_now = re.search(r'name="effective_default" value="([^"]+)"', page)
    assert shown_now
    response = await form_post(
        c,
        edit,
        edit,
        _form(price_per_kwh="2,75", effective_from=shown_now.group(1), effective_default=shown_now.group(1)),
    )
    assert response.status_code == 303, response.text
    await session.commit()
    third = (await services.list_versions(session, org.id, plan.id))[-1]
    assert third.number == 3 and abs(third.effective_from - datetime.now(UTC)) < timedelta(minutes=1)

    detail = (await c.get(base)).text
    scheduled = versions[-1]
    assert f"/versions/{scheduled.id}/delete" in detail
    assert f"/versions/{versions[0].id}/delete" not in detail  # history stays
    response = await form_post(c, base, f"{base}/versions/{scheduled.id}/delete", {})
    assert response.status_code == 303
    assert [v.number for v in await services.list_versions(session, org.id, plan.id)] == [1, 3]


async def test_a_new_version_over_priced_sessions_is_refused_next_to_the_date(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    site = await make_site(session, org)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    plan = await _plan(session, org)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, plan.id)
    await _priced_session(session, org, site, group, datetime(2026, 2, 2, 17, 0, tzinfo=UTC))
    edit = f"/portal/o/{org.id}/prices/{plan.id}/edit"
    before = await _state(session)
    response = await form_post(c, edit, edit, _form(price_per_kwh="9", effective_from="2026-02-01T00:00"))
    assert response.status_code == 422
    assert _field_error(response.text, "effective_from") == (
        "1 avsluttede lading(er) er allerede priset med denne planen fra da av (den siste startet 02.02.2026, "
        "18:00). Tidligere ladinger endres aldri: velg et tidspunkt etter det."
    )
    assert 'value="9"' in response.text
    assert await _state(session) == before


async def test_assign_plans_to_groups_per_site_and_a_public_plan(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    page_url = f"/portal/o/{org.id}/prices/assignments"
    site = await make_site(session, org, name="Garasje Nord")
    group = await create_group(session, ACTOR, org.id, "Beboere")
    residents, guests = await _plan(session, org), await _plan(session, org, "Gjester")
    assert "Ingen plan" in (await c.get(page_url)).text

    for data in (
        {"group_id": str(group.id), "group_site_id": "", "group_plan_id": str(residents.id)},
        {"group_id": str(group.id), "group_site_id": str(site.id), "group_plan_id": str(guests.id)},
    ):
        assert (await form_post(c, page_url, f"{page_url}/groups", data)).status_code == 303
    response = await form_post(
        c, page_url, f"{page_url}/public", {"public_site_id": "", "public_plan_id": str(guests.id)}
    )
    assert response.status_code == 303
    await session.commit()
    assert await assignments.assigned_plan_id(session, org.id, group_id=group.id, site_id=site.id) == guests.id
    assert await assignments.assigned_plan_id(session, org.id, group_id=None, site_id=site.id) == guests.id
    page = (await c.get(page_url)).text
    assert page.count('data-testid="group-assignment"') == 2 and page.count('data-testid="public-assignment"') == 1

    response = await form_post(c, page_url, f"{page_url}/groups", {"group_id": str(group.id), "group_plan_id": ""})
    assert response.status_code == 422 and _field_error(response.text, "group_plan_id") == "Velg en plan."

    response = await form_post(
        c, page_url, f"{page_url}/groups/remove", {"group_id": str(group.id), "site_id": str(site.id)}
    )
    assert response.status_code == 303
    assert await _count(session, GroupPricePlan) == 1
    response = await form_post(c, page_url, f"{page_url}/public/remove", {"site_id": ""})
    assert response.status_code == 303 and await _count(session, PublicPricePlan) == 0


async def test_archive_needs_confirmation_and_a_plan_nobody_uses(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    group = await create_group(session, ACTOR, org.id, "Beboere")
    plan = await _plan(session, org)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, plan.id)
    url = f"/portal/o/{org.id}/prices/{plan.id}/archive"
    confirm = (await c.get(url)).text
    assert "Beboere · alle anlegg" in confirm and "disabled" in confirm
    response = await form_post(c, url, url, {})
    assert response.status_code == 409
    assert "brukes fortsatt 1 gang(er)" in response.text
    await assignments.unassign_group_plan(session, ACTOR, org.id, group.id)
    response = await form_post(c, url, url, {})
    assert response.status_code == 303
    await session.commit()
    assert await services.list_plans(session, org.id) == []
    assert 'data-testid="plan-card"' not in (await c.get(f"/portal/o/{org.id}/prices")).text
    assert (await c.get(f"/portal/o/{org.id}/prices/{plan.id}/edit")).status_code == 303


def _minor(html: str, name: str) -> int:
    match = re.search(rf'data-{name}-minor="(-?\d+)"', html)
    assert match, f"no {name} in the result"
    return int(match.group(1))


async def test_the_calculator_equals_the_pricing_engine(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    site = await make_site(session, org)
    plan = await services.create_plan(
        session,
        ACTOR,
        org.id,
        "Natt og dag",
        {
            "prices_include_vat": True,
            "start_fee": "5",
            "time_fee": {"price_per_hour": "20", "grace_minutes": 240},
            "energy": {
                "type": "time_of_day",
                "bands": [
                    {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "22:00", "end": "06:00", "price_per_kwh": "1.00"},
                    {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "06:00", "end": "22:00", "price_per_kwh": "2.00"},
                ],
            },
        },
        effective_from=JAN,
    )
    url = f"/portal/o/{org.id}/prices/calculator"
    data = {
        "plan_id": str(plan.id),
        "site_id": str(site.id),
        "start": "2026-03-03T18:00",
        "end": "2026-03-04T07:00",
        "kwh": "30",
    }
    full = await form_post(c, url, url, data)
    assert full.status_code == 200 and "<html" in full.text
    partial = await c.post(url, data={**data, "csrf_token": csrf_of(full.text)}, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text and 'id="calculator"' in partial.text

    expected = await quote(
        session,
        org.id,
        plan.id,
        QuoteRequest(
            start=datetime(2026, 3, 3, 18, tzinfo=OSLO),
            end=datetime(2026, 3, 4, 7, tzinfo=OSLO),
            energy_wh=30_000,
            site_id=site.id,
        ),
    )
    b = expected.breakdown
    for html in (full.text, partial.text):
        assert (_minor(html, "net"), _minor(html, "vat"), _minor(html, "total")) == (b.net, b.vat, b.total)
        assert html.count('data-testid="quote-line"') == len(b.lines)
    assert "30,0 kWh fra tirsdag 3. mars, 18:00 til onsdag 4. mars, 07:00 koster" in full.text
    total = f"kr {b.total // 100},{b.total % 100:02d}"
    net = f"kr {b.net // 100},{b.net % 100:02d}"
    assert f"koster {total} inkl. mva ({net} eks. mva)" in full.text.replace("\u00a0", " ")

    bad = await form_post(c, url, url, {**data, "kwh": "-3", "end": "2026-03-03T17:00"})
    assert bad.status_code == 422
    assert _field_error(bad.text, "kwh") == "Oppgi energien i kWh, fra 0 til 10 000."
    bad = await form_post(c, url, url, {**data, "end": "2026-03-03T17:00"})
    assert _field_error(bad.text, "end") == "Ladingen slutter før den starter."
    bad = await form_post(c, url, url, {**data, "start": "2025-12-31T17:00", "end": "2025-12-31T19:00"})
    assert _field_error(bad.text, "start") == "Planen har ingen priser ennå 31.12.2025, 17:00; velg en senere start."


async def test_the_calculator_shows_when_the_spot_fallback_was_used(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    plan = await services.create_plan(
        session,
        ACTOR,
        org.id,
        "Spot",
        {"prices_include_vat": False, "energy": {"type": "spot", "area": "NO1", "fallback_per_kwh": "2.00"}},
        effective_from=JAN,
    )
    url = f"/portal/o/{org.id}/prices/calculator"
    page = await form_post(
        c,
        url,
        url,
        {"plan_id": str(plan.id), "site_id": "", "start": "2026-03-03T18:00", "end": "2026-03-03T19:00", "kwh": "10"},
    )
    assert page.status_code == 200
    assert "planens reservepris er brukt der" in page.text
    assert (_minor(page.text, "net"), _minor(page.text, "total")) == (2000, 2500)


Posts = list[tuple[str, dict[str, Any]]]


def _urls(org: str, plan: str, version: str, group: str, site: str) -> tuple[list[str], Posts]:
    base = f"/portal/o/{org}/prices"
    gets = [f"{base}/{plan}", f"{base}/{plan}/edit", f"{base}/{plan}/archive", f"{base}/calculator?plan={plan}"]
    posts = [
        (f"{base}/{plan}/edit", _form(price_per_kwh="9")),
        (f"{base}/{plan}/versions/{version}/delete", {}),
        (f"{base}/{plan}/archive", {}),
        (f"{base}/calculator", {"plan_id": plan, "start": "2026-03-03T18:00", "end": "2026-03-04T07:00", "kwh": "30"}),
        (f"{base}/assignments/groups", {"group_id": group, "group_plan_id": plan}),
        (f"{base}/assignments/groups", {"group_id": group, "group_site_id": site, "group_plan_id": plan}),
        (f"{base}/assignments/groups/remove", {"group_id": group, "site_id": ""}),
        (f"{base}/assignments/public", {"public_site_id": "", "public_plan_id": plan}),
        (f"{base}/assignments/public", {"public_site_id": site, "public_plan_id": plan}),
        (f"{base}/assignments/public/remove", {"site_id": site}),
    ]
    return gets, posts


async def _objects(session: AsyncSession, org: Organization) -> dict[str, str]:
    site = await make_site(session, org)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    plan = await _plan(session, org)
    version = await services.add_version(
        session, ACTOR, org.id, plan.id, FIXED, effective_from=datetime.now(UTC) + timedelta(days=5)
    )
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, plan.id)
    await assignments.assign_group_plan(session, ACTOR, org.id, group.id, plan.id, site_id=site.id)
    await assignments.assign_public_plan(session, ACTOR, org.id, plan.id, site_id=site.id)
    return {
        "org": str(org.id),
        "plan": str(plan.id),
        "version": str(version.id),
        "group": str(group.id),
        "site": str(site.id),
    }


async def test_another_organisations_ids_give_404_on_every_prices_url_and_change_nothing(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    a, b = await _objects(session, two_orgs.org_a), await _objects(session, two_orgs.org_b)
    before = await _state(session)
    for person, own, other in ((two_orgs.admin_b, b, a), (two_orgs.admin_a, a, b)):
        csrf = csrf_of((await person.client.get(f"/portal/o/{own['org']}/prices")).text)
        for org in (own["org"], other["org"]):  # the other's ids in the other's org, and in one's own
            gets, posts = _urls(org, other["plan"], other["version"], other["group"], other["site"])
            for url in gets:
                assert (await person.client.get(url)).status_code == 404, (url, org == own["org"])
            for url, data in posts:
                response = await person.client.post(url, data={**data, "csrf_token": csrf})
                assert response.status_code == 404, (url, data, org == own["org"])
        # Own ids in the other organisation's pages are 404 as well.
        for url in (
            f"/portal/o/{other['org']}/prices",
            f"/portal/o/{other['org']}/prices/assignments",
            f"/portal/o/{other['org']}/prices/new",
        ):
            assert (await person.client.get(url)).status_code == 404, url
    assert await _state(session) == before


async def test_finance_reads_prices_but_every_change_is_404(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    a = await _objects(session, two_orgs.org_a)
    finance, base = two_orgs.finance_a.client, f"/portal/o/{a['org']}/prices"
    for url in (base, f"{base}/{a['plan']}", f"{base}/assignments", f"{base}/calculator"):
        page = await finance.get(url)
        assert page.status_code == 200, url
        assert "/new" not in page.text and "/edit" not in page.text and "/remove" not in page.text, url
    assert (await finance.get(f"{base}/new")).status_code == 404
    before = await _state(session)
    csrf = csrf_of((await finance.get(base)).text)
    gets, posts = _urls(a["org"], a["plan"], a["version"], a["group"], a["site"])
    for url in gets[1:3]:
        assert (await finance.get(url)).status_code == 404, url
    for url, data in [(f"{base}/new", _form(name="Ny")), *posts]:
        response = await finance.post(url, data={**data, "csrf_token": csrf})
        expected = 200 if url.endswith("/calculator") else 404  # the calculator only reads
        assert response.status_code == expected, url
    assert await _state(session) == before


async def test_a_post_without_csrf_token_is_refused(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    a = await _objects(session, two_orgs.org_a)
    c, base = two_orgs.admin_a.client, f"/portal/o/{a['org']}/prices"
    before = await _state(session)
    _, posts = _urls(a["org"], a["plan"], a["version"], a["group"], a["site"])
    for url, data in [(f"{base}/new", _form(name="Ny")), *posts]:
        assert (await c.post(url, data=data)).status_code == 403, url
    assert await _state(session) == before


async def test_pricing_errors_are_shown_by_their_code_in_the_readers_language(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    from ladeportal import i18n

    org = two_orgs.org_a
    org_id, plan_id = org.id, (await _plan(session, org)).id
    with pytest.raises(DomainError) as taken:
        await _plan(session, org, "beboere")
    with pytest.raises(DomainError) as moment:
        await services.add_version(session, ACTOR, org_id, plan_id, FIXED, effective_from=JAN)
    overlapping = {
        "energy": {
            "type": "time_of_day",
            "bands": [
                {"weekdays": list(range(7)), "start": "06:00", "end": "22:00", "price_per_kwh": "2"},
                {"weekdays": list(range(7)), "start": "21:00", "end": "06:00", "price_per_kwh": "1"},
            ],
        }
    }
    with pytest.raises(InvalidPlan) as bands:
        await services.add_version(session, ACTOR, org_id, plan_id, overlapping)
    assert (taken.value.code, moment.value.code) == ("plan.name_taken", "plan.version_moment_taken")
    first = bands.value.problems[0]
    try:
        i18n.set_language("nb")
        assert error_text(taken.value, time_zone="Europe/Oslo") == "En prisplan med navnet beboere finnes allerede."
        assert error_text(moment.value, time_zone="Europe/Oslo") == (
            "En annen versjon gjelder allerede fra 01.01.2026, 01:00."
        )
        assert coded_text(first.code, first.params) == (
            "Bånd 1, 2 overlapper man 21:00-22:00; hvert minutt må ha nøyaktig ett bånd."
        )
        i18n.set_language("en")
        assert coded_text(first.code, first.params) == (
            "Bands 1, 2 overlap on Mon 21:00-22:00; each minute needs exactly one band."
        )
    finally:
        i18n.set_language("nb")


async def test_a_version_at_the_moment_of_another_is_refused_in_norwegian(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    plan = await _plan(session, org)
    edit = f"/portal/o/{org.id}/prices/{plan.id}/edit"
    before = await _state(session)
    response = await form_post(c, edit, edit, _form(price_per_kwh="9", effective_from="2026-01-01T01:00"))
    assert response.status_code == 422
    assert _field_error(response.text, "effective_from") == "En annen versjon gjelder allerede fra 01.01.2026, 01:00."
    assert await _state(session) == before


async def test_the_nav_links_to_prices(two_orgs: TwoOrgs) -> None:
    page = await two_orgs.admin_a.client.get(f"/portal/o/{two_orgs.org_a.id}/")
    assert f'href="/portal/o/{two_orgs.org_a.id}/prices"' in page.text
