"""Shared data for the pricing persistence tests: an organisation with residents and guests, and plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from tests.factories import ACTOR, make_member, make_org, make_site, make_tag

from ladeportal.members.groups import create_group
from ladeportal.members.models import IdTag, Membership, UserGroup
from ladeportal.orgs.models import Organization, Site
from ladeportal.sessions.models import ChargingSession
from ladeportal.sessions.services import ChargerRef, start_session, stop_session

RESIDENTS: dict[str, Any] = {
    "prices_include_vat": True,
    "energy": {
        "type": "time_of_day",
        "bands": [
            {
                "weekdays": [0, 1, 2, 3, 4, 5, 6],
                "start": "22:00",
                "end": "06:00",
                "price_per_kwh": "1.00",
                "label": "night",
            },
            {
                "weekdays": [0, 1, 2, 3, 4, 5, 6],
                "start": "06:00",
                "end": "22:00",
                "price_per_kwh": "2.00",
                "label": "day",
            },
        ],
    },
    "start_fee": "5",
    "monthly_fee_per_member": "300",
}
GUESTS: dict[str, Any] = {
    "prices_include_vat": True,
    "energy": {"type": "fixed", "price_per_kwh": "4.50"},
    "time_fee": {"price_per_hour": "30", "grace_minutes": 60},
    "start_fee": "10",
}
SPOT: dict[str, Any] = {
    "prices_include_vat": False,
    "energy": {
        "type": "spot",
        "area": "NO1",
        "markup_per_kwh": "0.30",
        "fallback_per_kwh": "2.00",
        "ceiling_per_kwh": "5.00",
    },
}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Place:
    org: Organization
    site: Site
    residents: UserGroup
    resident: Membership
    tag: IdTag


SWEDISH_ORG_NUMBER = "5560360793"  # valid Luhn check digit


async def make_place(session: AsyncSession, tag_uid: str | None = None, *, price_area: str = "NO1") -> Place:
    swedish = price_area.startswith("SE")
    org = await (make_org(session, country="SE", org_number=SWEDISH_ORG_NUMBER) if swedish else make_org(session))
    site = await make_site(session, org, price_area=price_area)
    residents = await create_group(session, ACTOR, org.id, "Beboere")
    resident = await make_member(session, org, group_id=residents.id)
    tag = await make_tag(session, org, resident, uid=tag_uid)
    return Place(org, site, residents, resident, tag)


async def charge(
    session: AsyncSession,
    place: Place,
    charge_point_id: Any,
    start: datetime,
    stop: datetime,
    energy_wh: int,
    id_tag: str | None = None,
    meter_start_wh: int = 10_000,
) -> ChargingSession:
    """A session started and stopped through the same domain operations the OCPP gateway calls."""
    charger = ChargerRef(charge_point_id, place.org.id, place.site.id)
    started = await start_session(
        session, charger, connector=1, id_tag=id_tag or place.tag.uid, meter_start_wh=meter_start_wh, started_at=start
    )
    await stop_session(
        session,
        charger,
        transaction_id=started.transaction_id,
        meter_stop_wh=meter_start_wh + energy_wh,
        stopped_at=stop,
        reason="Local",
        id_tag=None,
        readings=[],
        payload={},
    )
    row = await session.get(ChargingSession, started.transaction_id, populate_existing=True)
    assert row is not None
    return row
