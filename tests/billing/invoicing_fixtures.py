"""Test data for invoicing, shared by the invoicing helpers' tests (names kept stable).

An organisation (optionally with a Stripe account the stand-in has made ready for charges), a site
with a charger, a price plan assigned to the default group, members, a finance user, and finished
sessions priced by the product's own pricing hook (`price_finished_session`), so their stored
`cost_snapshot` / `cost_total_minor` and `SessionPricing` row are exactly what the gateway leaves.

    world = await invoicing_org(db, session, standin)              # ready for charges
    members = await members_with_sessions(session, world, month=date(2026, 10, 1))
    finance = await finance_user(session, world.org)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.onboarding import onboarding_link, sync_account
from ladeportal.db.engine import Database
from ladeportal.members.groups import default_group
from ladeportal.members.models import Membership, Role
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.audit import Actor
from ladeportal.pricing import services as plan_services
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.models import PricePlan
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.sessions.pricing_hook import price_finished_session
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import REFRESH_URL, RETURN_URL, stored_account
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, mobile_number

PLAN_FROM = datetime(2020, 1, 1, tzinfo=UTC)


def _detach(session: AsyncSession, *rows: object) -> None:
    """Returned rows are detached with their values loaded: a rollback in the test (a refused
    operation) then cannot expire them, so `world.org.id` stays readable without I/O."""
    for row in rows:
        if row in session:
            session.expunge(row)


@dataclass
class InvoicingOrg:
    org: Organization
    admin: Membership
    site: Site
    charge_point_id: uuid.UUID
    plan: PricePlan
    group_id: uuid.UUID
    account_id: str | None  # the owner's Stripe account (None: no account, payments not ready)

    @property
    def actor(self) -> Actor:
        """The organisation's administrator, as the portal passes them to a domain operation."""
        return Actor(label="admin", user_id=self.admin.user_id)


def plan_definition(
    *, price_per_kwh: str = "2.50", monthly_fee: str = "0", monthly_fee_basis: str | None = None
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "energy": {"type": "fixed", "price_per_kwh": price_per_kwh},
        "monthly_fee_per_member": monthly_fee,
    }
    if monthly_fee_basis is not None:
        definition["monthly_fee_basis"] = monthly_fee_basis
    return definition


async def ready_stripe_account(
    db: Database, session: AsyncSession, standin: StandinServer, org_id: uuid.UUID, admin: Membership
) -> str:
    """Onboard the organisation at the stand-in and complete it: the account can take charges."""
    await onboarding_link(db, org_id, actor_user_id=admin.user_id, return_url=RETURN_URL, refresh_url=REFRESH_URL)
    row = await stored_account(session, org_id)
    assert row is not None and row.account_id is not None
    standin.complete_onboarding(row.account_id)
    await sync_account(db, org_id)
    return row.account_id


async def invoicing_org(
    db: Database,
    session: AsyncSession,
    standin: StandinServer | None = None,
    *,
    price_per_kwh: str = "2.50",
    monthly_fee: str = "0",
    monthly_fee_basis: str | None = None,
    site_time_zone: str | None = None,
) -> InvoicingOrg:
    """An organisation with a site, a charger and a plan for its default group; with `standin`, also a
    Stripe account that is ready for charges."""
    org = await make_org(session)
    admin = await make_member(session, org, mobile_number(), role=Role.org_admin, name="Styreleder")
    site = await make_site(session, org, **({"time_zone": site_time_zone} if site_time_zone else {}))
    cp = (await make_charger(session, site)).charge_point
    plan = await plan_services.create_plan(
        session,
        ACTOR,
        org.id,
        f"Beboerpris {uuid.uuid4().hex[:4]}",
        plan_definition(price_per_kwh=price_per_kwh, monthly_fee=monthly_fee, monthly_fee_basis=monthly_fee_basis),
        effective_from=PLAN_FROM,
    )
    group = await default_group(session, org.id)
    await assign_group_plan(session, ACTOR, org.id, group.id, plan.id)
    account_id = None
    if standin is not None:
        account_id = await ready_stripe_account(db, session, standin, org.id, admin)
    await session.commit()
    _detach(session, org, admin, site, plan)
    return InvoicingOrg(org, admin, site, cp.id, plan, group.id, account_id)


async def finance_user(session: AsyncSession, org: Organization) -> Membership:
    """A member with the finance role (sees and approves invoicing)."""
    made = await make_member(session, org, mobile_number(), role=Role.finance, name="Kasserer")
    _detach(session, made)
    return made


async def add_members(
    session: AsyncSession, org: Organization, count: int, *, prefix: str = "Beboer"
) -> list[Membership]:
    made = [await make_member(session, org, mobile_number(), name=f"{prefix} {n}") for n in range(1, count + 1)]
    _detach(session, *made)
    return made


async def finished_session(
    session: AsyncSession,
    world: InvoicingOrg,
    membership: Membership,
    *,
    stopped_at: datetime,
    energy_wh: int = 10_000,
    minutes: int = 60,
    anomalies: list[str] | None = None,
    site: Site | None = None,
    charge_point_id: uuid.UUID | None = None,
) -> ChargingSession:
    """A finished session of `membership`, priced by the product's pricing hook and committed."""
    site = site or world.site
    started = stopped_at - timedelta(minutes=minutes)
    meter_start = 1_000_000 + int(started.timestamp()) % 1_000_000
    row = ChargingSession(
        organization_id=world.org.id,
        site_id=site.id,
        charge_point_id=charge_point_id or world.charge_point_id,
        connector_number=1,
        id_tag=membership.id.hex[:20].upper(),
        membership_id=membership.id,
        group_id=membership.group_id or world.group_id,
        auth_status="Accepted",
        state=SessionState.stopped,
        started_at=started,
        stopped_at=stopped_at,
        stop_reason="Local",
        meter_start_wh=meter_start,
        meter_stop_wh=meter_start + energy_wh,
        meter_last_wh=meter_start + energy_wh,
        segment_start_wh=meter_start,
        energy_carried_wh=0,
        energy_wh=energy_wh,
        anomalies=list(anomalies or []),
    )
    session.add(row)
    await session.flush()
    await price_finished_session(session, row)
    await session.commit()
    _detach(session, row)
    return row


async def members_with_sessions(
    session: AsyncSession,
    world: InvoicingOrg,
    *,
    month: date,
    members: int = 3,
    sessions_each: int = 2,
    energy_wh: int = 10_000,
) -> list[Membership]:
    """`members` new members, each with `sessions_each` finished priced sessions ending in `month`
    (mid-day UTC on days 2, 3, ... so they are in that month in any European time zone)."""
    made = await add_members(session, world.org, members)
    for membership in made:
        for n in range(sessions_each):
            stopped = datetime(month.year, month.month, 2 + n % 25, 12, n // 25, tzinfo=UTC)
            await finished_session(session, world, membership, stopped_at=stopped, energy_wh=energy_wh)
    return made


async def sessions_of(session: AsyncSession, membership_id: uuid.UUID) -> list[ChargingSession]:
    rows = list(
        await session.scalars(
            select(ChargingSession).where(ChargingSession.membership_id == membership_id).order_by(ChargingSession.id)
        )
    )
    await session.commit()
    return rows


def actor_of(membership: Membership, label: str = "user") -> Actor:
    return Actor(label=label, user_id=membership.user_id)
