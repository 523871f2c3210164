"""What a charger reports about itself: boot details, connector status (kept as history), liveness,
firmware/diagnostics/data-transfer notifications, and tags nobody knows.

Core statements rather than ORM loads: a reconnect storm of 10,000 chargers sends 30,000 of these
messages in a minute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.history_models import ChargerNotification, ConnectorStatusEvent, UnknownTagSighting
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work

_charge_points = cast(Table, ChargePoint.__table__)
_LAST_SEEN = (
    update(_charge_points)
    .where(_charge_points.c.id == bindparam("b_id"))
    .values(last_seen_at=bindparam("b_seen"))
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
            update(ChargePoint).where(ChargePoint.id == charge_point_id)
            .values(vendor=info.vendor, model=info.model, serial_number=info.serial_number,
                    firmware_version=info.firmware_version, ocpp_protocol=info.protocol,
                    last_boot_at=now, last_seen_at=now, updated_at=now)
            .returning(ChargePoint.commissioning_state)
            .execution_options(synchronize_session=False)
        )
    return CommissioningState(state) if state is not None else CommissioningState.retired


async def record_status(
    session: AsyncSession, charge_point_id: uuid.UUID, connector: int, status: str, error_code: str, *,
    info: str | None = None, vendor_error_code: str | None = None, reported_at: datetime | None = None,
) -> None:
    now = utcnow()
    async with unit_of_work(session):
        await session.execute(insert(cast(Table, ConnectorStatusEvent.__table__)).values(
            charge_point_id=charge_point_id, connector_number=connector, status=status, error_code=error_code,
            info=info, vendor_error_code=vendor_error_code, reported_at=reported_at or now, received_at=now,
        ))
        if connector > 0:
            # Late (queued) notifications must not overwrite a newer status.
            table = cast(Table, Connector.__table__)
            await session.execute(
                update(table)
                .where(table.c.charge_point_id == charge_point_id, table.c.number == connector,
                       (table.c.status_changed_at.is_(None)) | (table.c.status_changed_at <= (reported_at or now)))
                .values(status=status, error_code=None if error_code == "NoError" else error_code,
                        status_changed_at=reported_at or now, updated_at=now)
            )


async def record_notification(session: AsyncSession, charge_point_id: uuid.UUID, kind: str,
                              status: str | None, data: dict[str, Any] | None = None) -> None:
    async with unit_of_work(session):
        await session.execute(insert(cast(Table, ChargerNotification.__table__)).values(
            charge_point_id=charge_point_id, kind=kind, status=status, data=data, received_at=utcnow()))


async def record_unknown_tag(session: AsyncSession, charge_point_id: uuid.UUID, uid: str) -> None:
    """Count a sighting of a tag no organisation has, so an admin can claim it from the list."""
    now = utcnow()
    table = cast(Table, UnknownTagSighting.__table__)
    async with unit_of_work(session):
        result = await session.execute(
            update(table).where(table.c.charge_point_id == charge_point_id, table.c.uid == uid)
            .values(last_seen_at=now, seen_count=table.c.seen_count + 1)
        )
        if not getattr(result, "rowcount", 0):
            await session.execute(insert(table).values(
                charge_point_id=charge_point_id, uid=uid, first_seen_at=now, last_seen_at=now, seen_count=1))


async def record_last_seen(session: AsyncSession, seen: dict[uuid.UUID, datetime]) -> None:
    """Liveness of many chargers in one statement; the gateway collects it in memory between calls."""
    if not seen:
        return
    async with unit_of_work(session):
        await session.execute(_LAST_SEEN.execution_options(synchronize_session=False),
                              [{"b_id": k, "b_seen": v} for k, v in seen.items()])
