"""OCPP 1.6 handlers for authorisation and transactions; each translates and calls the sessions area.

Never a CALLERROR for a business reason (unknown or blocked tag, odd meter, unknown transaction): the
charger would retry and then drop the message, and with it the energy to bill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ladeportal.chargers.status import record_unknown_tag
from ladeportal.db.base import utcnow
from ladeportal.members.access import AccessDecision, decide_access
from ladeportal.members.rfid import normalise_uid
from ladeportal.ocpp.clock import iso
from ladeportal.sessions.meter import parse_meter_values, parse_timestamp
from ladeportal.sessions.services import (
    load_meter_state,
    reading_row,
    record_orphan,
    start_session,
    stop_session,
    store_late_readings,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from ladeportal.ocpp.connection import ChargerConnection
    from ladeportal.ocpp.versions import Payload


def id_tag_info(decision: AccessDecision) -> dict[str, Any]:
    info: dict[str, Any] = {"status": decision.status.value}
    if decision.expires_at is not None:
        info["expiryDate"] = iso(decision.expires_at)
    return info


async def _note_unknown(session: AsyncSession, conn: ChargerConnection, id_tag: str, d: AccessDecision) -> None:
    if d.tag_id is None and d.reason == "unknown tag":
        try:
            uid = normalise_uid(id_tag)
        except Exception:
            uid = id_tag
        await record_unknown_tag(session, conn.identity.charge_point_id, uid)


async def authorize(conn: ChargerConnection, p: Payload) -> Payload:
    ident = conn.identity
    async with conn.gateway.db.session() as session:
        decision = await decide_access(
            session,
            ident.organization_id,
            ident.site_id,
            p["idTag"],
            utcnow(),
            charge_point_id=ident.charge_point_id,
        )
        await _note_unknown(session, conn, p["idTag"], decision)
    return {"idTagInfo": id_tag_info(decision)}


async def start_transaction(conn: ChargerConnection, p: Payload) -> Payload:
    async with conn.gateway.db.session() as session:
        result = await start_session(
            session,
            conn.identity.ref,
            connector=p["connectorId"],
            id_tag=p["idTag"],
            meter_start_wh=p["meterStart"],
            started_at=parse_timestamp(p["timestamp"]),
            reservation_id=p.get("reservationId"),
        )
        if not result.duplicate:
            await _note_unknown(session, conn, p["idTag"], result.decision)
    return {"transactionId": result.transaction_id, "idTagInfo": id_tag_info(result.decision)}


async def stop_transaction(conn: ChargerConnection, p: Payload) -> Payload:
    transaction_id = p["transactionId"]
    if conn.transactions is not None:
        conn.transactions.pop(transaction_id, None)
    async with conn.gateway.db.session() as session:
        result = await stop_session(
            session,
            conn.identity.ref,
            transaction_id=transaction_id,
            meter_stop_wh=p["meterStop"],
            stopped_at=parse_timestamp(p["timestamp"]),
            reason=p.get("reason"),
            id_tag=p.get("idTag"),
            readings=parse_meter_values(p.get("transactionData") or []),
            payload=dict(p),
        )
    return {"idTagInfo": id_tag_info(result.decision)} if result.decision is not None else {}


async def meter_values(conn: ChargerConnection, p: Payload) -> Payload:
    readings = parse_meter_values(p["meterValue"])
    await conn.check_connector("MeterValues", p["connectorId"], p)
    transaction_id = p.get("transactionId")
    state = None
    if transaction_id is not None:
        if conn.transactions is None:
            conn.transactions = {}
        state = conn.transactions.get(transaction_id)
        if state is None:
            async with conn.gateway.db.session() as session:
                state = await load_meter_state(session, conn.identity.ref, transaction_id)
                if state is None:
                    if await store_late_readings(
                        session, conn.identity.ref, transaction_id, p["connectorId"], readings
                    ):
                        return {}
                    await record_orphan(
                        session,
                        conn.identity.ref,
                        "MeterValues",
                        transaction_id,
                        "no active transaction of this charger",
                        dict(p),
                    )
                    return {}
            conn.transactions[transaction_id] = state
        for reading in readings:
            state.observe(reading)
    cp_id, connector = conn.identity.charge_point_id, p["connectorId"]
    rows = [reading_row(cp_id, connector, transaction_id if state else None, r) for r in readings]
    try:
        await conn.gateway.meter_writer.record(rows, state)
    except BaseException:
        # The in-memory state ran ahead of the database; reload it on the next message.
        if transaction_id is not None and conn.transactions is not None:
            conn.transactions.pop(transaction_id, None)
        raise
    return {}
