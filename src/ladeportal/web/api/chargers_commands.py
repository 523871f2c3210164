"""OCPP commands to an organisation's chargers (org admins only) and the command log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ladeportal.chargers import commands
from ladeportal.limits import MAX_PAGE_SIZE
from ladeportal.web.deps import OrgAdmin, SessionDep

router = APIRouter(tags=["charger commands"])


class CommandOut(BaseModel):
    command_id: int
    action: str
    state: str
    response: dict[str, Any] | None
    error_code: str | None
    error_description: str | None


class CommandLogOut(BaseModel):
    id: int
    action: str
    payload: dict[str, Any]
    state: str
    response: dict[str, Any] | None
    error_code: str | None
    actor_label: str
    created_at: datetime
    finished_at: datetime | None


def _out(result: commands.CommandResult) -> dict[str, Any]:
    return {
        "command_id": result.command_id,
        "action": result.action,
        "state": result.state.value,
        "response": result.response,
        "error_code": result.error_code,
        "error_description": result.error_description,
    }


@router.post(
    "/orgs/{org_id}/chargers/{charger_id}/commands/{name}",
    response_model=CommandOut,
    responses={409: {"description": "Charger not connected"}, 504: {"description": "No answer in time"}},
)
async def send_command(
    org_id: uuid.UUID,
    charger_id: uuid.UUID,
    name: str,
    session: SessionDep,
    who: OrgAdmin,
    payload: dict[str, Any] | None = Body(default=None),
) -> Any:
    """Send an OCPP command (the body is its request payload; SendLocalList without a body pushes the
    organisation's tags) and answer with the charger's response."""
    try:
        result = await commands.send_command(session, who.actor, who.organization_id, charger_id, name, payload)
    except commands.ChargerNotConnected as exc:
        return JSONResponse({"error": exc.kind, "message": exc.message, **_out(exc.result)}, status_code=409)
    except commands.CommandTimedOut as exc:
        return JSONResponse({"error": exc.kind, "message": exc.message, **_out(exc.result)}, status_code=504)
    return _out(result)


@router.get("/orgs/{org_id}/chargers/{charger_id}/commands", response_model=list[CommandLogOut])
async def command_log(
    org_id: uuid.UUID,
    charger_id: uuid.UUID,
    session: SessionDep,
    who: OrgAdmin,
    limit: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
) -> list[dict[str, Any]]:
    rows = await commands.list_commands(session, who.organization_id, charger_id, limit)
    return [
        {
            "id": r.id,
            "action": r.action,
            "payload": r.payload,
            "state": r.state.value,
            "response": r.response,
            "error_code": r.error_code,
            "actor_label": r.actor_label,
            "created_at": r.created_at,
            "finished_at": r.finished_at,
        }
        for r in rows
    ]
