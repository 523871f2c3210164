"""Local list syncs against real sockets: never waiting for a charger this process does not hold, and
never sending a list computed before a tag was blocked after the list that blocks it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select, update

from ladeportal.chargers.commands import send_command
from ladeportal.chargers.history_models import ChargerCommand, CommandState
from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.members.local_list_sync import NOT_HERE, sync_organization
from ladeportal.members.models import TagState
from ladeportal.members.tags import set_tag_state
from tests.factories import ACTOR
from tests.ocpp.conftest import Charger, RunningGateway, World, charger, eventually


async def _answer_next(c: Charger, payload: dict[str, Any]) -> list[Any]:
    frame = await c.recv()
    assert frame[0] == 2, frame
    await c.send_raw(json.dumps([3, frame[1], payload]))
    return frame


async def test_a_sync_skips_chargers_not_connected_here_without_waiting(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with db.session() as s:
        # CP-B was seen a minute ago (by another process's gateway, or just before going offline).
        other_uuid = await s.scalar(select(ChargePoint.id).where(ChargePoint.ocpp_id == world.other_cp_id))
        await s.execute(update(ChargePoint).where(ChargePoint.id == other_uuid).values(last_seen_at=utcnow()))
        await s.commit()
    async with charger(gw.url, world.cp_id, world.password) as c:
        await eventually(lambda: world.cp_uuid in gw.gateway.connections)
        sync = asyncio.create_task(sync_organization(db, world.org.id))
        frame = await _answer_next(c, {"status": "Accepted"})
        assert frame[2] == "SendLocalList"
        async with asyncio.timeout(10):  # failsafe; the command timeout is 10 s and must not be waited
            outcomes = await sync
    assert outcomes == {str(world.cp_uuid): "Accepted", str(other_uuid): NOT_HERE}
    async with db.session() as s:
        # Nothing was queued for CP-B: no command waits for a gateway that may never come.
        rows = (await s.execute(select(ChargerCommand.charge_point_id, ChargerCommand.state))).all()
    assert rows == [(world.cp_uuid, CommandState.answered)]


async def test_a_list_computed_before_a_block_is_never_sent_after_it(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        await eventually(lambda: world.cp_uuid in gw.gateway.connections)

        async def busy() -> None:
            async with db.session() as s:
                await send_command(s, ACTOR, world.org.id, world.cp_uuid, "GetConfiguration", {})

        # The charger is busy with a command, so the sync's list waits its turn...
        occupying = asyncio.create_task(busy())
        configuration = await c.recv()
        assert configuration[2] == "GetConfiguration"
        stale_sync = asyncio.create_task(sync_organization(db, world.org.id))

        async def list_computed() -> bool:
            async with db.session() as s:
                return (
                    await s.scalar(select(ChargerCommand.id).where(ChargerCommand.action == "SendLocalList"))
                    is not None
                )

        async with asyncio.timeout(10):
            while not await list_computed():  # noqa: ASYNC110 - a database row, nothing to wait on
                await asyncio.sleep(0.02)
        # ...while the tag is blocked: a new version, whose own sync follows.
        async with db.session() as s:
            await set_tag_state(s, ACTOR, world.org.id, world.tag.id, TagState.blocked)
        await c.send_raw(f'[3,"{configuration[1]}",{{"configurationKey":[]}}]')
        await occupying
        async with asyncio.timeout(10):
            assert (await stale_sync)[str(world.cp_uuid)] == "Superseded"

        fresh_sync = asyncio.create_task(sync_organization(db, world.org.id))
        frame = await _answer_next(c, {"status": "Accepted"})
        assert (await fresh_sync)[str(world.cp_uuid)] == "Accepted"
    # The first list the charger ever received already says Blocked.
    assert frame[2] == "SendLocalList"
    entries = {e["idTag"]: e["idTagInfo"]["status"] for e in frame[3]["localAuthorizationList"]}
    assert entries[world.tag.uid] == "Blocked"
