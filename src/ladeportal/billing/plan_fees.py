"""Price plans' monthly fees as billable items: one per member, plan and month.

The rule, kept simple on purpose:
- The plan is the one assigned to the member's group now (the default group when it has none): the
  plan for all sites, or, when the group only has plans for single sites, each of those plans once.
- The fee is that plan's version in force at the start of the month (at its end, when the first
  version began during the month), in the plan's entered basis (incl. or excl. VAT, like its prices).
- A member counts from the day the membership was created to the day it was removed (both included,
  dates in the organisation's time zone). `activated_at` is not used: it is the first sign-in, and a
  member who only charges with a key card never signs in.
- "whole_months": the whole fee for any day of membership in the month; "pro_rata": the fee times
  days as a member / days in the month, rounded half up to whole øre before VAT is split off.
- Only months that have ended (in the organisation's time zone) by `until` are billed, and none
  before `months_from` (the organisation's first invoice run), so assigning a plan never bills the
  months before the organisation invoiced at all.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import Membership, UserGroup
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PricePlanVersion
from ladeportal.pricing.money import round_minor, split_vat
from ladeportal.pricing.plan_codec import PRO_RATA, PlanDefinition
from ladeportal.pricing.services import definition_of


@dataclass(frozen=True)
class FeeItem:
    source_key: str
    membership_id: uuid.UUID
    plan_id: uuid.UUID
    period_month: date
    occurred_at: datetime
    description: str
    currency: str
    vat_rate_bp: int
    net_minor: int
    vat_minor: int
    gross_minor: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """The first days of the months from `first`'s month to `last`'s month, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def days_active(month: date, first_day: date, last_day: date | None) -> int:
    """Days of `month` within [first_day, last_day] (last_day None: still a member)."""
    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    start = max(month, first_day)
    stop = end if last_day is None else min(end, last_day)
    return max(0, (stop - start).days + 1)


def fee_amount(definition: PlanDefinition, month: date, active_days: int) -> Decimal:
    """The fee for `month` in the plan's entered basis, in minor units (exact, not yet rounded)."""
    if active_days <= 0 or definition.monthly_fee_per_member <= 0:
        return Decimal(0)
    fee = definition.monthly_fee_per_member * 100
    if definition.monthly_fee_basis == PRO_RATA:
        in_month = calendar.monthrange(month.year, month.month)[1]
        return fee * active_days / in_month
    return fee


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


async def _fee_plans(session: AsyncSession, org_id: uuid.UUID) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Group id -> the plans whose fee its members pay (the all-sites plan, else each site plan once)."""
    rows = (
        await session.execute(
            select(GroupPricePlan.group_id, GroupPricePlan.site_id, GroupPricePlan.plan_id).where(
                GroupPricePlan.organization_id == org_id
            )
        )
    ).all()
    by_group: dict[uuid.UUID, list[tuple[uuid.UUID | None, uuid.UUID]]] = {}
    for group_id, site_id, plan_id in rows:
        by_group.setdefault(group_id, []).append((site_id, plan_id))
    plans: dict[uuid.UUID, list[uuid.UUID]] = {}
    for group_id, assigned in by_group.items():
        everywhere = [plan_id for site_id, plan_id in assigned if site_id is None]
        plans[group_id] = everywhere[:1] or sorted(set(plan_id for _, plan_id in assigned))
    return plans


def _version_at(versions: list[PricePlanVersion], moment: datetime, month_end: datetime) -> PricePlanVersion | None:
    in_force = [v for v in versions if v.effective_from <= moment]
    if in_force:
        return max(in_force, key=lambda v: v.effective_from)
    started = [v for v in versions if v.effective_from < month_end]
    return min(started, key=lambda v: v.effective_from) if started else None


async def fee_items(
    session: AsyncSession, org_id: uuid.UUID, time_zone: str, *, until: datetime, months_from: date
) -> list[FeeItem]:
    """Every fee item due by `until` from `months_from` on (written or not: the caller inserts them
    idempotently by source key)."""
    zone = ZoneInfo(time_zone)
    last_month = month_start(until.astimezone(zone).date())  # not ended yet: billed next time
    group_plans = await _fee_plans(session, org_id)
    plan_ids = {p for plans in group_plans.values() for p in plans}
    if not plan_ids or months_from >= last_month:
        return []
    versions: dict[uuid.UUID, list[PricePlanVersion]] = {}
    for version in await session.scalars(select(PricePlanVersion).where(PricePlanVersion.plan_id.in_(plan_ids))):
        versions.setdefault(version.plan_id, []).append(version)
    # Plans that never had a fee cost nothing to skip.
    charging = {
        plan_id for plan_id, vs in versions.items() if any(definition_of(v).monthly_fee_per_member > 0 for v in vs)
    }
    if not charging:
        return []
    names = dict((await session.execute(select(PricePlan.id, PricePlan.name).where(PricePlan.id.in_(charging)))).all())
    default_group = await session.scalar(
        select(UserGroup.id).where(UserGroup.organization_id == org_id, UserGroup.is_default.is_(True))
    )
    live_groups = set(
        await session.scalars(
            select(UserGroup.id).where(UserGroup.organization_id == org_id, UserGroup.deleted_at.is_(None))
        )
    )
    members = (
        await session.execute(
            select(Membership.id, Membership.group_id, Membership.created_at, Membership.removed_at).where(
                Membership.organization_id == org_id
            )
        )
    ).all()
    items: list[FeeItem] = []
    for membership_id, group_id, created_at, removed_at in members:
        group = group_id if group_id in live_groups else default_group
        plans = [p for p in group_plans.get(group, []) if p in charging] if group is not None else []
        if not plans:
            continue
        first_day = created_at.astimezone(zone).date()
        last_day = removed_at.astimezone(zone).date() if removed_at is not None else None
        start = max(month_start(first_day), months_from)
        end = last_month if last_day is None else min(last_month, next_month(month_start(last_day)))
        for month in months_between(start, end):
            if month >= last_month:
                break
            active = days_active(month, first_day, last_day)
            if active <= 0:
                continue
            month_from, month_to = _local_midnight(month, zone), _local_midnight(next_month(month), zone)
            for plan_id in plans:
                in_force = _version_at(versions[plan_id], month_from, month_to)
                if in_force is None:
                    continue
                definition = definition_of(in_force)
                exact = fee_amount(definition, month, active)
                if exact <= 0:
                    continue
                plan = definition.plan
                amounts = split_vat(exact, vat_rate_bp=plan.vat_rate_bp, includes_vat=plan.prices_include_vat)
                if round_minor(exact) == 0:
                    continue
                items.append(
                    FeeItem(
                        source_key=f"fee:{plan_id}:{membership_id}:{month:%Y-%m}",
                        membership_id=membership_id,
                        plan_id=plan_id,
                        period_month=month,
                        occurred_at=month_from,
                        description=f"Månedsavgift {names.get(plan_id, '')[:120]} {month:%m.%Y}",
                        currency=plan.currency,
                        vat_rate_bp=plan.vat_rate_bp,
                        net_minor=amounts.net,
                        vat_minor=amounts.vat,
                        gross_minor=amounts.gross,
                    )
                )
    return items
