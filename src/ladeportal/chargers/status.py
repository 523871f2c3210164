"""What a charger reports about itself: boot details, connector status (kept as history), liveness,
firmware/diagnostics/data-transfer notifications, and tags nobody knows.

Core statements rather than ORM loads: a reconnect storm of 10,000 chargers sends 30,000 of these
messages in a minute. Boot and status come in two forms: one report in the caller's session
(`record_boot`, `record_status`), and many reports of many chargers in one transaction
(`write_boot_batch`, `write_status_batch`, for the gateway's group commit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ladeportal.chargers.history_models import ChargerNotification, ConnectorStatusEvent, UnknownTagSighting
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work

_charge_points = cast(Table, ChargePoint.__table__)
_connectors = cast(Table, Connector.__table__)
_status_events = cast(Table, ConnectorStatusEvent.__table__)
_LAST_SEEN = (
    update(_charge_points).where(_charge_points.c.id == bindparam("b_id")).values(last_seen_at=bindparam("b_seen"))
)


@dataclass(frozen=True)
class BootInfo:
    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str | None
    protocol: str


async def record_boot(session: AsyncSession, charge_point_id: uuid.UUID, info: BootInfo) -> CommissioningState:
    """Store what the charger says it is; returns its commissioning state (read fresh: an admin may
    have activated it since it connected)."""
    now = utcnow()
    async with unit_of_work(session):
        state = await session.scalar(
            update(ChargePoint)
            .where(ChargePoint.id == charge_point_id)
            .values(
                vendor=info.vendor,
                model=info.model,
                serial_number=info.serial_number,
                firmware_version=info.firmware_version,
                ocpp_protocol=info.protocol,
                last_boot_at=now,
                last_seen_at=now,
                updated_at=now,
            )
            .returning(ChargePoint.commissioning_state)
            .execution_options(synchronize_session=False)
        )
    return CommissioningState(state) if state is not None else CommissioningState.retired


# Multi-row forms of record_boot / record_status, built once (the hot path only binds values).
_BOOT = (
    update(_charge_points)
    .where(_charge_points.c.id == bindparam("b_id"))
    .values(
        vendor=bindparam("b_vendor"),
        model=bindparam("b_model"),
        serial_number=bindparam("b_serial"),
        firmware_version=bindparam("b_firmware"),
        ocpp_protocol=bindparam("b_protocol"),
        last_boot_at=bindparam("b_now"),
        last_seen_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
    )
)
_STATUS_EVENT = insert(_status_events)
# Late (queued) notifications must not overwrite a newer status.
_CONNECTOR_STATUS = (
    update(_connectors)
    .where(
        _connectors.c.charge_point_id == bindparam("b_cp"),
        _connectors.c.number == bindparam("b_number"),
        or_(_connectors.c.status_changed_at.is_(None), _connectors.c.status_changed_at <= bindparam("b_at")),
    )
    .values(
        status=bindparam("b_status"),
        error_code=bindparam("b_error"),
        status_changed_at=bindparam("b_at"),
        updated_at=bindparam("b_now"),
    )
)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One StatusNotification, as `record_status` takes it; `received_at` is when it arrived."""

    charge_point_id: uuid.UUID
    connector: int
    status: str
    error_code: str
    info: str | None
    vendor_error_code: str | None
    reported_at: datetime | None
    received_at: datetime


async def write_boot_batch(
    conn: AsyncConnection,
    items: list[tuple[uuid.UUID, BootInfo, datetime]],
) -> list[CommissioningState]:
    """record_boot for many chargers in the caller's transaction; one state per item, in order."""
    await conn.execute(
        _BOOT,
        [
            {
                "b_id": cp_id,
                "b_vendor": info.vendor,
                "b_model": info.model,
                "b_serial": info.serial_number,
                "b_firmware": info.firmware_version,
                "b_protocol": info.protocol,
                "b_now": at,
            }
            for cp_id, info, at in items
        ],
    )
    # Read in the same transaction, after the update: as fresh as record_boot's RETURNING.
    states: dict[uuid.UUID, Any] = {}
    ids = list({cp_id for cp_id, _, _ in items})
    for start in range(0, len(ids), 500):  # bounded IN lists
        rows = await conn.execute(
            select(_charge_points.c.id, _charge_points.c.commissioning_state).where(
                _charge_points.c.id.in_(ids[start : start + 500])
            )
        )
        states.update({row.id: row.commissioning_state for row in rows})
    return [
        CommissioningState(states[cp_id]) if states.get(cp_id) is not None else CommissioningState.retired
        for cp_id, _, _ in items
    ]


async def write_status_batch(conn: AsyncConnection, items: list[StatusReport]) -> list[None]:
    """record_status for many reports in the caller's transaction."""
    await conn.execute(
        _STATUS_EVENT,
        [
            {
                "charge_point_id": r.charge_point_id,
                "connector_number": r.connector,
                "status": r.status,
                "error_code": r.error_code,
                "info": r.info,
                "vendor_error_code": r.vendor_error_code,
                "reported_at": r.reported_at or r.received_at,
                "received_at": r.received_at,
            }
            for r in items
        ],
    )
    connectors = [
        {
            "b_cp": r.charge_point_id,
            "b_number": r.connector,
            "b_status": r.status,
            "b_error": None if r.error_code == "NoError" else r.error_code,
            "b_at": r.reported_at or r.received_at,
            "b_now": r.received_at,
        }
        for r in items
        if r.connector > 0
    ]
    if connectors:
        await conn.execute(_CONNECTOR_STATUS, connectors)
    return [None] * len(items)


async def record_status(
    session: AsyncSession,
    charge_point_id: uuid.UUID,
    connector: int,
    status: str,
    error_code: str,
    *,
    info: str | None = None,
    vendor_error_code: str | None = None,
    reported_at: datetime | None = None,
) -> None:
    now = utcnow()
    async with unit_of_work(session):
        await session.execute(
            insert(cast(Table, ConnectorStatusEvent.__table__)).values(
                charge_point_id=charge_point_id,
                connector_number=connector,
                status=status,
                error_code=error_code,
                info=info,
                vendor_error_code=vendor_error_code,
                reported_at=reported_at or now,
                received_at=now,
            )
        )
        if connector > 0:
            # Late (queued) notifications must not overwrite a newer status.
            table = cast(Table, Connector.__table__)
            await session.execute(
                update(table)
                .where(
                    table.c.charge_point_id == charge_point_id,
                    table.c.number == connector,
                    (table.c.status_changed_at.is_(None)) | (table.c.status_changed_at <= (reported_at or now)),
                )
                .values(
                    status=status,
                    error_code=None if error_code == "NoError" else error_code,
                    status_changed_at=reported_at or now,
                    updated_at=now,
                )
            )


async def record_notification(
    session: AsyncSession, charge_point_id: uuid.UUID, kind: str, status: str | None, data: dict[str, Any] | None = None
) -> None:
    async with unit_of_work(session):
        await session.execute(
            insert(cast(Table, ChargerNotification.__table__)).values(
                charge_point_id=charge_point_id, kind=kind, status=status, data=data, received_at=utcnow()
            )
        )


async def record_unknown_tag(session: AsyncSession, charge_point_id: uuid.UUID, uid: str) -> None:
    """Count a sighting of a tag no organisation has, so an admin can claim it from the list."""
    now = utcnow()
    table = cast(Table, UnknownTagSighting.__table__)
    async with unit_of_work(session):
        result = await session.execute(
            update(table)
            .where(table.c.charge_point_id == charge_point_id, table.c.uid == uid)
            .values(last_seen_at=now, seen_count=table.c.seen_count + 1)
        )
        if not getattr(result, "rowcount", 0):
            await session.execute(
                insert(table).values(
                    charge_point_id=charge_point_id, uid=uid, first_seen_at=now, last_seen_at=now, seen_count=1
                )
            )


async def record_last_seen(session: AsyncSession, seen: dict[uuid.UUID, datetime]) -> None:
    """Liveness of many chargers in one statement; the gateway collects it in memory between calls."""
    if not seen:
        return
    async with unit_of_work(session):
        await session.execute(
            _LAST_SEEN.execution_options(synchronize_session=False), [{"b_id": k, "b_seen": v} for k, v in seen.items()]
        )
