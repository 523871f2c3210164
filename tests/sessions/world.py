"""Two organisations with charging sessions of every kind, as the gateway and the pricing area leave them:
named members, a member without a name, a visitor key, an unknown tag, a running session, a session
closed without a stop, a fallback-priced one and a corrected one. One person belongs to both
organisations under a different name in each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.members.groups import create_group
from ladeportal.members.models import IdTag, Membership
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.audit import Actor
from ladeportal.pricing.models import SessionPriceCorrection, SessionPricing
from ladeportal.sessions.models import ChargingSession, SessionState
from tests.factories import make_member, make_org, make_site, make_tag, mobile_number
from tests.portal.ocpp_rows import charger

ACTOR = Actor(label="test")
KARI_PHONE_DIGITS = "91234567"


def snapshot(total: int, *, status: str = "priced") -> dict[str, Any]:
    net = total * 4 // 5
    return {
        "format": 1,
        "status": status,
        "time_zone": "Europe/Oslo",
        "currency": "NOK",
        "vat_rate_bp": 2500,
        "prices_include_vat": True,
        "plan": {"name": "Beboerpris"},
        "energy_wh": 12345,
        "net": net,
        "vat": total - net,
        "total": total,
        "warnings": [],
        "needs_review": False,
        "spot_prices": [],
        "lines": [
            {
                "kind": "energy",
                "label": "Dag",
                "quantity": "12.345",
                "unit": "kWh",
                "unit_price": "3",
                "net": net - 800,
                "vat": total - net - 200,
                "gross": total - 1000,
                "energy_wh": 12345,
                "period_start": "2026-01-10T17:00:00+00:00",
                "period_end": "2026-01-10T17:59:00+00:00",
            },
            {
                "kind": "start_fee",
                "label": "",
                "quantity": "1",
                "unit": "session",
                "unit_price": "10",
                "net": 800,
                "vat": 200,
                "gross": 1000,
                "energy_wh": 0,
                "period_start": None,
                "period_end": None,
            },
        ],
    }


async def add_session(
    session: AsyncSession,
    site: Site,
    cp_id: uuid.UUID,
    started: datetime,
    *,
    energy_wh: int | None = None,
    running_wh: int = 0,
    membership: Membership | None = None,
    tag: IdTag | None = None,
    id_tag: str = "04A1B2C3",
    group_id: uuid.UUID | None = None,
    anomalies: list[str] | None = None,
    cost_minor: int | None = None,
    cost_snapshot: dict[str, Any] | None = None,
    connector: int = 1,
) -> int:
    stopped = energy_wh is not None
    row = ChargingSession(
        organization_id=site.organization_id,
        site_id=site.id,
        charge_point_id=cp_id,
        connector_number=connector,
        id_tag=tag.uid if tag is not None else id_tag,
        tag_id=tag.id if tag is not None else None,
        membership_id=membership.id if membership is not None else None,
        group_id=group_id,
        auth_status="Accepted",
        state=SessionState.stopped if stopped else SessionState.active,
        started_at=started,
        stopped_at=started + timedelta(minutes=75) if stopped else None,
        meter_start_wh=10_000,
        meter_stop_wh=10_000 + energy_wh if energy_wh is not None else None,
        meter_last_wh=10_000 + (energy_wh if energy_wh is not None else running_wh),
        segment_start_wh=10_000,
        energy_carried_wh=0,
        energy_wh=energy_wh,
        anomalies=anomalies or [],
        cost_snapshot=cost_snapshot,
        cost_total_minor=cost_minor,
        currency="NOK" if cost_minor is not None else None,
    )
    session.add(row)
    await session.commit()
    return row.id


@dataclass
class World:
    org: Organization
    other: Organization
    site_1: Site
    site_2: Site
    charger_1: uuid.UUID
    charger_2: uuid.UUID
    residents: uuid.UUID
    guests: uuid.UUID
    kari: int  # Kari Nordmann, charger 1, residents, priced and corrected, 10 Jan
    ola: int  # no name (shown by number), charger 2, guests, 1 Feb 00:30 Oslo time
    visitor: int  # a visitor key, running now
    unknown: int  # an unknown tag, closed without a stop, unpriced
    fallback: int  # Kari again, priced with the fallback price, 20 Jan
    other_kari: int  # Kari in the other organisation, under another name


async def build_world(
    session: AsyncSession, *, org: Organization | None = None, other: Organization | None = None
) -> World:
    org = org or await make_org(session, legal_name="Alfa Borettslag")
    other = other or await make_org(session, legal_name="Beta AS")
    site_1 = await make_site(session, org, name="Garasje Nord")
    site_2 = await make_site(session, org, name="Garasje Sør")
    other_site = await make_site(session, other, name="Betas garasje")
    charger_1 = await charger(session, site_1, f"S-{uuid.uuid4().hex[:8]}", seen=None, name="Plass 1")
    charger_2 = await charger(session, site_2, f"S-{uuid.uuid4().hex[:8]}", seen=None, name="Plass 2")
    other_charger = await charger(session, other_site, f"S-{uuid.uuid4().hex[:8]}", seen=None, name="Beta 1")
    residents = (await create_group(session, ACTOR, org.id, "Beboere")).id
    guests = (await create_group(session, ACTOR, org.id, "Gjester")).id

    kari_phone = "+47" + KARI_PHONE_DIGITS
    kari = await make_member(session, org, kari_phone, name="Kari Nordmann", group_id=residents)
    kari_elsewhere = await make_member(session, other, kari_phone, name="Kari hos Beta")
    ola = await make_member(session, org, mobile_number(), name=None, group_id=guests)
    visitor_tag = await make_tag(session, org, None, "AA11BB22", group_id=guests)
    await session.execute(update(IdTag).where(IdTag.id == visitor_tag.id).values(label="Gjestenøkkel 1"))
    await session.commit()

    kari_id = await add_session(
        session,
        site_1,
        charger_1,
        datetime(2026, 1, 10, 17, 0, tzinfo=UTC),
        energy_wh=12345,
        membership=kari,
        group_id=residents,
        cost_minor=5000,
        cost_snapshot=snapshot(5000),
    )
    session.add(
        SessionPriceCorrection(
            session_id=kari_id,
            organization_id=org.id,
            reason="spot_prices_published",
            data_digest="d" * 64,
            currency="NOK",
            old_total_minor=4000,
            new_total_minor=5000,
            old_snapshot={},
            new_snapshot={},
            corrected_by="system",
        )
    )
    ola_id = await add_session(
        session,
        site_2,
        charger_2,
        datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
        energy_wh=2000,
        membership=ola,
        group_id=guests,
        cost_minor=900,
        cost_snapshot=snapshot(900),
        connector=2,
    )
    visitor_id = await add_session(
        session, site_1, charger_1, utcnow() - timedelta(minutes=30), running_wh=1500, tag=visitor_tag, group_id=guests
    )
    unknown_id = await add_session(
        session,
        site_2,
        charger_2,
        datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        energy_wh=700,
        id_tag="DEADBEEF",
        anomalies=["no_stop_received"],
    )
    fallback_id = await add_session(
        session,
        site_1,
        charger_1,
        datetime(2026, 1, 20, 6, 0, tzinfo=UTC),
        energy_wh=8000,
        membership=kari,
        group_id=residents,
        cost_minor=2400,
        cost_snapshot=snapshot(2400),
    )
    session.add(
        SessionPricing(
            session_id=fallback_id,
            organization_id=org.id,
            started_at=datetime(2026, 1, 20, 6, 0, tzinfo=UTC),
            needs_review=True,
            spot_area="NO1",
            awaits_spot_prices=True,
        )
    )
    session.add(
        SessionPricing(
            session_id=kari_id,
            organization_id=org.id,
            started_at=datetime(2026, 1, 10, 17, 0, tzinfo=UTC),
            needs_review=False,
        )
    )
    await session.commit()
    other_id = await add_session(
        session,
        other_site,
        other_charger,
        datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        energy_wh=3000,
        membership=kari_elsewhere,
        cost_minor=1200,
        cost_snapshot=snapshot(1200),
    )
    return World(
        org,
        other,
        site_1,
        site_2,
        charger_1,
        charger_2,
        residents,
        guests,
        kari_id,
        ola_id,
        visitor_id,
        unknown_id,
        fallback_id,
        other_id,
    )
