"""Members, groups and RFID tags of an organisation.

Static paths (/members/search, /members/export, /members/import) are declared before
/members/{member_id}, because routes match in order.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query, Response, UploadFile
from fastapi.encoders import jsonable_encoder

from ladeportal.limits import MAX_PAGE, MAX_PAGE_SIZE, MAX_SEARCH_CHARS
from ladeportal.members import groups, services, tags
from ladeportal.members.export import export_members
from ladeportal.members.group_changes import GroupChanges, delete_group, move_members, update_group
from ladeportal.members.invites import check_channel, resend_invite
from ladeportal.members.member_edit import MemberChanges, edit_member
from ladeportal.members.member_import import ImportReport, dry_run_member_import, import_members
from ladeportal.members.models import Membership, TagState
from ladeportal.members.search import MemberQuery, search_members
from ladeportal.members.tabular import MAX_BYTES
from ladeportal.members.tag_import import dry_run_tag_import, import_tags
from ladeportal.web.api.schemas import (
    GroupIn,
    GroupOut,
    GroupUpdateIn,
    ImportReportOut,
    ImportRowOut,
    InviteIn,
    MemberIn,
    MemberOut,
    MemberPageOut,
    MemberPatch,
    MemberRowOut,
    MoveMembersIn,
    TagIn,
    TagOut,
    TagUpdateIn,
)
from ladeportal.web.deps import OrgAdmin, OrgStaff, SessionDep

router = APIRouter(tags=["members"])


def _member_out(m: Membership) -> MemberOut:
    # Only the membership's fields and the number the organisation itself used: never the person's
    # own record, which another organisation may have filled in.
    return MemberOut(
        id=m.id,
        user_id=m.user_id,
        phone=m.user.phone,
        name=m.name,
        email=m.email,
        notes=m.notes,
        role=m.role.value,
        state=m.state.value,
        group_id=m.group_id,
        parking_spot=m.parking_spot,
        activated_at=m.activated_at,
    )


def _report_out(report: ImportReport) -> ImportReportOut:
    return ImportReportOut(
        committed=report.committed,
        counts=report.counts,
        ignored_columns=report.ignored_columns,
        rows=[
            ImportRowOut(
                line=r.line,
                status=r.status.value,
                phone=r.phone,
                message=r.message,
                changes=r.changes,
                code=r.code,
                params=jsonable_encoder(r.params),
            )
            for r in report.rows
        ],
    )


async def _read(file: UploadFile) -> bytes:
    # One byte more than allowed, so the domain's size check sees an oversized file as such.
    return await file.read(MAX_BYTES + 1)


@router.get("/orgs/{org_id}/members", response_model=list[MemberOut])
async def list_members(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> list[MemberOut]:
    return [_member_out(m) for m in await services.list_members(session, who.organization_id)]


@router.post("/orgs/{org_id}/members", response_model=MemberOut, status_code=201)
async def add_member(org_id: uuid.UUID, body: MemberIn, session: SessionDep, who: OrgAdmin) -> MemberOut:
    m = await services.add_member(session, who.actor, who.organization_id, services.MemberInput(**body.model_dump()))
    return _member_out(await services.get_membership(session, who.organization_id, m.id))


@router.get("/orgs/{org_id}/members/search", response_model=MemberPageOut)
async def search(
    org_id: uuid.UUID,
    session: SessionDep,
    who: OrgStaff,
    q: str | None = Query(None, max_length=MAX_SEARCH_CHARS),
    group_id: uuid.UUID | None = None,
    state: str | None = Query(None, max_length=20),
    tag: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
) -> MemberPageOut:
    result = await search_members(session, who.organization_id, MemberQuery(q, group_id, state, tag, page, page_size))
    items = [
        MemberRowOut(
            **_member_out(row.membership).model_dump(),
            tags=[t.uid for t in row.tags],
            invited_at=row.membership.invited_at,
            invite_count=row.membership.invite_count,
        )
        for row in result.items
    ]
    return MemberPageOut(
        items=items, total=result.total, page=result.page, page_size=result.page_size, pages=result.pages
    )


@router.get("/orgs/{org_id}/members/export")
async def export(
    org_id: uuid.UUID,
    session: SessionDep,
    who: OrgStaff,
    format: Literal["csv", "xlsx"] = "xlsx",
    language: Literal["nb", "en", "sv"] = "nb",
) -> Response:
    data = await export_members(session, who.organization_id, format, language)
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="members.{format}"'})


@router.post("/orgs/{org_id}/members/import/dry-run", response_model=ImportReportOut)
async def import_dry_run(org_id: uuid.UUID, file: UploadFile, session: SessionDep, who: OrgAdmin) -> ImportReportOut:
    report = await dry_run_member_import(session, who.organization_id, await _read(file), file.filename or "")
    return _report_out(report)


@router.post("/orgs/{org_id}/members/import", response_model=ImportReportOut)
async def import_commit(
    org_id: uuid.UUID,
    file: UploadFile,
    session: SessionDep,
    who: OrgAdmin,
    skip_invalid_rows: bool = False,
    invite_channel: str = Query(default="sms", max_length=20),
) -> ImportReportOut:
    report = await import_members(
        session,
        who.actor,
        who.organization_id,
        await _read(file),
        file.filename or "",
        skip_invalid_rows=skip_invalid_rows,
        invite_channel=invite_channel,
    )
    return _report_out(report)


@router.post("/orgs/{org_id}/members/move", tags=["groups"])
async def move(org_id: uuid.UUID, body: MoveMembersIn, session: SessionDep, who: OrgAdmin) -> dict[str, int]:
    moved = await move_members(session, who.actor, who.organization_id, body.membership_ids, body.group_id)
    return {"moved": moved}


@router.get("/orgs/{org_id}/members/{member_id}", response_model=MemberOut)
async def get_member(org_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> MemberOut:
    return _member_out(await services.get_membership(session, who.organization_id, member_id))


@router.patch("/orgs/{org_id}/members/{member_id}", response_model=MemberOut)
async def edit(
    org_id: uuid.UUID, member_id: uuid.UUID, body: MemberPatch, session: SessionDep, who: OrgAdmin
) -> MemberOut:
    changes = MemberChanges(**{name: getattr(body, name) for name in body.model_fields_set})
    await edit_member(session, who.actor, who.organization_id, member_id, changes)
    return _member_out(await services.get_membership(session, who.organization_id, member_id))


@router.post("/orgs/{org_id}/members/{member_id}/invite", response_model=MemberOut)
async def invite(
    org_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, who: OrgAdmin, body: InviteIn | None = None
) -> MemberOut:
    channel = check_channel((body or InviteIn()).channel)
    await resend_invite(session, who.actor, who.organization_id, member_id, channel=channel)
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
    return await groups.create_group(
        session, who.actor, who.organization_id, body.name, body.description, body.site_ids, body.charge_point_ids
    )


@router.put("/orgs/{org_id}/groups/{group_id}", response_model=GroupOut, tags=["groups"])
async def change_group(
    org_id: uuid.UUID, group_id: uuid.UUID, body: GroupUpdateIn, session: SessionDep, who: OrgAdmin
) -> object:
    return await update_group(session, who.actor, who.organization_id, group_id, GroupChanges(**body.model_dump()))


@router.delete("/orgs/{org_id}/groups/{group_id}", status_code=204, tags=["groups"])
async def remove_group(org_id: uuid.UUID, group_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> Response:
    await delete_group(session, who.actor, who.organization_id, group_id)
    return Response(status_code=204)


@router.get("/orgs/{org_id}/tags", response_model=list[TagOut], tags=["rfid"])
async def list_tags(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> list[object]:
    return list(await tags.list_tags(session, who.organization_id))


@router.post("/orgs/{org_id}/tags", response_model=TagOut, status_code=201, tags=["rfid"])
async def add_tag(org_id: uuid.UUID, body: TagIn, session: SessionDep, who: OrgAdmin) -> object:
    return await tags.add_tag(session, who.actor, who.organization_id, tags.TagInput(**body.model_dump()))


@router.post("/orgs/{org_id}/tags/import/dry-run", response_model=ImportReportOut, tags=["rfid"])
async def tags_dry_run(org_id: uuid.UUID, file: UploadFile, session: SessionDep, who: OrgAdmin) -> ImportReportOut:
    return _report_out(await dry_run_tag_import(session, who.organization_id, await _read(file), file.filename or ""))


@router.post("/orgs/{org_id}/tags/import", response_model=ImportReportOut, tags=["rfid"])
async def tags_import(
    org_id: uuid.UUID,
    file: UploadFile,
    session: SessionDep,
    who: OrgAdmin,
    skip_invalid_rows: bool = False,
) -> ImportReportOut:
    report = await import_tags(
        session,
        who.actor,
        who.organization_id,
        await _read(file),
        file.filename or "",
        skip_invalid_rows=skip_invalid_rows,
    )
    return _report_out(report)


@router.put("/orgs/{org_id}/tags/{tag_id}", response_model=TagOut, tags=["rfid"])
async def change_tag(
    org_id: uuid.UUID, tag_id: uuid.UUID, body: TagUpdateIn, session: SessionDep, who: OrgAdmin
) -> object:
    changes = tags.TagChanges(**body.model_dump())
    return await tags.update_tag(session, who.actor, who.organization_id, tag_id, changes)


@router.post("/orgs/{org_id}/tags/{tag_id}/block", response_model=TagOut, tags=["rfid"])
async def block_tag(org_id: uuid.UUID, tag_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> object:
    return await tags.set_tag_state(session, who.actor, who.organization_id, tag_id, TagState.blocked)


@router.post("/orgs/{org_id}/tags/{tag_id}/unblock", response_model=TagOut, tags=["rfid"])
async def unblock_tag(org_id: uuid.UUID, tag_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> object:
    return await tags.set_tag_state(session, who.actor, who.organization_id, tag_id, TagState.active)
