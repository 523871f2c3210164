"""Rows as the OCPP gateway writes them (charger state, sessions, history, orphans), for the portal's
read-side tests: the pages must show what is in those tables, whoever wrote it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.orgs.models import Site
from ladeportal.sessions.models import ChargingSession, OrphanMessage, SessionState
from tests.factories import make_charger

TESTID = r'data-testid="{}"[^>]*>\s*([^<]*?)\s*<'


def by_testid(html: str, testid: str) -> str:
    """The text of the (first) element with this data-testid."""
    found = re.search(TESTID.format(re.escape(testid)), html)
    assert found, f"no element with data-testid={testid}"
    return found.group(1)


def all_by_testid(html: str, testid: str) -> list[str]:
    return re.findall(TESTID.format(re.escape(testid)), html)


async def charger(
    session: AsyncSession,
    site: Site,
    ocpp_id: str,
    *,
    seen: datetime | None,
    statuses: tuple[str, ...] = ("Available", "Available"),
    active: bool = True,
    name: str | None = None,
) -> uuid.UUID:
    cp = (await make_charger(session, site, ocpp_id, active=active, connectors=len(statuses))).charge_point
    await session.execute(update(ChargePoint).where(ChargePoint.id == cp.id).values(last_seen_at=seen, name=name))
    for number, status in enumerate(statuses, start=1):
        await session.execute(
            update(Connector)
            .where(Connector.charge_point_id == cp.id, Connector.number == number)
            .values(status=status, status_changed_at=seen)
        )
    await session.commit()
    return cp.id


async def charging_session(
    session: AsyncSession,
    site: Site,
    cp_id: uuid.UUID,
    started: datetime,
    *,
    energy_wh: int | None = None,
    running_wh: int = 0,
    connector: int = 1,
    anomalies: list[str] | None = None,
    cost_minor: int | None = None,
    currency: str | None = None,
    id_tag: str = "04A1B2C3",
) -> int:
    stopped = energy_wh is not None
    values: dict[str, Any] = {
        "organization_id": site.organization_id,
        "site_id": site.id,
        "charge_point_id": cp_id,
        "connector_number": connector,
        "id_tag": id_tag,
        "auth_status": "Accepted",
        "state": SessionState.stopped if stopped else SessionState.active,
        "started_at": started,
        "stopped_at": started.replace(minute=59) if stopped else None,
        "meter_start_wh": 10_000,
        "meter_stop_wh": 10_000 + energy_wh if energy_wh is not None else None,
        "meter_last_wh": 10_000 + (energy_wh if energy_wh is not None else running_wh),
        "segment_start_wh": 10_000,
        "energy_carried_wh": 0,
        "energy_wh": energy_wh,
        "anomalies": anomalies or [],
        "cost_total_minor": cost_minor,
        "currency": currency,
    }
    row = ChargingSession(**values)
    session.add(row)
    await session.commit()
    return row.id


async def orphan(session: AsyncSession, cp_id: uuid.UUID, *, resolved: datetime | None = None) -> None:
    session.add(
        OrphanMessage(
            charge_point_id=cp_id,
            action="StopTransaction",
            transaction_id=4711,
            reason="unknown_transaction",
            payload={"transactionId": 4711},
            resolved_at=resolved,
        )
    )
    await session.commit()
