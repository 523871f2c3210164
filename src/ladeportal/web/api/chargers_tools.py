"""A charger's tools (org admins): new password, firmware update, diagnostics upload and their latest
status, remote start for a member and remote stop of a session, live power."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ladeportal.chargers import commands, maintenance, remote, services
from ladeportal.chargers.power import live_power
from ladeportal.web.api.chargers_commands import CommandOut
from ladeportal.web.deps import OrgAdmin, OrgStaff, SessionDep

router = APIRouter(tags=["charger tools"])
_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "Charger not connected"},
    504: {"description": "No answer in time"},
}


class FirmwareIn(BaseModel):
    location: str = Field(max_length=512)
    retrieve_at: datetime


class DiagnosticsIn(BaseModel):
    location: str = Field(max_length=512)


class RemoteStartIn(BaseModel):
    connector: int
    membership_id: uuid.UUID


class RemoteStopIn(BaseModel):
    transaction_id: int


class PasswordOut(BaseModel):
    password: str


class LatestStatusOut(BaseModel):
    status: str | None
    received_at: datetime


class PowerOut(BaseModel):
    power_w: int


def _out(result: commands.CommandResult) -> dict[str, Any]:
    return {
        "command_id": result.command_id,
        "action": result.action,
        "state": result.state.value,
        "response": result.response,
        "error_code": result.error_code,
        "error_description": result.error_description,
    }


async def _answer(call: Awaitable[commands.CommandResult]) -> Any:
    try:
        return _out(await call)
    except commands.ChargerNotConnected as exc:
        return JSONResponse({"error": exc.kind, "message": exc.message, **_out(exc.result)}, status_code=409)
    except commands.CommandTimedOut as exc:
        return JSONResponse({"error": exc.kind, "message": exc.message, **_out(exc.result)}, status_code=504)


@router.post("/orgs/{org_id}/chargers/{charger_id}/password", response_model=PasswordOut)
async def new_password(org_id: uuid.UUID, charger_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> Any:
    """A new OCPP password, returned this once; the old one is refused from the next connection on."""
    password = await services.rotate_credential(session, who.actor, who.organization_id, charger_id)
    return JSONResponse({"password": password}, headers={"Cache-Control": "no-store"})


@router.post("/orgs/{org_id}/chargers/{charger_id}/firmware", response_model=CommandOut, responses=_RESPONSES)
async def update_firmware(
    org_id: uuid.UUID, charger_id: uuid.UUID, body: FirmwareIn, session: SessionDep, who: OrgAdmin
) -> Any:
    return await _answer(
        maintenance.update_firmware(
            session, who.actor, who.organization_id, charger_id, body.location, body.retrieve_at
        )
    )


@router.post("/orgs/{org_id}/chargers/{charger_id}/diagnostics", response_model=CommandOut, responses=_RESPONSES)
async def get_diagnostics(
    org_id: uuid.UUID, charger_id: uuid.UUID, body: DiagnosticsIn, session: SessionDep, who: OrgAdmin
) -> Any:
    return await _answer(
        maintenance.request_diagnostics(session, who.actor, who.organization_id, charger_id, body.location)
    )


@router.get("/orgs/{org_id}/chargers/{charger_id}/maintenance", response_model=dict[str, LatestStatusOut])
async def maintenance_status(
    org_id: uuid.UUID, charger_id: uuid.UUID, session: SessionDep, who: OrgStaff
) -> dict[str, Any]:
    """The latest firmware and diagnostics status the charger reported ("firmware", "diagnostics")."""
    latest = await maintenance.latest_statuses(session, who.organization_id, charger_id)
    return {kind: {"status": s.status, "received_at": s.received_at} for kind, s in latest.items()}


@router.post("/orgs/{org_id}/chargers/{charger_id}/remote-start", response_model=CommandOut, responses=_RESPONSES)
async def remote_start(
    org_id: uuid.UUID, charger_id: uuid.UUID, body: RemoteStartIn, session: SessionDep, who: OrgAdmin
) -> Any:
    return await _answer(
        remote.remote_start(session, who.actor, who.organization_id, charger_id, body.connector, body.membership_id)
    )


@router.post("/orgs/{org_id}/chargers/{charger_id}/remote-stop", response_model=CommandOut, responses=_RESPONSES)
async def remote_stop(
    org_id: uuid.UUID, charger_id: uuid.UUID, body: RemoteStopIn, session: SessionDep, who: OrgAdmin
) -> Any:
    return await _answer(remote.remote_stop(session, who.actor, who.organization_id, charger_id, body.transaction_id))


@router.get("/orgs/{org_id}/chargers/{charger_id}/power", response_model=PowerOut)
async def charger_power(org_id: uuid.UUID, charger_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> dict[str, int]:
    cp = await services.get_charge_point(session, who.organization_id, charger_id)
    power = await live_power(session, who.organization_id, charge_point_ids=[cp.id])
    return {"power_w": power.charger(cp.id)}
