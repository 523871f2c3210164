"""Commands to chargers (Reset, RemoteStartTransaction, SendLocalList, ...): the one way to send one.

`send_command` records the command, hands it to the gateway that holds the charger's socket, waits
for the answer and records it. The command table doubles as the queue between processes: when no
gateway in this process holds the charger (the CLI, a second web worker), the row stays `queued`
until the gateway process that does hold it claims it (compare-and-set on the state) and answers.
One request per charger is in flight at a time; the gateway's connection queues the rest.

The row is committed before the charger is asked and again with the answer, on purpose: an operator
must see a command in flight, and a crash between the two leaves a visible `sent` row, not nothing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import ChargerCommand, CommandState
from ladeportal.chargers.models import ChargePoint, ChargerLocalList
from ladeportal.chargers.services import get_charge_point
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import DomainError
from ladeportal.platform.audit import Actor, record

DEFAULT_PROTOCOL = "ocpp1.6"
_POLL_SECONDS = 0.1
_FINISHED = (CommandState.answered, CommandState.failed, CommandState.timeout, CommandState.not_connected)


@dataclass(frozen=True)
class CommandResult:
    command_id: int
    action: str
    state: CommandState
    response: dict[str, Any] | None
    error_code: str | None = None
    error_description: str | None = None

    @property
    def accepted(self) -> bool:
        """The charger answered and did not say Rejected/NotSupported/Failed."""
        status = (self.response or {}).get("status")
        return self.state == CommandState.answered and status in (None, "Accepted", "Unlocked", "Scheduled")


class CommandFailed(DomainError):
    kind = "command_failed"

    def __init__(
        self, message: str, result: CommandResult, *, code: str | None = None, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.result = result


class ChargerNotConnected(CommandFailed):
    kind = "not_connected"


class CommandTimedOut(CommandFailed):
    kind = "timeout"


class Superseded(Exception):
    """Raised just before sending when the command is out of date (a local list older than the current
    version): sending it could undo a newer change, such as a tag blocked a moment ago."""


SUPERSEDED = "Superseded"
# Runs under the charger's send lock right before the frame goes out; raises Superseded to drop it.
BeforeSend = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    payload: dict[str, Any] | None
    error_code: str | None = None
    error_description: str | None = None


class CommandChannel(Protocol):
    """A gateway in this process; it registers itself while it runs."""

    def holds(self, charge_point_id: uuid.UUID) -> bool: ...

    async def exchange(
        self,
        charge_point_id: uuid.UUID,
        action: str,
        payload: dict[str, Any],
        timeout_s: float,
        before_send: BeforeSend | None = None,
    ) -> Answer: ...


_channels: list[CommandChannel] = []


def register_channel(channel: CommandChannel) -> None:
    _channels.append(channel)


def unregister_channel(channel: CommandChannel) -> None:
    if channel in _channels:
        _channels.remove(channel)


def disconnect_here(charge_point_id: uuid.UUID, reason: str) -> None:
    """Close the charger's socket if a gateway in this process holds it: after retirement or a new
    password the handshake refuses it, and an open connection should not outlive that. (A gateway in
    another process keeps its socket until the charger reconnects, when the handshake refuses it.)"""
    for channel in _channels:
        drop = getattr(channel, "drop", None)
        if drop is not None and channel.holds(charge_point_id):
            drop(charge_point_id, reason)


def connected_here(charge_point_id: uuid.UUID) -> bool:
    """Whether a gateway in this process holds the charger's socket (a command is then sent at once;
    otherwise it waits for another process's gateway, or for the whole timeout if none holds it)."""
    return any(channel.holds(charge_point_id) for channel in _channels)


async def send_command(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    charge_point_id: uuid.UUID,
    action: str,
    payload: dict[str, Any] | None = None,
    *,
    timeout_s: float | None = None,
) -> CommandResult:
    """Send `action` to the organisation's charger and return its answer.

    Raises NotFound (not this organisation's charger), ValidationFailed (unknown command or payload),
    ChargerNotConnected, CommandTimedOut. A CALLERROR from the charger comes back as state `failed`.
    """
    from ladeportal.ocpp.commands import check_command  # the version registry lives with the protocol
    from ladeportal.settings import get_settings

    wait = timeout_s if timeout_s is not None else get_settings().ocpp_command_timeout
    cp = await get_charge_point(session, org_id, charge_point_id)
    if action == "SendLocalList" and not payload:
        payload = await local_list_payload(session, cp)
    payload = check_command(cp.ocpp_protocol or DEFAULT_PROTOCOL, action, payload or {})
    async with unit_of_work(session):
        row = ChargerCommand(
            organization_id=org_id,
            charge_point_id=cp.id,
            action=action,
            payload=payload,
            state=CommandState.queued,
            actor_label=actor.label,
            actor_user_id=actor.user_id,
            created_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        record(
            session,
            actor,
            "charger.command",
            "charge_point",
            cp.id,
            organization_id=org_id,
            new={"action": action, "command_id": row.id},
        )
    command_id = row.id
    channel = next((c for c in _channels if c.holds(cp.id)), None)
    if channel is not None and await _claim(session, command_id):
        result = await deliver_claimed(session, channel, command_id, cp.id, action, payload, wait)
    else:
        result = await _wait_for_other_process(session, command_id, action, wait)
    if action == "SendLocalList" and result.accepted:
        await _remember_local_list(session, cp.id, payload)
    if result.state == CommandState.not_connected:
        raise ChargerNotConnected("The charger is not connected.", result, code="charger.not_connected")
    if result.state == CommandState.timeout:
        raise CommandTimedOut(
            f"The charger did not answer within {wait:g} s.",
            result,
            code="charger.no_answer",
            params={"seconds": f"{wait:g}"},
        )
    return result


async def _remember_local_list(session: AsyncSession, cp_id: uuid.UUID, payload: dict[str, Any]) -> None:
    """Keep the list as it now stands on the charger: a Full update replaces it, a Differential one
    changes the entries it names (an entry without idTagInfo is a removal)."""
    items = {e["idTag"]: e.get("idTagInfo") for e in payload.get("localAuthorizationList") or []}
    async with unit_of_work(session):
        row = await session.get(ChargerLocalList, cp_id, with_for_update=True)
        if row is not None and row.version > int(payload["listVersion"]):
            return  # a newer list's answer was recorded first; the charger holds that one
        if payload.get("updateType") == "Full":
            entries = {uid: info for uid, info in items.items() if info is not None}
        elif row is not None:
            entries = dict(row.entries)
            for uid, info in items.items():
                if info is None:
                    entries.pop(uid, None)
                else:
                    entries[uid] = info
        else:
            return  # a differential update on a list we never saw: nothing certain to remember
        if row is None:
            session.add(ChargerLocalList(charge_point_id=cp_id, version=int(payload["listVersion"]), entries=entries))
        else:
            row.version = int(payload["listVersion"])
            row.entries = entries


async def _claim(session: AsyncSession, command_id: int) -> bool:
    """queued -> sent, only if nobody else took it (several gateways may look at the same row)."""
    async with unit_of_work(session):
        done = await session.execute(
            update(ChargerCommand)
            .where(ChargerCommand.id == command_id, ChargerCommand.state == CommandState.queued)
            .values(state=CommandState.sent, sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return bool(getattr(done, "rowcount", 0))


@dataclass(frozen=True)
class QueuedCommand:
    id: int
    charge_point_id: uuid.UUID
    action: str
    payload: dict[str, Any]


async def claim_queued(session: AsyncSession, channel: CommandChannel, limit: int = 100) -> list[QueuedCommand]:
    """For a gateway's poller: queued commands for chargers this gateway holds, now claimed by it."""
    rows = (
        await session.execute(
            select(ChargerCommand.id, ChargerCommand.charge_point_id, ChargerCommand.action, ChargerCommand.payload)
            .where(ChargerCommand.state == CommandState.queued)
            .order_by(ChargerCommand.id)
            .limit(limit)
        )
    ).all()
    await session.rollback()
    claimed = []
    for row in rows:
        if channel.holds(row.charge_point_id) and await _claim(session, row.id):
            claimed.append(QueuedCommand(row.id, row.charge_point_id, row.action, row.payload))
    return claimed


async def deliver_claimed(
    session: AsyncSession,
    channel: CommandChannel,
    command_id: int,
    charge_point_id: uuid.UUID,
    action: str,
    payload: dict[str, Any],
    timeout_s: float,
) -> CommandResult:
    """Exchange a claimed command with the charger and record the outcome."""
    before_send = _local_list_still_current(session, charge_point_id, payload) if action == "SendLocalList" else None
    try:
        answer = await channel.exchange(charge_point_id, action, payload, timeout_s, before_send)
    except Superseded as exc:
        return await _finish(session, command_id, action, CommandState.failed, None, SUPERSEDED, str(exc))
    except TimeoutError:
        return await _finish(session, command_id, action, CommandState.timeout, None, None, "no answer in time")
    except ConnectionError as exc:
        return await _finish(session, command_id, action, CommandState.not_connected, None, None, str(exc))
    state = CommandState.failed if answer.error_code else CommandState.answered
    return await _finish(
        session, command_id, action, state, answer.payload, answer.error_code, answer.error_description
    )


def _local_list_still_current(session: AsyncSession, charge_point_id: uuid.UUID, payload: dict[str, Any]) -> BeforeSend:
    """Refuse a list older than the organisation's current version, checked under the send lock: a list
    computed before a tag was blocked never reaches the charger after the list that blocks it."""
    from ladeportal.members.models import LocalListVersion

    async def check() -> None:
        current = await session.scalar(
            select(LocalListVersion.version)
            .join(ChargePoint, ChargePoint.organization_id == LocalListVersion.organization_id)
            .where(ChargePoint.id == charge_point_id)
        )
        await session.commit()  # end the read (nothing written; unlike a rollback it expires nothing)
        if int(payload.get("listVersion") or 0) < int(current or 0):
            raise Superseded(f"list version {payload.get('listVersion')} is older than the current {current}")

    return check


async def _finish(
    session: AsyncSession,
    command_id: int,
    action: str,
    state: CommandState,
    response: dict[str, Any] | None,
    error_code: str | None,
    description: str | None,
) -> CommandResult:
    async with unit_of_work(session):
        await session.execute(
            update(ChargerCommand)
            .where(ChargerCommand.id == command_id)
            .values(
                state=state,
                response=response,
                error_code=error_code,
                error_description=(description or None) and description[:255],
                finished_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
    return CommandResult(command_id, action, state, response, error_code, description)


async def _wait_for_other_process(
    session: AsyncSession, command_id: int, action: str, timeout_s: float
) -> CommandResult:
    # Phase 1: a gateway must claim the row within the timeout, else the charger is not connected.
    # Phase 2: once claimed, that gateway answers or records a timeout within its own timeout.
    deadline = time.monotonic() + timeout_s
    grace = deadline + timeout_s + 1.0
    while True:
        row = (
            await session.execute(
                select(
                    ChargerCommand.state,
                    ChargerCommand.response,
                    ChargerCommand.error_code,
                    ChargerCommand.error_description,
                ).where(ChargerCommand.id == command_id)
            )
        ).one()
        await session.rollback()  # end the read transaction so the next poll sees new commits
        if row.state in _FINISHED:
            return CommandResult(command_id, action, row.state, row.response, row.error_code, row.error_description)
        now = time.monotonic()
        if row.state == CommandState.queued and now >= deadline:
            async with unit_of_work(session):
                gone = await session.execute(
                    update(ChargerCommand)
                    .where(ChargerCommand.id == command_id, ChargerCommand.state == CommandState.queued)
                    .values(
                        state=CommandState.not_connected,
                        finished_at=utcnow(),
                        error_description="no gateway holds the charger",
                    )
                    .execution_options(synchronize_session=False)
                )
            if getattr(gone, "rowcount", 0):
                return CommandResult(
                    command_id, action, CommandState.not_connected, None, None, "no gateway holds the charger"
                )
            continue
        if now >= grace:
            return CommandResult(command_id, action, CommandState.timeout, None, None, "no answer in time")
        await asyncio.sleep(_POLL_SECONDS)


async def local_list_payload(session: AsyncSession, cp: ChargePoint) -> dict[str, Any]:
    """SendLocalList, full update: the organisation's current list as the access rules see it at this
    charger, under the organisation's list version (the same payload the automatic sync sends)."""
    from ladeportal.members.local_list import compute_local_list, local_list_version, send_local_list_payload

    # The version first: the entries are then at least as new as the version they are sent under.
    version = await local_list_version(session, cp.organization_id)
    entries = await compute_local_list(session, cp.organization_id, charge_point_id=cp.id)
    return send_local_list_payload(entries, version)


async def list_commands(
    session: AsyncSession, org_id: uuid.UUID, charge_point_id: uuid.UUID, limit: int = 50
) -> list[ChargerCommand]:
    cp = await get_charge_point(session, org_id, charge_point_id)
    return list(
        (
            await session.scalars(
                select(ChargerCommand)
                .where(ChargerCommand.charge_point_id == cp.id)
                .order_by(ChargerCommand.id.desc())
                .limit(limit)
            )
        ).all()
    )
