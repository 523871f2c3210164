"""The app's fixtures: the whole app on the test database, a cooperative with two residents and an
outsider organisation, and signing in to the app through the real SMS-code flow."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.members.groups import default_group
from ladeportal.members.models import Membership
from ladeportal.orgs.models import Organization, Site
from ladeportal.sessions.models import ChargingSession, MeterReading
from tests.factories import make_member, make_org, make_site, make_tag, mobile_number
from tests.portal.conftest import app, csrf_of, last_code, new_client  # noqa: F401
from tests.portal.ocpp_rows import charger, charging_session

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def app_sign_in(client: httpx.AsyncClient, session: AsyncSession, phone: str) -> httpx.Response:
    page = await client.get("/app/login")
    sent = await client.post("/app/login", data={"phone": phone, "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 303, sent.text
    code = await last_code(session, phone)
    assert code is not None
    page = await client.get("/app/login/code")
    return await client.post("/app/login/code", data={"code": code, "csrf_token": csrf_of(page.text)})


@dataclass
class Resident:
    phone: str
    membership: Membership
    client: httpx.AsyncClient


@dataclass(frozen=True)
class Card:
    id: uuid.UUID
    uid: str


@dataclass
class World:
    org: Organization
    site: Site
    cp_id: uuid.UUID
    me: Resident
    neighbour: Resident
    outsider: Resident
    outsider_org: Organization
    my_card: Card
    neighbour_card: Card


async def running_session_of(
    session: AsyncSession,
    world: World,
    who: Resident,
    *,
    id_tag: str = "04A1B2C3",
    connector: int = 1,
    started: datetime | None = None,
) -> int:
    sid = await charging_session(
        session,
        world.site,
        world.cp_id,
        started or utcnow() - timedelta(minutes=30),
        running_wh=1500,
        connector=connector,
        id_tag=id_tag,
    )
    await session.execute(
        update(ChargingSession)
        .where(ChargingSession.id == sid)
        .values(membership_id=who.membership.id, group_id=(await default_group(session, world.org.id)).id)
    )
    await session.commit()
    await meter_reading(session, world, sid, 1500, connector=connector)
    return sid


async def meter_reading(session: AsyncSession, world: World, sid: int, wh: int, *, connector: int = 1) -> None:
    """A MeterValues as the meter writer stores it: the reading and the session's last register."""
    session.add(
        MeterReading(
            charge_point_id=world.cp_id,
            connector_number=connector,
            session_id=sid,
            taken_at=utcnow(),
            energy_wh=10_000 + wh,
            samples=[],
        )
    )
    await session.execute(update(ChargingSession).where(ChargingSession.id == sid).values(meter_last_wh=10_000 + wh))
    await session.commit()


@pytest.fixture
async def world(app: FastAPI, session: AsyncSession) -> AsyncIterator[World]:  # noqa: F811
    org = await make_org(session, legal_name="Solsiden Borettslag")
    other = await make_org(session, legal_name="Nabo Sameie")
    site = await make_site(session, org, name="Garasjen")
    cp_id = await charger(session, site, f"APP-{uuid.uuid4().hex[:6]}", seen=utcnow(), name="Lader A")
    people = []
    for o in (org, org, other):
        phone = mobile_number()
        membership = await make_member(session, o, phone)
        c = new_client(app)
        response = await app_sign_in(c, session, phone)
        assert response.status_code == 303, response.text
        people.append(Resident(phone, membership, c))
    tag = await make_tag(session, org, people[0].membership)
    my_card = Card(tag.id, tag.uid)
    tag = await make_tag(session, org, people[1].membership)
    neighbour_card = Card(tag.id, tag.uid)
    try:
        yield World(org, site, cp_id, people[0], people[1], people[2], other, my_card, neighbour_card)
    finally:
        for p in people:
            await p.client.aclose()
