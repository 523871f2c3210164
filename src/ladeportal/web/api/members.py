"""Members, groups and RFID tags of an organisation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from ladeportal.members import groups, services, tags
from ladeportal.members.models import Membership, TagState
from ladeportal.web.api.schemas import GroupIn, GroupOut, MemberIn, MemberOut, TagIn, TagOut
from ladeportal.web.deps import OrgAdmin, OrgStaff, SessionDep

router = APIRouter(tags=["members"])


def _member_out(m: Membership) -> MemberOut:
    return MemberOut(
        id=m.id, user_id=m.user_id, phone=m.user.phone, name=m.user.name, email=m.user.email,
        role=m.role.value, state=m.state.value, group_id=m.group_id, parking_spot=m.parking_spot,
    )


@router.get("/orgs/{org_id}/members", response_model=list[MemberOut])
async def list_members(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> list[MemberOut]:
    return [_member_out(m) for m in await services.list_members(session, who.organization_id)]


@router.post("/orgs/{org_id}/members", response_model=MemberOut, status_code=201)
async def add_member(org_id: uuid.UUID, body: MemberIn, session: SessionDep, who: OrgAdmin) -> MemberOut:
    m = await services.add_member(session, who.actor, who.organization_id, services.MemberInput(**body.model_dump()))
    return _member_out(await services.get_membership(session, who.organization_id, m.id))


@router.get("/orgs/{org_id}/members/{member_id}", response_model=MemberOut)
async def get_member(org_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> MemberOut:
    return _member_out(await services.get_membership(session, who.organization_id, member_id))


@router.post("/orgs/{org_id}/members/{member_id}/block", response_model=MemberOut)
async def block(org_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> MemberOut:
    await services.block_member(session, who.actor, who.organization_id, member_id)
    return _member_out(await services.get_membership(session, who.organization_id, member_id))


@router.post("/orgs/{org_id}/members/{member_id}/unblock", response_model=MemberOut)
async def unblock(org_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> MemberOut:
    await services.unblock_member(session, who.actor, who.organization_id, member_id)
    return _member_out(await services.get_membership(session, who.organization_id, member_id))


@router.delete("/orgs/{org_id}/members/{member_id}", status_code=204)
async def remove(org_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> Response:
    await services.remove_member(session, who.actor, who.organization_id, member_id)
    return Response(status_code=204)


@router.get("/orgs/{org_id}/groups", response_model=list[GroupOut], tags=["groups"])
async def list_groups(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> list[object]:
    return list(await groups.list_groups(session, who.organization_id))


@router.post("/orgs/{org_id}/groups", response_model=GroupOut, status_code=201, tags=["groups"])
async def create_group(org_id: uuid.UUID, body: GroupIn, session: SessionDep, who: OrgAdmin) -> object:
    return await groups.create_group(session, who.actor, who.organization_id, body.name, body.description, body.site_ids)


@router.get("/orgs/{org_id}/tags", response_model=list[TagOut], tags=["rfid"])
async def list_tags(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> list[object]:
    return list(await tags.list_tags(session, who.organization_id))


@router.post("/orgs/{org_id}/tags", response_model=TagOut, status_code=201, tags=["rfid"])
async def add_tag(org_id: uuid.UUID, body: TagIn, session: SessionDep, who: OrgAdmin) -> object:
    return await tags.add_tag(session, who.actor, who.organization_id, tags.TagInput(**body.model_dump()))


@router.post("/orgs/{org_id}/tags/{tag_id}/block", response_model=TagOut, tags=["rfid"])
async def block_tag(org_id: uuid.UUID, tag_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> object:
    return await tags.set_tag_state(session, who.actor, who.organization_id, tag_id, TagState.blocked)


@router.post("/orgs/{org_id}/tags/{tag_id}/unblock", response_model=TagOut, tags=["rfid"])
async def unblock_tag(org_id: uuid.UUID, tag_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> object:
    return await tags.set_tag_state(session, who.actor, who.organization_id, tag_id, TagState.active)
