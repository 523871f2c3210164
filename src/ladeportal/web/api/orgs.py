"""Organisations (operators create them; members read their own) and sites."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from ladeportal.orgs import services
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor
from ladeportal.web.api.schemas import OrganizationIn, OrganizationOut, SiteIn, SiteOut
from ladeportal.web.deps import Identity, OrgAdmin, OrgStaff, SessionDep, operator_identity

router = APIRouter(tags=["organisations"])
OperatorDep = Annotated[Identity, Depends(operator_identity)]


@router.get("/orgs", response_model=list[OrganizationOut], summary="Organisations (platform staff)")
async def list_orgs(session: SessionDep, _: OperatorDep) -> list[Organization]:
    return list((await session.scalars(select(Organization).order_by(Organization.legal_name))).all())


@router.post(
    "/orgs", response_model=OrganizationOut, status_code=201, summary="Create an organisation (platform staff)"
)
async def create_org(body: OrganizationIn, session: SessionDep, identity: OperatorDep) -> Organization:
    actor = Actor(label=identity.label, user_id=identity.user_id, is_operator=True)
    return await services.create_organization(session, actor, services.OrganizationInput(**body.model_dump()))


@router.get("/orgs/{org_id}", response_model=OrganizationOut)
async def get_org(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> Organization:
    return await services.get_organization(session, who.organization_id)


@router.put("/orgs/{org_id}", response_model=OrganizationOut)
async def update_org(org_id: uuid.UUID, body: OrganizationIn, session: SessionDep, who: OrgAdmin) -> Organization:
    return await services.update_organization(
        session, who.actor, who.organization_id, services.OrganizationInput(**body.model_dump())
    )


@router.get("/orgs/{org_id}/sites", response_model=list[SiteOut], tags=["sites"])
async def list_sites(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> list[object]:
    return list(await services.list_sites(session, who.organization_id))


@router.post("/orgs/{org_id}/sites", response_model=SiteOut, status_code=201, tags=["sites"])
async def create_site(org_id: uuid.UUID, body: SiteIn, session: SessionDep, who: OrgAdmin) -> object:
    return await services.create_site(session, who.actor, who.organization_id, services.SiteInput(**body.model_dump()))


@router.get("/orgs/{org_id}/sites/{site_id}", response_model=SiteOut, tags=["sites"])
async def get_site(org_id: uuid.UUID, site_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> object:
    return await services.get_site(session, who.organization_id, site_id)


@router.put("/orgs/{org_id}/sites/{site_id}", response_model=SiteOut, tags=["sites"])
async def update_site(
    org_id: uuid.UUID, site_id: uuid.UUID, body: SiteIn, session: SessionDep, who: OrgAdmin
) -> object:
    return await services.update_site(
        session, who.actor, who.organization_id, site_id, services.SiteInput(**body.model_dump())
    )
