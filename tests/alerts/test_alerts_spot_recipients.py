"""Spot prices missing for an area concern only the organisations that price by the spot price there:
a spot-priced plan assigned at a site in that area (for a group or for guests, at the site or at all
sites). An organisation with a site in the area but fixed prices, or a spot plan only elsewhere, is
not told."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts import kinds
from ladeportal.alerts.detection import SPOT_ATTEMPTS, detect_alerts
from ladeportal.alerts.models import Alert
from ladeportal.db.base import utcnow
from ladeportal.members.groups import create_group
from ladeportal.orgs.models import Organization
from ladeportal.pricing import assignments, services
from ladeportal.pricing.models import SpotPriceFetch
from ladeportal.pricing.spot_jobs import days_wanted
from tests.factories import ACTOR, make_org, make_site

FIXED: dict[str, Any] = {"energy": {"type": "fixed", "price_per_kwh": "2.50"}}
SPOT: dict[str, Any] = {
    "energy": {"type": "spot", "area": "NO1", "markup_per_kwh": "0.30", "fallback_per_kwh": "2.00"},
}
EARLIER = datetime(2026, 1, 1, tzinfo=utcnow().tzinfo)


async def _failing(session: AsyncSession, currency: str, now: datetime, area: str = "NO1") -> date:
    day = days_wanted(area, now)[0]
    session.add(
        SpotPriceFetch(
            area=area, currency=currency, day=day, attempts=SPOT_ATTEMPTS, next_attempt_at=now, last_error="HTTP 503"
        )
    )
    await session.commit()
    return day


async def _spot_alerts(session: AsyncSession, org: Organization) -> list[str]:
    await session.commit()
    rows = await session.scalars(
        select(Alert.subject_key).where(
            Alert.organization_id == org.id, Alert.kind == kinds.SPOT_PRICES_MISSING, Alert.resolved_at.is_(None)
        )
    )
    return list(rows)


async def _plan(session: AsyncSession, org: Organization, name: str, definition: dict[str, Any]) -> Any:
    return await services.create_plan(session, ACTOR, org.id, name, definition, effective_from=EARLIER)


async def test_only_organisations_with_a_spot_plan_at_a_site_in_the_area_are_told(session: AsyncSession) -> None:
    now = utcnow()
    by_group, by_guests, fixed, elsewhere, no_plan = [await make_org(session) for _ in range(5)]
    # A spot plan for a group at the one site in NO1.
    site = await make_site(session, by_group, price_area="NO1")
    await make_site(session, by_group, price_area="NO2")
    group = await create_group(session, ACTOR, by_group.id, "Beboere")
    plan = await _plan(session, by_group, "Spot", SPOT)
    await assignments.assign_group_plan(session, ACTOR, by_group.id, group.id, plan.id, site_id=site.id)
    # A spot plan for guests at all sites, one of them in NO1.
    await make_site(session, by_guests, price_area="NO1")
    plan = await _plan(session, by_guests, "Gjester", SPOT)
    await assignments.assign_public_plan(session, ACTOR, by_guests.id, plan.id)
    # A site in NO1 with fixed prices.
    await make_site(session, fixed, price_area="NO1")
    plan = await _plan(session, fixed, "Fast", FIXED)
    await assignments.assign_public_plan(session, ACTOR, fixed.id, plan.id)
    # A site in NO1 and a spot plan, but only at its site in NO2.
    await make_site(session, elsewhere, price_area="NO1")
    other_site = await make_site(session, elsewhere, price_area="NO2")
    plan = await _plan(session, elsewhere, "Spot", SPOT)
    await assignments.assign_public_plan(session, ACTOR, elsewhere.id, plan.id, site_id=other_site.id)
    # A site in NO1, a spot plan nobody is given.
    await make_site(session, no_plan, price_area="NO1")
    await _plan(session, no_plan, "Spot", SPOT)

    currencies = {org.currency for org in (by_group, by_guests, fixed, elsewhere, no_plan)}
    for currency in currencies:
        await _failing(session, currency, now)
    for org in (by_group, by_guests, fixed, elsewhere, no_plan):
        await detect_alerts(session, org.id, now)

    assert await _spot_alerts(session, by_group) == [f"NO1:{by_group.currency}"]
    assert await _spot_alerts(session, by_guests) == [f"NO1:{by_guests.currency}"]
    assert await _spot_alerts(session, fixed) == []
    assert await _spot_alerts(session, elsewhere) == []
    assert await _spot_alerts(session, no_plan) == []


async def test_a_plan_that_turns_to_fixed_prices_stops_the_alert(session: AsyncSession) -> None:
    now = utcnow()
    org = await make_org(session)
    await make_site(session, org, price_area="NO1")
    plan = await _plan(session, org, "Gjester", SPOT)
    await assignments.assign_public_plan(session, ACTOR, org.id, plan.id)
    await _failing(session, org.currency, now)
    await detect_alerts(session, org.id, now)
    assert await _spot_alerts(session, org) == [f"NO1:{org.currency}"]

    await services.add_version(session, ACTOR, org.id, plan.id, FIXED, effective_from=now, now=now)
    await detect_alerts(session, org.id, now + timedelta(minutes=1))
    assert await _spot_alerts(session, org) == []
