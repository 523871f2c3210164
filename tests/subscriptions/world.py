"""Test data: a plan and organisations with chargers, and a quarter's run worked to the end."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.stripe_gateway import gateway
from ladeportal.chargers.models import ChargePoint
from ladeportal.db.engine import Database
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor
from ladeportal.subscriptions.execution import work_on_run
from ladeportal.subscriptions.models import SubscriptionPlan, SubscriptionRun
from ladeportal.subscriptions.plans import PlanInput, create_plan
from ladeportal.subscriptions.quarters import Quarter
from ladeportal.subscriptions.runs import start_run
from tests.factories import make_charger, make_org, make_site

STAFF = Actor(label="staff", is_operator=True)


async def a_plan(
    session: AsyncSession, *, proration: str = "prorate", minimum: int = 0, default: bool = True, unit: str = "charger"
) -> SubscriptionPlan:
    data = PlanInput(
        name=f"Plan {uuid.uuid4().hex[:6]}",
        unit=unit,
        currency="NOK",
        tiers=[(10, 10000), (None, 8000)],
        minimum_quarter_minor=minimum,
        proration=proration,
        is_default=default,
    )
    return await create_plan(session, STAFF, data)


async def an_org_with_chargers(
    session: AsyncSession,
    chargers: int,
    *,
    email: str | None = "styret@example.no",
    created: datetime | None = None,
    country: str = "NO",
) -> Organization:
    extra: dict[str, object] = {"contact_email": email} if email else {}
    if country == "SE":
        extra |= {"country": "SE", "org_number": "5560360793"}
    org = await make_org(session, **extra)
    site = await make_site(session, org)
    for _ in range(chargers):
        new = await make_charger(session, site)
        if created is not None:
            await backdate(session, new.charge_point.id, created)
    return org


async def backdate(session: AsyncSession, charge_point_id: uuid.UUID, when: datetime) -> None:
    await session.execute(update(ChargePoint).where(ChargePoint.id == charge_point_id).values(created_at=when))
    await session.commit()


LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def run_quarter(db: Database, session: AsyncSession, quarter: str) -> SubscriptionRun:
    run = await start_run(session, STAFF, Quarter.parse(quarter))
    assert await work_on_run(db, gateway(), run.id)
    return run
