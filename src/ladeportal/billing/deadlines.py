"""Each organisation's invoicing switch date: the day its invoicing moves to Stripe, set by staff.

Days left are counted in the organisation's time zone: on the switch date itself none are left.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.models import InvoicingSwitchDate
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound, PermissionDenied, ValidationFailed
from ladeportal.limits import MAX_IDS_PER_REQUEST, check_date
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor, record
from ladeportal.platform.models import OperatorAccount


@dataclass(frozen=True)
class SwitchDeadline:
    switch_date: date | None
    days_left: int | None  # in the organisation's time zone; 0 on the day, negative after it


def local_today(time_zone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(time_zone)).date()


def days_left(switch_date: date | None, time_zone: str, *, today: date | None = None) -> int | None:
    if switch_date is None:
        return None
    return (switch_date - (today or local_today(time_zone))).days


async def invoicing_deadline(session: AsyncSession, org_id: uuid.UUID, *, today: date | None = None) -> SwitchDeadline:
    row = await session.execute(
        select(Organization.time_zone, InvoicingSwitchDate.switch_date)
        .outerjoin(InvoicingSwitchDate, InvoicingSwitchDate.organization_id == Organization.id)
        .where(Organization.id == org_id)
    )
    found = row.first()
    if found is None:
        raise NotFound("No such organisation.", code="org.not_found")
    time_zone, switch_date = found
    return SwitchDeadline(switch_date, days_left(switch_date, time_zone, today=today))


async def set_invoicing_switch_date(
    session: AsyncSession, org_ids: Sequence[uuid.UUID], switch_date: date | None, *, staff_id: uuid.UUID
) -> int:
    """Set (or with None, clear) the switch date of the given organisations; returns how many changed.

    Only active platform staff (`staff_id` is their user id) may; every change is audited. A date in
    the past or an unknown organisation refuses the whole request and changes nothing."""
    async with unit_of_work(session):
        staff = await session.scalar(
            select(OperatorAccount.id).where(OperatorAccount.user_id == staff_id, OperatorAccount.active.is_(True))
        )
        if staff is None:
            raise PermissionDenied("Only platform staff set invoicing switch dates.", code="payments.staff_only")
        wanted = list(dict.fromkeys(org_ids))
        if not wanted:
            raise ValidationFailed("Name at least one organisation.", field="org_ids", code="payments.no_orgs")
        if len(wanted) > MAX_IDS_PER_REQUEST:
            raise ValidationFailed(
                f"At most {MAX_IDS_PER_REQUEST} organisations at a time.",
                field="org_ids",
                code="payments.too_many_orgs",
                params={"limit": MAX_IDS_PER_REQUEST},
            )
        check_date(switch_date, "switch_date")
        if switch_date is not None and switch_date < utcnow().date():
            raise ValidationFailed(
                f"The switch date {switch_date.isoformat()} is in the past.",
                field="switch_date",
                code="payments.switch_date_past",
                params={"date": switch_date.isoformat()},
            )
        orgs = set(await session.scalars(select(Organization.id).where(Organization.id.in_(wanted))))
        missing = [org_id for org_id in wanted if org_id not in orgs]
        if missing:
            raise NotFound(f"No organisation with id {missing[0]}.", code="org.not_found")
        rows = {
            r.organization_id: r
            for r in await session.scalars(
                select(InvoicingSwitchDate).where(InvoicingSwitchDate.organization_id.in_(wanted))
            )
        }
        actor = Actor(label=f"staff:{staff_id}", user_id=staff_id, is_operator=True)
        changed = 0
        for org_id in wanted:
            row = rows.get(org_id)
            old = row.switch_date if row is not None else None
            if old == switch_date:
                continue
            if switch_date is None and row is not None:
                await session.delete(row)
            elif row is None and switch_date is not None:
                session.add(
                    InvoicingSwitchDate(organization_id=org_id, switch_date=switch_date, set_by_user_id=staff_id)
                )
            elif row is not None and switch_date is not None:
                row.switch_date = switch_date
                row.set_by_user_id = staff_id
            record(
                session,
                actor,
                "payments.switch_date",
                "organization",
                org_id,
                organization_id=org_id,
                old={"switch_date": old.isoformat() if old else None},
                new={"switch_date": switch_date.isoformat() if switch_date else None},
            )
            changed += 1
    return changed
