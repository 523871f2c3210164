"""Guest charging tests: the product's Stripe code against the stand-in (as in tests/billing), a
public charger whose owner can take card payments, and a stand-in for the charger's socket that
answers remote starts and stops and records them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers import commands
from ladeportal.chargers.commands import Answer, BeforeSend
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.guests import places
from ladeportal.guests.models import GuestConnectorCode
from ladeportal.members.models import Membership, Role
from ladeportal.orgs.models import Organization, Site
from ladeportal.pricing import services as plan_services
from ladeportal.pricing.assignments import assign_public_plan
from ladeportal.stripe_standin.server import StandinServer
from tests.billing.conftest import standin, stripe_settings  # noqa: F401  (fixtures)
from tests.billing.invoicing_fixtures import ready_stripe_account
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site, mobile_number
from tests.portal.conftest import app, client, new_client, two_orgs  # noqa: F401  (fixtures)


@dataclass
class FakeCharger:
    """Answers commands for the chargers it holds, as a connected charger would."""

    held: set[uuid.UUID]
    answer: str = "Accepted"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def holds(self, charge_point_id: uuid.UUID) -> bool:
        return charge_point_id in self.held

    async def exchange(
        self,
        charge_point_id: uuid.UUID,
        action: str,
        payload: dict[str, Any],
        timeout_s: float,
        before_send: BeforeSend | None = None,
    ) -> Answer:
        self.calls.append((action, payload))
        return Answer({"status": self.answer})


@dataclass
class GuestWorld:
    org: Organization
    admin: Membership
    site: Site
    cp_id: uuid.UUID
    ocpp_id: str
    account_id: str
    code: str
    charger: FakeCharger


async def public_plan(
    session: AsyncSession, org: Organization, price_per_kwh: str = "5.00", start_fee: str = "0"
) -> None:
    plan = await plan_services.create_plan(
        session,
        ACTOR,
        org.id,
        "Gjester",
        {"energy": {"type": "fixed", "price_per_kwh": price_per_kwh}, "start_fee": start_fee},
        effective_from=utcnow() - timedelta(days=1),
    )
    await assign_public_plan(session, ACTOR, org.id, plan.id)


@pytest.fixture
async def world(db: Database, session: AsyncSession, standin: StandinServer) -> AsyncIterator[GuestWorld]:  # noqa: F811
    org = await make_org(session, legal_name="Solsiden Borettslag")
    admin = await make_member(session, org, mobile_number(), role=Role.org_admin, name="Styreleder")
    site = await make_site(session, org, name="Gjesteparkering")
    new = await make_charger(session, site, connectors=1)
    cp = new.charge_point
    await session.commit()
    await public_plan(session, org)
    account_id = await ready_stripe_account(db, session, standin, org.id, admin)
    await places.open_charger(session, ACTOR, org.id, cp.id)
    code = await session.scalar(select(GuestConnectorCode.code).where(GuestConnectorCode.charge_point_id == cp.id))
    await session.commit()
    assert code is not None
    fake = FakeCharger({cp.id})
    commands.register_channel(fake)
    try:
        yield GuestWorld(org, admin, site, cp.id, cp.ocpp_id, account_id, code, fake)
    finally:
        commands.unregister_channel(fake)


async def stripe_get(standin: StandinServer, path: str) -> dict[str, Any]:  # noqa: F811
    async with httpx.AsyncClient(base_url=standin.url, auth=(standin.api_key, "")) as http:
        response = await http.get(path)
        assert response.status_code == 200, response.text
        return dict(response.json())


def guest_client(app: FastAPI) -> httpx.AsyncClient:  # noqa: F811
    return new_client(app)
