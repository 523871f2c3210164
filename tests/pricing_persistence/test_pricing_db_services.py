"""Plans, versions and assignments: the version in force at a session's start prices it, and a new
version never rewrites a session that was already priced."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pricing_db_support import GUESTS, RESIDENTS, charge, make_place, utc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import ACTOR, make_charger, make_org, make_site

from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.groups import create_group
from ladeportal.pricing.assignments import (
    assign_group_plan,
    assign_public_plan,
    resolve_plan_version,
    unassign_group_plan,
)
from ladeportal.pricing.models import PricePlanVersion, SessionPricing
from ladeportal.pricing.overview import plan_overview
from ladeportal.pricing.plans import FixedEnergyPrice
from ladeportal.pricing.services import (
    add_version,
    archive_plan,
    create_plan,
    delete_version,
    list_versions,
)
from ladeportal.sessions.models import ChargingSession

JAN, FEB, MAR = utc(2026, 1, 1), utc(2026, 2, 1), utc(2026, 3, 1)


def fixed(price: str) -> dict[str, object]:
    return {"prices_include_vat": True, "energy": {"type": "fixed", "price_per_kwh": price}}


async def test_the_version_in_force_at_the_start_is_used(session: AsyncSession) -> None:
    place = await make_place(session)
    org_id, group_id, site_id = place.org.id, place.residents.id, place.site.id
    plan = await create_plan(session, ACTOR, org_id, "Beboere", fixed("2.00"), effective_from=JAN, now=JAN)
    await add_version(session, ACTOR, org_id, plan.id, fixed("3.00"), effective_from=MAR, now=JAN)
    await assign_group_plan(session, ACTOR, org_id, group_id, plan.id)

    async def price_at(moment: object) -> Decimal | None:
        found = await resolve_plan_version(session, org_id, group_id=group_id, site_id=site_id, started_at=moment)  # type: ignore[arg-type]
        if found is None:
            return None
        assert isinstance(found.definition.plan.energy, FixedEnergyPrice)
        return found.definition.plan.energy.price_per_kwh

    assert await price_at(JAN - timedelta(seconds=1)) is None
    assert await price_at(FEB) == Decimal("2.00")
    assert await price_at(MAR) == Decimal("3.00")
    versions = await list_versions(session, org_id, plan.id)
    assert [(v.number, v.definition["vat_rate_bp"], v.definition["currency"]) for v in versions] == [
        (1, 2500, "NOK"),
        (2, 2500, "NOK"),
    ]


async def test_a_version_that_would_rewrite_a_priced_session_is_refused(session: AsyncSession) -> None:
    place = await make_place(session)
    org_id, group_id = place.org.id, place.residents.id
    cp = await make_charger(session, place.site)
    plan_id = (await create_plan(session, ACTOR, org_id, "Beboere", fixed("2.00"), effective_from=JAN, now=JAN)).id
    await assign_group_plan(session, ACTOR, org_id, group_id, plan_id)
    priced = await charge(session, place, cp.charge_point.id, FEB, FEB + timedelta(hours=1), 10_000)
    priced_id = priced.id
    assert priced.cost_total_minor == 2000

    with pytest.raises(ValidationFailed) as caught:
        await add_version(session, ACTOR, org_id, plan_id, fixed("9.00"), effective_from=FEB, now=MAR)
    assert caught.value.field == "effective_from"
    assert "already priced" in caught.value.message and "2026-02-01T00:00:00+00:00" in caught.value.message
    # After the last priced session's start a past moment is fine: nothing priced is touched.
    later = await add_version(
        session, ACTOR, org_id, plan_id, fixed("9.00"), effective_from=FEB + timedelta(minutes=1), now=MAR
    )
    assert later.number == 2
    again = await session.get(ChargingSession, priced_id, populate_existing=True)
    assert again is not None and again.cost_total_minor == 2000
    with pytest.raises(Conflict):
        await add_version(session, ACTOR, org_id, plan_id, fixed("1"), effective_from=later.effective_from)


async def test_site_plan_beats_all_sites_and_guests_get_the_public_plan(session: AsyncSession) -> None:
    place = await make_place(session)
    org_id, group_id, site_id = place.org.id, place.residents.id, place.site.id
    garage = await make_site(session, place.org, name="Garasje B", price_area="NO1")
    everywhere = await create_plan(session, ACTOR, org_id, "Alle", fixed("2"), effective_from=JAN)
    at_garage = await create_plan(session, ACTOR, org_id, "Garasje B", fixed("1"), effective_from=JAN)
    guests = await create_plan(session, ACTOR, org_id, "Gjester", GUESTS, effective_from=JAN)
    await assign_group_plan(session, ACTOR, org_id, group_id, everywhere.id)
    await assign_group_plan(session, ACTOR, org_id, group_id, at_garage.id, site_id=garage.id)
    await assign_public_plan(session, ACTOR, org_id, guests.id)

    async def plan_name(group: object, site: object) -> str | None:
        found = await resolve_plan_version(
            session,
            org_id,
            group_id=group,
            site_id=site,  # type: ignore[arg-type]
            started_at=FEB,
        )
        return found.plan.name if found else None

    assert await plan_name(group_id, site_id) == "Alle"
    assert await plan_name(group_id, garage.id) == "Garasje B"
    assert await plan_name(None, garage.id) == "Gjester"
    other_group = await create_group(session, ACTOR, org_id, "Ansatte")
    assert await plan_name(other_group.id, garage.id) is None

    overview = {o.plan.name: o for o in await plan_overview(session, org_id, locale="en", now=FEB)}
    assert [(u.audience, u.group_name, u.site_name) for u in overview["Garasje B"].used_by] == [
        ("private", "Beboere", "Garasje B")
    ]
    assert overview["Gjester"].used_by[0].audience == "public"
    assert overview["Alle"].current is not None and "kWh" in overview["Alle"].current.description

    everywhere_id = everywhere.id
    with pytest.raises(Conflict):
        await archive_plan(session, ACTOR, org_id, everywhere_id)
    await unassign_group_plan(session, ACTOR, org_id, group_id)
    assert (await archive_plan(session, ACTOR, org_id, everywhere_id)).archived_at is not None


async def test_other_organisations_ids_are_not_found(session: AsyncSession) -> None:
    place = await make_place(session)
    org_id, group_id = place.org.id, place.residents.id
    stranger_id = (await make_org(session)).id
    plan_id = (await create_plan(session, ACTOR, org_id, "Beboere", RESIDENTS)).id
    with pytest.raises(NotFound):
        await add_version(session, ACTOR, stranger_id, plan_id, RESIDENTS)
    with pytest.raises(NotFound):
        await assign_group_plan(session, ACTOR, stranger_id, group_id, plan_id)
    stranger_group_id = (await create_group(session, ACTOR, stranger_id, "Fremmede")).id
    with pytest.raises(NotFound):
        await assign_group_plan(session, ACTOR, org_id, stranger_group_id, plan_id)
    count = len((await session.scalars(select(PricePlanVersion))).all())
    assert count == 1


async def test_only_a_scheduled_unused_version_can_be_withdrawn(session: AsyncSession) -> None:
    place = await make_place(session)
    org_id = place.org.id
    plan_id = (await create_plan(session, ACTOR, org_id, "Beboere", fixed("2"), effective_from=JAN, now=JAN)).id
    scheduled_id = (await add_version(session, ACTOR, org_id, plan_id, fixed("3"), effective_from=MAR, now=FEB)).id
    first_id = (await list_versions(session, org_id, plan_id))[0].id
    with pytest.raises(Conflict):
        await delete_version(session, ACTOR, org_id, plan_id, first_id, now=FEB)
    await delete_version(session, ACTOR, org_id, plan_id, scheduled_id, now=FEB)
    assert [v.number for v in await list_versions(session, org_id, plan_id)] == [1]
    assert (await session.scalars(select(SessionPricing))).all() == []
