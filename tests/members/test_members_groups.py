"""Groups: describe, restrict, rename, delete (members fall back to the default), move members."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.group_changes import GroupChanges, delete_group, move_members, update_group
from ladeportal.members.groups import (
    create_group,
    default_group,
    effective_group,
    group_charge_point_ids,
    group_site_ids,
    list_groups,
)
from ladeportal.members.models import IdTag, Membership
from ladeportal.members.services import get_membership
from ladeportal.members.tags import TagInput, add_tag
from tests.factories import ACTOR, make_charger, make_member, make_org, make_site


async def test_update_a_group_description_sites_and_chargers(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    cp = (await make_charger(session, site)).charge_point
    group = await create_group(session, ACTOR, org.id, "Ansatte")
    assert group.all_sites
    await update_group(
        session,
        ACTOR,
        org.id,
        group.id,
        GroupChanges(name=" Ansatte Oslo ", description="Firmabiler", site_ids=[site.id], charge_point_ids=[cp.id]),
    )
    assert (group.name, group.description, group.all_sites) == ("Ansatte Oslo", "Firmabiler", False)
    assert await group_site_ids(session, group) == [site.id]
    assert await group_charge_point_ids(session, group) == [cp.id]
    await update_group(session, ACTOR, org.id, group.id, GroupChanges(name="Ansatte Oslo"))
    assert group.all_sites and await group_site_ids(session, group) == []


async def test_group_names_and_references_are_checked(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    a_id = a.id
    site_b_id = (await make_site(session, b)).id
    g1_id = (await create_group(session, ACTOR, a_id, "En")).id
    await create_group(session, ACTOR, a_id, "To")
    with pytest.raises(Conflict):
        await update_group(session, ACTOR, a_id, g1_id, GroupChanges(name="To"))
    with pytest.raises(ValidationFailed):
        await update_group(session, ACTOR, a_id, g1_id, GroupChanges(name=" "))
    with pytest.raises(NotFound):
        await update_group(session, ACTOR, a_id, g1_id, GroupChanges(name="En", site_ids=[site_b_id]))
    with pytest.raises(NotFound):
        await create_group(session, ACTOR, a_id, "Tre", site_ids=[site_b_id])


async def test_deleting_a_group_moves_members_and_visitor_keys_to_the_default(session: AsyncSession) -> None:
    org = await make_org(session)
    group = await create_group(session, ACTOR, org.id, "Gjester")
    member = await make_member(session, org, group_id=group.id)
    key = await add_tag(session, ACTOR, org.id, TagInput(uid="0A0B0C0D", group_id=group.id))
    default = await default_group(session, org.id)
    await delete_group(session, ACTOR, org.id, group.id)
    member = await get_membership(session, org.id, member.id)
    assert member.group_id is None and (await effective_group(session, member)).id == default.id
    assert (await session.get(IdTag, key.id, populate_existing=True)).group_id == default.id  # type: ignore[union-attr]
    assert [g.name for g in await list_groups(session, org.id)] == [default.name]
    await create_group(session, ACTOR, org.id, "Gjester")  # the name is free again


async def test_the_default_group_cannot_be_deleted(session: AsyncSession) -> None:
    org = await make_org(session)
    org_id = org.id
    default_id = (await default_group(session, org_id)).id
    with pytest.raises(Conflict, match="default group"):
        await delete_group(session, ACTOR, org_id, default_id)


async def test_move_members_in_bulk_and_back_to_the_default(session: AsyncSession) -> None:
    org = await make_org(session)
    group = await create_group(session, ACTOR, org.id, "Beboere")
    members = [await make_member(session, org) for _ in range(3)]
    assert await move_members(session, ACTOR, org.id, [m.id for m in members], group.id) == 3
    groups = (await session.scalars(select(Membership.group_id).where(Membership.organization_id == org.id))).all()
    assert set(groups) == {group.id}
    default = await default_group(session, org.id)
    await move_members(session, ACTOR, org.id, [members[0].id], default.id)
    assert (await get_membership(session, org.id, members[0].id)).group_id is None


async def test_moving_another_organisations_member_moves_nobody(session: AsyncSession) -> None:
    a, b = await make_org(session), await make_org(session)
    a_id = a.id
    group_id = (await create_group(session, ACTOR, a_id, "Beboere")).id
    mine_id = (await make_member(session, a)).id
    theirs_id = (await make_member(session, b)).id
    with pytest.raises(NotFound):
        await move_members(session, ACTOR, a_id, [mine_id, theirs_id], group_id)
    assert (await get_membership(session, a_id, mine_id)).group_id is None
