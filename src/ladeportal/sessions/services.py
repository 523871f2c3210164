"""Starting and stopping charging sessions, parking orphans: one function per state change, the same
whichever transport (an OCPP message, a remote command, a test) brings it.

Rules from the charger side (see shared notes, "Transactions"): messages may be retried (dedupe on
content), replayed late with old timestamps (bill by the charger's clock), refer to transactions we
never saw (park them), or carry odd meter values (record the anomaly, never refuse the message).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import Connector
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.members.access import AccessDecision, AccessStatus, decide_access
from ladeportal.sessions import anomalies
from ladeportal.sessions.anomalies import MeterState
from ladeportal.sessions.meter import Reading
from ladeportal.sessions.models import ChargingSession, MeterReading, OrphanMessage, SessionState
from ladeportal.sessions.pricing_hook import price_finished_session


@dataclass(frozen=True, slots=True)
class ChargerRef:
    """The charger a message came from, as authenticated at the handshake."""

    charge_point_id: uuid.UUID
    organization_id: uuid.UUID
    site_id: uuid.UUID


@dataclass(frozen=True)
class StartResult:
    transaction_id: int
    decision: AccessDecision
    duplicate: bool


@dataclass(frozen=True)
class StopResult:
    outcome: str  # "stopped" | "duplicate" | "orphan"
    decision: AccessDecision | None
    session_id: int | None


async def start_session(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    connector: int,
    id_tag: str,
    meter_start_wh: int,
    started_at: datetime,
    reservation_id: int | None = None,
) -> StartResult:
    async with unit_of_work(session):
        decision = await decide_access(
            session,
            charger.organization_id,
            charger.site_id,
            id_tag,
            started_at,
            charge_point_id=charger.charge_point_id,
        )
        existing = await session.scalar(
            select(ChargingSession.id).where(
                ChargingSession.charge_point_id == charger.charge_point_id,
                ChargingSession.connector_number == connector,
                ChargingSession.started_at == started_at,
                ChargingSession.meter_start_wh == meter_start_wh,
                ChargingSession.id_tag == id_tag,
            )
        )
        if existing is not None:
            return StartResult(existing, decision, duplicate=True)
        state = MeterState(0, meter_start_wh, meter_start_wh, meter_start_wh)
        await _close_unfinished(session, charger, connector, started_at, meter_start_wh)
        if meter_start_wh == 0:
            # A charger that started offline may report 0 instead of its register; billing from 0
            # would charge the meter's whole life. Rebase on the last register we know.
            known = await _last_known_register(session, charger, connector)
            if known > 0:
                state.flag(anomalies.START_ZERO_REBASED)
                state.meter_last_wh = state.segment_start_wh = known
        if not await connector_exists(session, charger, connector):
            # Accepted anyway (the car is charging), flagged so the owner fixes the charger's setup.
            state.flag(anomalies.UNKNOWN_CONNECTOR)
        if decision.status != AccessStatus.accepted:
            # Recorded anyway: the charger may have let the car charge on its local authorisation.
            state.flag(anomalies.TAG_NOT_ACCEPTED)
        row = ChargingSession(
            organization_id=charger.organization_id,
            site_id=charger.site_id,
            charge_point_id=charger.charge_point_id,
            connector_number=connector,
            id_tag=id_tag,
            tag_id=decision.tag_id,
            membership_id=decision.membership_id,
            group_id=decision.group_id,
            auth_status=decision.status.value,
            reservation_id=reservation_id,
            state=SessionState.active,
            started_at=started_at,
            meter_start_wh=meter_start_wh,
            meter_last_wh=state.meter_last_wh,
            segment_start_wh=state.segment_start_wh,
            energy_carried_wh=0,
            anomalies=list(state.anomalies),
        )
        session.add(row)
        await session.flush()
    return StartResult(row.id, decision, duplicate=False)


async def connector_exists(session: AsyncSession, charger: ChargerRef, connector: int) -> bool:
    return (
        connector > 0
        and await session.scalar(
            select(Connector.id).where(
                Connector.charge_point_id == charger.charge_point_id, Connector.number == connector
            )
        )
        is not None
    )


async def connector_numbers(session: AsyncSession, charger: ChargerRef) -> frozenset[int]:
    """The connectors the charger has in the portal (0, the charger as a whole, is always valid)."""
    rows = await session.scalars(select(Connector.number).where(Connector.charge_point_id == charger.charge_point_id))
    numbers = frozenset({0, *rows.all()})
    await session.rollback()
    return numbers


UNKNOWN_CONNECTOR_REASON = "unknown connector"


async def _close_unfinished(
    session: AsyncSession, charger: ChargerRef, connector: int, before: datetime, next_meter_start_wh: int
) -> None:
    """A new start on a connector whose previous transaction never got a Stop (lost for good)."""
    rows = (
        await session.scalars(
            select(ChargingSession).where(
                ChargingSession.charge_point_id == charger.charge_point_id,
                ChargingSession.connector_number == connector,
                ChargingSession.state == SessionState.active,
                ChargingSession.started_at <= before,
            )
        )
    ).all()
    for row in rows:
        state = meter_state_of(row)
        state.flag(anomalies.NO_STOP_RECEIVED)
        # The next start's register is where this one's meter ended, if it is plausible.
        stop_wh = next_meter_start_wh if next_meter_start_wh >= state.meter_last_wh else state.meter_last_wh
        await _finish(session, row, state, stop_wh, before, "NoStopReceived", None)


async def end_without_stop(session: AsyncSession, charge_point_id: uuid.UUID, at: datetime, reason: str) -> int:
    """End the charger's running sessions whose StopTransaction can no longer come (the charger was
    retired): at the last meter reading, flagged NoStopReceived. Runs in the caller's transaction."""
    rows = (
        await session.scalars(
            select(ChargingSession).where(
                ChargingSession.charge_point_id == charge_point_id,
                ChargingSession.state == SessionState.active,
            )
        )
    ).all()
    for row in rows:
        state = meter_state_of(row)
        state.flag(anomalies.NO_STOP_RECEIVED)
        await _finish(session, row, state, state.meter_last_wh, max(at, row.started_at), reason, None)
    return len(rows)


async def _last_known_register(session: AsyncSession, charger: ChargerRef, connector: int) -> int:
    value = await session.scalar(
        select(func.max(ChargingSession.meter_last_wh)).where(
            ChargingSession.charge_point_id == charger.charge_point_id,
            ChargingSession.connector_number == connector,
        )
    )
    return int(value or 0)


def meter_state_of(row: ChargingSession) -> MeterState:
    return MeterState(
        row.id,
        row.meter_start_wh,
        row.meter_last_wh,
        row.segment_start_wh,
        row.energy_carried_wh,
        list(row.anomalies or []),
    )


async def _finish(
    session: AsyncSession,
    row: ChargingSession,
    state: MeterState,
    meter_stop_wh: int,
    stopped_at: datetime,
    reason: str | None,
    stop_id_tag: str | None,
) -> None:
    energy = state.finish(meter_stop_wh)
    row.state = SessionState.stopped
    row.stopped_at = stopped_at
    row.stop_reason = reason
    row.stop_id_tag = stop_id_tag
    row.meter_stop_wh = meter_stop_wh
    row.meter_last_wh = state.meter_last_wh
    row.segment_start_wh = state.segment_start_wh
    row.energy_carried_wh = state.energy_carried_wh
    row.energy_wh = energy
    row.anomalies = list(state.anomalies)
    await session.flush()
    await price_finished_session(session, row)


async def stop_session(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    transaction_id: int,
    meter_stop_wh: int,
    stopped_at: datetime,
    reason: str | None,
    id_tag: str | None,
    readings: list[Reading],
    payload: dict[str, Any],
) -> StopResult:
    async with unit_of_work(session):
        decision = None
        if id_tag:
            decision = await decide_access(
                session,
                charger.organization_id,
                charger.site_id,
                id_tag,
                stopped_at,
                charge_point_id=charger.charge_point_id,
            )
        row = await session.get(ChargingSession, transaction_id) if transaction_id > 0 else None
        if row is None or row.charge_point_id != charger.charge_point_id:
            # Another charger's transaction is treated exactly like an unknown one: it is not touched.
            park_orphan(session, charger, "StopTransaction", transaction_id, "unknown transaction", payload)
            return StopResult("orphan", decision, None)
        if row.state == SessionState.stopped:
            if row.meter_stop_wh != meter_stop_wh or row.stopped_at != stopped_at:
                flags = list(row.anomalies or [])
                if anomalies.CONFLICTING_DUPLICATE_STOP not in flags:
                    row.anomalies = [*flags, anomalies.CONFLICTING_DUPLICATE_STOP]
            return StopResult("duplicate", decision, row.id)
        state = meter_state_of(row)
        if readings:
            # transactionData repeats what the start and MeterValues already brought (a Transaction.Begin
            # sample at least); only readings after those move the meter, else an old register value
            # would look like a meter reset.
            latest = await session.scalar(
                select(func.max(MeterReading.taken_at)).where(
                    MeterReading.session_id == row.id, MeterReading.energy_wh.is_not(None)
                )
            )
            await store_readings(session, charger, row.connector_number, row.id, readings)
            after = max(latest, row.started_at) if latest is not None else row.started_at
            for reading in readings:
                if reading.taken_at > after:
                    state.observe(reading)
        await _finish(session, row, state, meter_stop_wh, stopped_at, reason, id_tag)
    return StopResult("stopped", decision, row.id)


async def store_readings(
    session: AsyncSession, charger: ChargerRef, connector: int, session_id: int | None, readings: list[Reading]
) -> None:
    """Insert readings in the caller's transaction (a Core executemany: no ORM objects)."""
    if readings:
        rows = [reading_row(charger.charge_point_id, connector, session_id, r) for r in readings]
        await session.execute(insert(MeterReading), rows)


def reading_row(charge_point_id: uuid.UUID, connector: int, session_id: int | None, r: Reading) -> dict[str, Any]:
    return {
        "charge_point_id": charge_point_id,
        "connector_number": connector,
        "session_id": session_id,
        "taken_at": r.taken_at,
        "energy_wh": r.energy_wh,
        "samples": r.samples,
    }


def park_orphan(
    session: AsyncSession,
    charger: ChargerRef,
    action: str,
    transaction_id: int | None,
    reason: str,
    payload: dict[str, Any],
) -> None:
    session.add(
        OrphanMessage(
            charge_point_id=charger.charge_point_id,
            action=action,
            transaction_id=transaction_id,
            reason=reason,
            payload=payload,
            received_at=utcnow(),
        )
    )


async def record_orphan(
    session: AsyncSession,
    charger: ChargerRef,
    action: str,
    transaction_id: int | None,
    reason: str,
    payload: dict[str, Any],
) -> None:
    async with unit_of_work(session):
        park_orphan(session, charger, action, transaction_id, reason, payload)


async def store_late_readings(
    session: AsyncSession, charger: ChargerRef, transaction_id: int, connector: int, readings: list[Reading]
) -> bool:
    """MeterValues of this charger's transaction that arrive after it stopped (a charger emptying its
    offline queue out of order). The samples are stored with the session, whose energy stays what the
    stop reported, and its `updated_at` moves so the reports split its energy across hours and days by
    them. False when the transaction is not a stopped one of this charger (the caller parks the message)."""
    async with unit_of_work(session):
        row = await session.get(ChargingSession, transaction_id) if transaction_id > 0 else None
        if row is None or row.charge_point_id != charger.charge_point_id or row.state != SessionState.stopped:
            return False
        await store_readings(session, charger, connector, row.id, readings)
        row.updated_at = utcnow()
    return True


async def load_meter_state(session: AsyncSession, charger: ChargerRef, transaction_id: int) -> MeterState | None:
    """The running meter accounting of this charger's active transaction, or None if it has none such."""
    row = await session.get(ChargingSession, transaction_id) if transaction_id > 0 else None
    if row is None or row.charge_point_id != charger.charge_point_id or row.state != SessionState.active:
        return None
    return meter_state_of(row)
