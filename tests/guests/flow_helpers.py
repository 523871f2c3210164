"""Steps of a guest's visit, as the phone makes them, shared by the guest tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import Database
from ladeportal.guests.jobs import start_task
from ladeportal.guests.models import GuestCharge
from ladeportal.jobs.outbox import TaskContext
from ladeportal.sessions.services import ChargerRef, start_session, stop_session
from ladeportal.stripe_standin.server import StandinServer
from tests.factories import mobile_number
from tests.guests.conftest import GuestWorld
from tests.portal.conftest import csrf_of, last_code


@dataclass
class Visit:
    charge_id: uuid.UUID
    phone: str
    checkout_id: str
    live_html: str


async def confirm_number(client: httpx.AsyncClient, session: AsyncSession, world: GuestWorld) -> tuple[uuid.UUID, str]:
    page = await client.get(f"/app/c/{world.code}")
    assert page.status_code == 200, page.text
    phone = mobile_number()
    asked = await client.post(f"/app/c/{world.code}/code", data={"phone": phone, "csrf_token": csrf_of(page.text)})
    assert asked.status_code == 200, asked.text
    sms = await last_code(session, phone)
    assert sms is not None
    confirmed = await client.post(
        f"/app/c/{world.code}/verify", data={"phone": phone, "answer": sms, "csrf_token": csrf_of(asked.text)}
    )
    assert confirmed.status_code == 303, confirmed.text
    return uuid.UUID(confirmed.headers["location"].rsplit("/", 1)[1]), phone


async def pay(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: GuestWorld,
    standin: StandinServer,
    card: str = "4242424242424242",
) -> Visit:
    charge_id, phone = await confirm_number(client, session, world)
    live = await client.get(f"/app/guest/{charge_id}")
    assert live.status_code == 200, live.text
    to_stripe = await client.get(f"/app/guest/{charge_id}/checkout")
    assert to_stripe.status_code == 303, to_stripe.text
    url = to_stripe.headers["location"]
    assert url.startswith(f"{standin.url}/c/pay/")
    checkout_id = url.rsplit("/", 1)[1]
    try:
        standin.pay_checkout(checkout_id, card)
    except Exception:  # a declined card: the hosted page shows the error and sends nobody back
        return Visit(charge_id, phone, checkout_id, live.text)
    back = await client.get(f"/app/guest/{charge_id}/paid?session_id={checkout_id}")
    assert back.status_code == 303
    page = await client.get(back.headers["location"])
    return Visit(charge_id, phone, checkout_id, page.text)


async def run_start(db: Database, charge_id: uuid.UUID) -> None:
    await start_task(db, {"charge_id": str(charge_id)}, TaskContext(task_id=0, attempt=1))


async def charger_starts(session: AsyncSession, world: GuestWorld, tag: str, at: datetime) -> int:
    ref = ChargerRef(world.cp_id, world.org.id, world.site.id)
    started = await start_session(session, ref, connector=1, id_tag=tag, meter_start_wh=100_000, started_at=at)
    return started.transaction_id


async def charger_stops(session: AsyncSession, world: GuestWorld, tx: int, wh: int, at: datetime) -> None:
    ref = ChargerRef(world.cp_id, world.org.id, world.site.id)
    await stop_session(
        session,
        ref,
        transaction_id=tx,
        meter_stop_wh=100_000 + wh,
        stopped_at=at,
        reason="Remote",
        id_tag=None,
        readings=[],
        payload={},
    )


async def charge_row(session: AsyncSession, charge_id: uuid.UUID) -> GuestCharge:
    row = await session.get(GuestCharge, charge_id, populate_existing=True)
    assert row is not None
    await session.commit()
    return row
