"""Commands to chargers: the round trip, the log, queueing, and every way it can fail."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from ladeportal.chargers import commands
from ladeportal.chargers.commands import ChargerNotConnected, CommandTimedOut, send_command
from ladeportal.chargers.history_models import ChargerCommand, CommandState
from ladeportal.db.engine import Database
from ladeportal.errors import NotFound, ValidationFailed
from ladeportal.members.local_list import local_list_version
from ladeportal.members.models import TagState
from ladeportal.members.tags import set_tag_state
from tests.factories import ACTOR, make_org
from tests.ocpp.conftest import Charger, RunningGateway, World, charger


async def answer_next(c: Charger, reply: Any) -> list[Any]:
    """Read the server's next CALL, answer it with `reply(frame)`; return the CALL."""
    frame = await c.recv()
    await c.send_raw(json.dumps(reply(frame)))
    return frame


async def send(
    db: Database, world: World, action: str, payload: dict[str, Any] | None = None, timeout_s: float = 10.0
) -> commands.CommandResult:
    async with db.session() as s:
        return await send_command(s, ACTOR, world.org.id, world.cp_uuid, action, payload, timeout_s=timeout_s)


async def test_reset_round_trip_is_logged(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        task = asyncio.create_task(send(db, world, "Reset", {"type": "Soft"}))
        call = await answer_next(c, lambda f: [3, f[1], {"status": "Accepted"}])
        result = await task
    assert call[0] == 2 and call[2:] == ["Reset", {"type": "Soft"}] and len(call[1]) <= 36
    assert (result.state, result.response, result.accepted) == (CommandState.answered, {"status": "Accepted"}, True)
    async with db.session() as s:
        row = await s.get(ChargerCommand, result.command_id)
    assert row is not None
    assert (row.action, row.payload, row.state, row.response, row.actor_label) == (
        "Reset",
        {"type": "Soft"},
        CommandState.answered,
        {"status": "Accepted"},
        "test",
    )
    assert row.sent_at is not None and row.finished_at is not None


# What a charger answers to each command of the queueing test (each answer valid for its command).
_ANSWERS = {"ClearCache": {"status": "Accepted"}, "GetLocalListVersion": {"listVersion": 3}}


async def test_commands_are_queued_one_at_a_time(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        # Both commands are issued at once, so either may reach the wire first (each commits its row
        # before it is sent, and a loaded machine decides which commit wins): answer by action, not
        # by position. The generous timeout covers the second command's wait in the queue.
        first = asyncio.create_task(send(db, world, "ClearCache", timeout_s=15.0))
        second = asyncio.create_task(send(db, world, "GetLocalListVersion", timeout_s=15.0))
        call1 = await c.recv()
        # The second request is not on the wire while the first waits for its answer.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await c.ws.recv()
        await c.send_raw(json.dumps([3, call1[1], _ANSWERS[call1[2]]]))
        call2 = await answer_next(c, lambda f: [3, f[1], _ANSWERS[f[2]]])
        results = await asyncio.gather(first, second)
    assert {call1[2], call2[2]} == {"ClearCache", "GetLocalListVersion"}
    assert all(r.state == CommandState.answered for r in results)


async def test_callerror_from_charger_is_recorded_as_failed(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        task = asyncio.create_task(send(db, world, "UnlockConnector", {"connectorId": 1}))
        await answer_next(c, lambda f: [4, f[1], "NotSupported", "no lock", {}])
        result = await task
    assert (result.state, result.error_code, result.error_description) == (
        CommandState.failed,
        "NotSupported",
        "no lock",
    )


async def test_invalid_answer_is_recorded_as_failed(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        task = asyncio.create_task(send(db, world, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}))
        await answer_next(c, lambda f: [3, f[1], {"status": "Maybe"}])
        result = await task
    assert result.state == CommandState.failed and result.error_code == "InvalidResponse"


async def test_silent_charger_times_out(db: Database, gw: RunningGateway, world: World) -> None:
    async with charger(gw.url, world.cp_id, world.password) as c:
        with pytest.raises(CommandTimedOut) as caught:
            await send(db, world, "TriggerMessage", {"requestedMessage": "Heartbeat"}, timeout_s=0.5)
        assert (await c.recv())[2] == "TriggerMessage"
    assert caught.value.result.state == CommandState.timeout


async def test_not_connected(db: Database, gw: RunningGateway, world: World) -> None:
    with pytest.raises(ChargerNotConnected) as caught:
        await send(db, world, "Reset", {"type": "Hard"}, timeout_s=0.3)
    async with db.session() as s:
        row = await s.get(ChargerCommand, caught.value.result.command_id)
    assert row is not None and row.state == CommandState.not_connected


async def test_bad_command_and_other_org_are_refused(db: Database, gw: RunningGateway, world: World) -> None:
    with pytest.raises(ValidationFailed):
        await send(db, world, "Reset", {"type": "Gentle"})
    with pytest.raises(ValidationFailed):
        await send(db, world, "SelfDestruct", {})
    async with db.session() as s:
        other = await make_org(s)
        with pytest.raises(NotFound):
            await send_command(s, ACTOR, other.id, world.cp_uuid, "Reset", {"type": "Soft"})
        with pytest.raises(NotFound):
            await send_command(s, ACTOR, world.org.id, uuid.uuid4(), "Reset", {"type": "Soft"})
        assert (await s.scalars(select(ChargerCommand))).all() == []


async def test_command_from_another_process_goes_through_the_table(
    db: Database, gw: RunningGateway, world: World
) -> None:
    # Without a channel in "this process", the row waits in the table for the gateway's poller.
    commands.unregister_channel(gw.gateway)
    try:
        async with charger(gw.url, world.cp_id, world.password) as c:
            task = asyncio.create_task(
                send(db, world, "RemoteStartTransaction", {"idTag": "04A1B2C3", "connectorId": 1})
            )
            call = await answer_next(c, lambda f: [3, f[1], {"status": "Accepted"}])
            result = await task
    finally:
        commands.register_channel(gw.gateway)
    assert call[2:] == ["RemoteStartTransaction", {"idTag": "04A1B2C3", "connectorId": 1}]
    assert result.state == CommandState.answered and result.accepted


async def test_send_local_list_pushes_the_organisations_list_and_its_version(
    db: Database, gw: RunningGateway, world: World
) -> None:
    async with db.session() as s:
        version = await local_list_version(s, world.org.id)
    async with charger(gw.url, world.cp_id, world.password) as c:
        task = asyncio.create_task(send(db, world, "SendLocalList"))
        first = await answer_next(c, lambda f: [3, f[1], {"status": "Accepted"}])
        assert (await task).accepted
        # Blocking a tag changes the list: the next push carries a higher version and the new status.
        async with db.session() as s:
            await set_tag_state(s, ACTOR, world.org.id, world.tag.id, TagState.blocked)
        task = asyncio.create_task(send(db, world, "SendLocalList"))
        second = await answer_next(c, lambda f: [3, f[1], {"status": "Accepted"}])
        assert (await task).accepted
    assert first[3]["listVersion"] == max(1, version) and first[3]["updateType"] == "Full"
    statuses = {e["idTag"]: e["idTagInfo"]["status"] for e in first[3]["localAuthorizationList"]}
    assert statuses[world.tag.uid] == "Accepted" and statuses[world.blocked_tag.uid] == "Blocked"
    assert second[3]["listVersion"] == first[3]["listVersion"] + 1
    after = {e["idTag"]: e["idTagInfo"]["status"] for e in second[3]["localAuthorizationList"]}
    assert after[world.tag.uid] == "Blocked"
