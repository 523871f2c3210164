"""The access decision for a guest's tag: accepted only at the charger the guest paid for, and only
while the card hold is in place (from the authorisation until the session has ended). Asked by
members.access.decide_access, so Authorize, StartTransaction and every other path get the same answer."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.guests.models import HOLDING, GuestCharge
from ladeportal.members.access import AccessDecision, AccessStatus

GUEST_REASON = "guest card hold"


async def guest_decision(
    session: AsyncSession, organization_id: uuid.UUID, raw_tag: str, at: datetime, charge_point_id: uuid.UUID | None
) -> AccessDecision:
    row = await session.scalar(
        select(GuestCharge).where(GuestCharge.id_tag == raw_tag, GuestCharge.organization_id == organization_id)
    )
    if row is None or (charge_point_id is not None and row.charge_point_id != charge_point_id):
        return AccessDecision(AccessStatus.invalid, reason="unknown tag")
    if row.state not in HOLDING:
        return AccessDecision(AccessStatus.expired, reason="guest hold ended")
    # No group and no member: the session is priced by the public price plan.
    return AccessDecision(AccessStatus.accepted, reason=GUEST_REASON)
