"""Charge points of an organisation: list, read, commission, activate, retire."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from ladeportal.chargers import services
from ladeportal.chargers.models import ChargePoint
from ladeportal.web.api.schemas import ChargePointIn, ChargePointOut, ChargePointSettingsIn, NewChargePointOut
from ladeportal.web.deps import OrgAdmin, OrgStaff, SessionDep

router = APIRouter(tags=["chargers"])


@router.get("/orgs/{org_id}/chargers", response_model=list[ChargePointOut])
async def list_chargers(
    org_id: uuid.UUID, session: SessionDep, who: OrgStaff, site_id: uuid.UUID | None = None
) -> list[ChargePoint]:
    return await services.list_charge_points(session, who.organization_id, site_id)


@router.post("/orgs/{org_id}/chargers", response_model=NewChargePointOut, status_code=201)
async def add_charger(
    org_id: uuid.UUID, body: ChargePointIn, request: Request, session: SessionDep, who: OrgAdmin
) -> dict[str, object]:
    new = await services.add_charge_point(
        session,
        who.actor,
        who.organization_id,
        body.site_id,
        body.ocpp_id,
        name=body.name,
        connectors=body.connectors,
        max_power_w=body.max_power_w,
    )
    cp = await services.get_charge_point(session, who.organization_id, new.charge_point.id)
    return {
        "charge_point": ChargePointOut.model_validate(cp),
        "ocpp_url": services.ocpp_url(request.app.state.settings.public_url, cp.ocpp_id),
        "password": new.password,
    }


@router.get("/orgs/{org_id}/chargers/{charger_id}", response_model=ChargePointOut)
async def get_charger(org_id: uuid.UUID, charger_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> ChargePoint:
    return await services.get_charge_point(session, who.organization_id, charger_id)


@router.patch("/orgs/{org_id}/chargers/{charger_id}", response_model=ChargePointOut)
async def update_charger(
    org_id: uuid.UUID, charger_id: uuid.UUID, body: ChargePointSettingsIn, session: SessionDep, who: OrgAdmin
) -> ChargePoint:
    if "fallback_subprotocol" in body.model_fields_set:
        await services.set_fallback_subprotocol(
            session, who.actor, who.organization_id, charger_id, body.fallback_subprotocol
        )
    if "name" in body.model_fields_set:
        await services.rename_charge_point(session, who.actor, who.organization_id, charger_id, body.name)
    if body.site_id is not None:
        await services.move_charge_point(session, who.actor, who.organization_id, charger_id, body.site_id)
    return await services.get_charge_point(session, who.organization_id, charger_id)


@router.post("/orgs/{org_id}/chargers/{charger_id}/activate", response_model=ChargePointOut)
async def activate(org_id: uuid.UUID, charger_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> ChargePoint:
    await services.activate_charge_point(session, who.actor, who.organization_id, charger_id)
    return await services.get_charge_point(session, who.organization_id, charger_id)


@router.post("/orgs/{org_id}/chargers/{charger_id}/retire", response_model=ChargePointOut)
async def retire(org_id: uuid.UUID, charger_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> ChargePoint:
    await services.retire_charge_point(session, who.actor, who.organization_id, charger_id)
    return await services.get_charge_point(session, who.organization_id, charger_id)
