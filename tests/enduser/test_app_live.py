"""The live session by Server-Sent Events: woken by the meter writer's commit in this process, and
re-reading the database when nothing wakes it (gateway in another process); the cost so far comes from
the member's price plan; the stream ends with the session; streams per person are bounded."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.groups import default_group
from ladeportal.pricing.assignments import assign_group_plan
from ladeportal.pricing.services import create_plan
from ladeportal.sessions import live_updates
from ladeportal.sessions.models import ChargingSession, SessionState
from ladeportal.web.enduser import live_stream
from tests.enduser.conftest import World, meter_reading, running_session_of
from tests.factories import ACTOR


def _events(body: str) -> list[dict[str, object]]:
    return [json.loads(line[len("data: ") :]) for line in body.splitlines() if line.startswith("data: ")]


async def _priced(session: AsyncSession, world: World) -> None:
    org_id = world.org.id
    group = await default_group(session, org_id)
    definition = {"prices_include_vat": True, "energy": {"type": "fixed", "price_per_kwh": "2.50"}}
    plan = await create_plan(
        session, ACTOR, org_id, "Beboere", definition, effective_from=datetime.now(UTC) - timedelta(days=1)
    )
    await assign_group_plan(session, ACTOR, org_id, group.id, plan.id)


@pytest.mark.parametrize("woken", [True, False], ids=["notified", "re-read"])
async def test_the_cost_rises_with_each_meter_value_and_the_stream_ends_with_the_session(
    world: World, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, woken: bool
) -> None:
    await _priced(session, world)
    sid = await running_session_of(session, world, world.me)
    if not woken:
        monkeypatch.setattr(live_stream, "REREAD_SECONDS", 0.2)
    page = await world.me.client.get(f"/app/sessions/{sid}")
    assert f'data-live="/app/sessions/{sid}/live"' in page.text and "Kostnad så langt" in page.text
    stream = asyncio.create_task(world.me.client.get(f"/app/sessions/{sid}/live", timeout=20))
    await asyncio.sleep(0.3)
    await meter_reading(session, world, sid, 4_000)
    if woken:
        live_updates.notify(sid)
    await asyncio.sleep(0.5)
    await session.execute(
        update(ChargingSession)
        .where(ChargingSession.id == sid)
        .values(
            state=SessionState.stopped,
            stopped_at=datetime.now(UTC),
            energy_wh=4_000,
            cost_total_minor=1_000,
            currency="NOK",
        )
    )
    await session.commit()
    if woken:
        live_updates.notify(sid)
    response = await asyncio.wait_for(stream, timeout=15 if not woken else 5)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    events = _events(response.text)
    costs = [e["cost_minor"] for e in events]
    # 1.5 kWh at 2.50 = 3.75, then 4 kWh = 10.00, then the stored price of the ended session.
    assert costs[0] == 375 and 1000 in costs and events[-1]["active"] is False
    assert costs == sorted(costs)
    assert live_updates._listeners == {}  # the stream let go of its wake-up
    assert live_stream._open == {}


async def test_another_person_gets_no_stream(world: World, session: AsyncSession) -> None:
    sid = await running_session_of(session, world, world.me)
    for other in (world.neighbour, world.outsider):
        assert (await other.client.get(f"/app/sessions/{sid}/live")).status_code == 404


async def test_open_streams_per_person_are_bounded(world: World, session: AsyncSession) -> None:
    sid = await running_session_of(session, world, world.me)
    user_id = world.me.membership.user_id
    live_stream._open[user_id] = 4
    try:
        response = await world.me.client.get(f"/app/sessions/{sid}/live")
        assert response.status_code == 429
    finally:
        live_stream._open.pop(user_id, None)
