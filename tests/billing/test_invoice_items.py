"""Billable items: every finished priced session of a member becomes exactly one item with its stored
amounts; sessions waiting for a review or for spot prices wait; the month is the one the session ended
in, in the organisation's time zone; monthly fees per member; manual items and credits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillableItem, ItemKind
from ladeportal.billing.items import add_manual_item, collect_items, held_back_sessions
from ladeportal.billing.plan_fees import days_active, fee_amount
from ladeportal.db.engine import Database
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.members.models import Membership
from ladeportal.platform.models import AuditEvent
from ladeportal.pricing import services as plan_services
from ladeportal.pricing.describe import describe_definition
from ladeportal.pricing.models import SessionPricing
from ladeportal.pricing.plan_codec import PlanDefinition, plan_from_json, plan_to_json
from ladeportal.pricing.validation import InvalidPlan
from ladeportal.sessions.models import ChargingSession
from ladeportal.sessions.review import mark_reviewed
from tests.billing.invoicing_fixtures import (
    actor_of,
    add_members,
    finished_session,
    invoicing_org,
    members_with_sessions,
    plan_definition,
)
from tests.portal.conftest import TwoOrgs, form_post

NOV = date(2026, 11, 1)
LATER = datetime(2026, 12, 20, tzinfo=UTC)


async def _items(session: AsyncSession, **where: object) -> list[BillableItem]:
    query = select(BillableItem).order_by(BillableItem.id)
    for key, value in where.items():
        query = query.where(getattr(BillableItem, key) == value)
    rows = list(await session.scalars(query.execution_options(populate_existing=True)))
    await session.commit()
    return rows


async def test_collect_writes_one_item_per_session_with_the_stored_amounts_and_again_nothing(
    db: Database, session: AsyncSession
) -> None:
    world = await invoicing_org(db, session)
    members = await members_with_sessions(session, world, month=NOV, members=2, sessions_each=3, energy_wh=12_345)
    assert await collect_items(session, world.org.id, until=LATER) == 6
    assert await collect_items(session, world.org.id, until=LATER) == 0

    items = await _items(session)
    sessions = {s.id: s for s in await session.scalars(select(ChargingSession))}
    assert len(items) == 6 and {i.membership_id for i in items} == {m.id for m in members}
    for item in items:
        stored = sessions[item.session_id]
        assert item.kind == ItemKind.session and item.source_key == f"session:{stored.id}"
        assert (item.net_minor, item.vat_minor, item.gross_minor) == (
            stored.cost_snapshot["net"],
            stored.cost_snapshot["vat"],
            stored.cost_total_minor,
        )
        assert item.gross_minor == 3086 and item.energy_wh == 12_345  # 12.345 kWh × 2.50 incl. VAT
        assert item.period_month == NOV and item.description.startswith(f"Lading {world.site.name} ")


async def test_sessions_after_until_unpriced_or_without_member_are_not_billed(
    db: Database, session: AsyncSession
) -> None:
    world = await invoicing_org(db, session)
    [member] = await add_members(session, world.org, 1)
    await finished_session(session, world, member, stopped_at=datetime(2026, 11, 5, 12, tzinfo=UTC))
    late = await finished_session(session, world, member, stopped_at=datetime(2026, 12, 25, 12, tzinfo=UTC))
    unpriced = await finished_session(session, world, member, stopped_at=datetime(2026, 11, 6, 12, tzinfo=UTC))
    anonymous = await finished_session(session, world, member, stopped_at=datetime(2026, 11, 7, 12, tzinfo=UTC))
    await session.execute(
        update(ChargingSession).where(ChargingSession.id == unpriced.id).values(cost_total_minor=None)
    )
    await session.execute(update(ChargingSession).where(ChargingSession.id == anonymous.id).values(membership_id=None))
    await session.commit()

    assert await collect_items(session, world.org.id, until=LATER) == 1
    assert late.id not in {i.session_id for i in await _items(session)}
    # The session that finished after `until` arrives with the next collect.
    assert await collect_items(session, world.org.id, until=LATER + timedelta(days=10)) == 1


async def test_flagged_sessions_wait_until_reviewed_and_fallback_priced_ones_until_repriced(
    db: Database, session: AsyncSession
) -> None:
    world = await invoicing_org(db, session)
    [member] = await add_members(session, world.org, 1)
    flagged = await finished_session(
        session, world, member, stopped_at=datetime(2026, 11, 3, 12, tzinfo=UTC), anomalies=["meter_reset"]
    )
    awaiting = await finished_session(session, world, member, stopped_at=datetime(2026, 11, 4, 12, tzinfo=UTC))
    await session.execute(
        update(SessionPricing).where(SessionPricing.session_id == awaiting.id).values(awaits_spot_prices=True)
    )
    await session.commit()
    pricing = await session.get(SessionPricing, flagged.id)
    assert pricing is not None and pricing.needs_review
    await session.commit()

    assert await collect_items(session, world.org.id, until=LATER) == 0
    assert await held_back_sessions(session, world.org.id, until=LATER) == 2

    await mark_reviewed(session, world.actor, world.org.id, flagged.id)
    await session.execute(
        update(SessionPricing).where(SessionPricing.session_id == awaiting.id).values(awaits_spot_prices=False)
    )
    await session.commit()
    assert await held_back_sessions(session, world.org.id, until=LATER) == 0
    assert await collect_items(session, world.org.id, until=LATER) == 2


async def test_a_session_spanning_months_is_billed_in_the_month_it_ended_in_the_org_time_zone(
    db: Database, session: AsyncSession
) -> None:
    world = await invoicing_org(db, session)  # Europe/Oslo
    [member] = await add_members(session, world.org, 1)
    # 31 Oct 23:30 UTC is 1 Nov 00:30 in Oslo (CET, after the DST change on 25 Oct).
    night = await finished_session(
        session, world, member, stopped_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC), minutes=120
    )
    # 31 Mar 22:30 UTC is 1 Apr 00:30 in Oslo (CEST, after the change on 29 Mar): April.
    spring = await finished_session(session, world, member, stopped_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    # 31 Mar 21:30 UTC is still 31 Mar 23:30 in Oslo: March.
    march = await finished_session(session, world, member, stopped_at=datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    await collect_items(session, world.org.id, until=LATER)
    months = {i.session_id: i.period_month for i in await _items(session)}
    assert months == {night.id: date(2026, 11, 1), spring.id: date(2026, 4, 1), march.id: date(2026, 3, 1)}
    descriptions = {i.session_id: i.description for i in await _items(session)}
    assert descriptions[night.id].endswith("01.11.2026")


async def test_a_removed_members_sessions_are_still_billed(db: Database, session: AsyncSession) -> None:
    world = await invoicing_org(db, session)
    [member] = await members_with_sessions(session, world, month=NOV, members=1, sessions_each=2)
    await session.execute(
        update(Membership).where(Membership.id == member.id).values(removed_at=datetime(2026, 11, 20, tzinfo=UTC))
    )
    await session.commit()
    assert await collect_items(session, world.org.id, until=LATER) == 2


async def test_another_organisations_sessions_are_never_its_items(db: Database, session: AsyncSession) -> None:
    ours, theirs = await invoicing_org(db, session), await invoicing_org(db, session)
    await members_with_sessions(session, theirs, month=NOV, members=1, sessions_each=2)
    assert await collect_items(session, ours.org.id, until=LATER) == 0
    assert await _items(session) == []


async def test_monthly_fee_whole_months_and_pro_rata(db: Database, session: AsyncSession) -> None:
    whole = await invoicing_org(db, session, monthly_fee="300", monthly_fee_basis="whole_months")
    pro = await invoicing_org(db, session, monthly_fee="300", monthly_fee_basis="pro_rata")
    joined = datetime(2026, 10, 16, 10, tzinfo=UTC)  # 16 of October's 31 days
    for world in (whole, pro):
        [member] = await add_members(session, world.org, 1)
        await session.execute(update(Membership).where(Membership.id == member.id).values(created_at=joined))
        await session.commit()
        await collect_items(session, world.org.id, until=LATER, fee_months_from=date(2026, 9, 1))
        fees = await _items(session, organization_id=world.org.id, kind=ItemKind.plan_fee)
        # October and November have ended by 20 December; December has not.
        assert [f.period_month for f in fees] == [date(2026, 10, 1), date(2026, 11, 1)]
        assert fees[0].source_key == f"fee:{world.plan.id}:{member.id}:2026-10"
        assert fees[1].gross_minor == 30000 and fees[1].net_minor + fees[1].vat_minor == 30000
        assert fees[0].gross_minor == (30000 if world is whole else 15484)  # 300 × 16 / 31 = 154.84
        assert await collect_items(session, world.org.id, until=LATER, fee_months_from=date(2026, 9, 1)) == 0


async def test_no_fee_for_months_before_the_first_run_or_after_removal(db: Database, session: AsyncSession) -> None:
    world = await invoicing_org(db, session, monthly_fee="100", monthly_fee_basis="pro_rata")
    [member] = await add_members(session, world.org, 1)
    await session.execute(
        update(Membership)
        .where(Membership.id == member.id)
        .values(created_at=datetime(2025, 1, 1, tzinfo=UTC), removed_at=datetime(2026, 10, 9, 12, tzinfo=UTC))
    )
    await session.commit()
    await collect_items(session, world.org.id, until=LATER, fee_months_from=date(2026, 9, 1))
    fees = await _items(session, kind=ItemKind.plan_fee)
    assert [(f.period_month, f.gross_minor) for f in fees] == [(date(2026, 9, 1), 10000), (date(2026, 10, 1), 2903)]


def test_fee_arithmetic() -> None:
    assert days_active(date(2026, 2, 1), date(2026, 1, 5), None) == 28
    assert days_active(date(2026, 2, 1), date(2026, 2, 10), date(2026, 2, 10)) == 1
    assert days_active(date(2026, 2, 1), date(2026, 3, 1), None) == 0
    pro = plan_from_json(plan_definition(monthly_fee="280", monthly_fee_basis="pro_rata") | _BASE)
    assert fee_amount(pro, date(2026, 2, 1), 14) == 14000
    whole = plan_from_json(plan_definition(monthly_fee="280") | _BASE)
    assert fee_amount(whole, date(2026, 2, 1), 1) == 28000


_BASE = {"prices_include_vat": True, "vat_rate_bp": 2500, "currency": "NOK"}


def test_the_fee_basis_round_trips_old_plans_read_as_whole_months_and_bad_values_are_refused() -> None:
    stored = plan_definition(monthly_fee="99.50", monthly_fee_basis="pro_rata") | _BASE
    decoded = plan_from_json(stored)
    assert decoded.monthly_fee_basis == "pro_rata" and decoded.monthly_fee_per_member == 99.5
    assert plan_from_json(plan_to_json(decoded)) == decoded
    old = plan_definition(monthly_fee="50") | _BASE
    assert plan_from_json(old).monthly_fee_basis == "whole_months"
    with pytest.raises(InvalidPlan) as bad:
        plan_from_json(plan_definition(monthly_fee="50", monthly_fee_basis="weekly") | _BASE)
    assert [p.code for p in bad.value.problems] == ["plan.monthly_fee_basis_unknown"]
    for amount, code in (("-1", "price.amount_negative"), ("1.001", "price.amount_fraction")):
        with pytest.raises(InvalidPlan) as refused:
            plan_from_json(plan_definition(monthly_fee=amount) | _BASE)
        assert [p.code for p in refused.value.problems] == [code]


def test_the_description_names_the_monthly_fee() -> None:
    definition: PlanDefinition = plan_from_json(
        plan_definition(monthly_fee="300", monthly_fee_basis="pro_rata") | _BASE
    )
    assert describe_definition(definition, "nb") == (
        "kr 2,50 per kWh inkl. mva, kr 300 inkl. mva per medlem per måned (etter antall dager som medlem)"
    )
    assert "per member per month" in describe_definition(definition, "en")
    assert "måned" not in describe_definition(plan_from_json(plan_definition() | _BASE), "nb")


async def test_manual_items_and_credits_are_audited_and_bad_input_changes_nothing(
    db: Database, session: AsyncSession
) -> None:
    world = await invoicing_org(db, session)
    other = await invoicing_org(db, session)
    [member] = await add_members(session, world.org, 1)
    fee = await add_manual_item(
        session, world.actor, world.org.id, member.id, description="Nøkkelbrikke", gross_minor=25000
    )
    credit = await add_manual_item(
        session, world.actor, world.org.id, member.id, description="Kreditt", gross_minor=-12500
    )
    assert (fee.net_minor, fee.vat_minor, fee.gross_minor, fee.kind) == (20000, 5000, 25000, ItemKind.manual)
    assert (credit.net_minor, credit.vat_minor) == (-10000, -2500)
    audits = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invoicing.item_add")
    )
    assert audits == 2

    bad = [
        ({"description": "", "gross_minor": 100}, "invoicing.item_description"),
        ({"description": "x" * 201, "gross_minor": 100}, "invoicing.item_description"),
        ({"description": "Null", "gross_minor": 0}, "invoicing.item_amount"),
        ({"description": "Rate", "gross_minor": 100, "vat_rate_bp": 10001}, "invoicing.item_vat_rate"),
    ]
    for kwargs, code in bad:
        with pytest.raises(ValidationFailed) as refused:
            await add_manual_item(session, world.actor, world.org.id, member.id, **kwargs)  # type: ignore[arg-type]
        assert refused.value.code == code
    # Another organisation's administrator, or their member id: not found, as for a missing one.
    with pytest.raises(NotFound):
        await add_manual_item(session, other.actor, world.org.id, member.id, description="X", gross_minor=100)
    with pytest.raises(NotFound):
        await add_manual_item(session, other.actor, other.org.id, member.id, description="X", gross_minor=100)
    plain = actor_of(member)
    with pytest.raises(NotFound):
        await add_manual_item(session, plain, world.org.id, member.id, description="X", gross_minor=100)
    assert len(await _items(session)) == 2


async def test_the_price_plan_form_stores_the_fee_basis_and_refuses_a_bad_one(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    new = f"/portal/o/{org.id}/prices/new"
    page = (await c.get(new)).text
    assert "Månedsavgift for en del av en måned" in page and "Etter antall dager i måneden som medlem" in page
    form = {"name": "Beboere", "energy_type": "fixed", "price_per_kwh": "2,50", "prices_include_vat": "incl"}
    bad = await form_post(c, new, new, {**form, "monthly_fee_per_member": "300", "monthly_fee_basis": "weekly"})
    assert bad.status_code == 422
    assert "weekly er ikke en måte å fakturere månedsavgiften på" in bad.text and 'id="e-monthly_fee_basis"' in bad.text
    await session.commit()
    assert await plan_services.list_plans(session, org.id) == []
    await session.commit()

    done = await form_post(c, new, new, {**form, "monthly_fee_per_member": "300", "monthly_fee_basis": "pro_rata"})
    assert done.status_code == 303, done.text
    [plan] = await plan_services.list_plans(session, org.id)
    [version] = await plan_services.list_versions(session, org.id, plan.id)
    assert (version.definition["monthly_fee_per_member"], version.definition["monthly_fee_basis"]) == (
        "300",
        "pro_rata",
    )
    await session.commit()
    listing = (await c.get(f"/portal/o/{org.id}/prices")).text
    assert "per medlem per måned (etter antall dager som medlem)" in listing
