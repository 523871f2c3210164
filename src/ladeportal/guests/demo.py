"""The demo's public charger: connector 1 of "Lader A3" in Garasje A, open to guests once the demo
cooperative's Stripe account (at the stand-in) can take card payments, with a fixed sticker code so
the README can name its URL."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.engine import Database, unit_of_work
from ladeportal.errors import DomainError
from ladeportal.guests import places
from ladeportal.guests.models import GuestConnectorCode
from ladeportal.platform.audit import Actor

DEMO_GUEST_CHARGER = "DEMO-A3"
DEMO_GUEST_CODE = "GJEST3"


async def open_demo_guest_charger(db: Database, org_id: uuid.UUID) -> str:
    """Open the demo's public charger (idempotent); a line for the demo's summary."""
    async with db.session() as s:
        cp = await s.scalar(
            select(ChargePoint).where(ChargePoint.ocpp_id == DEMO_GUEST_CHARGER, ChargePoint.organization_id == org_id)
        )
        if cp is None:
            return ""
        async with unit_of_work(s):
            if await s.get(GuestConnectorCode, DEMO_GUEST_CODE) is None:
                s.add(
                    GuestConnectorCode(
                        code=DEMO_GUEST_CODE,
                        organization_id=cp.organization_id,
                        charge_point_id=cp.id,
                        connector_number=1,
                    )
                )
        try:
            await places.open_charger(s, Actor.system("demo"), cp.organization_id, cp.id)
        except DomainError as exc:
            return f"; guest charging not open ({exc.code})"
    return f"; guest charging at {DEMO_GUEST_CHARGER}: /app/c/{DEMO_GUEST_CODE}"
