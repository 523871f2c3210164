"""The demo's subscription: a default plan, and the demo cooperative on it, paying by invoice."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.platform.audit import Actor
from ladeportal.subscriptions.models import Collection
from ladeportal.subscriptions.plans import PlanInput, assign_plan, create_plan, default_plan

DEMO_PLAN = PlanInput(
    name="Standard",
    unit="charger",
    currency="NOK",
    tiers=[(10, 9900), (None, 7900)],  # 99 kr per charger and month for the first ten, then 79 kr
    minimum_quarter_minor=50000,
    proration="prorate",
    days_until_due=14,
    is_default=True,
)


async def load_demo_subscription(session: AsyncSession, actor: Actor, org_id: uuid.UUID) -> None:
    plan = await default_plan(session) or await create_plan(session, actor, DEMO_PLAN)
    await assign_plan(session, actor, org_id, plan.id, Collection.send_invoice.value)
