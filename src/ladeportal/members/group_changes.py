"""Changing groups: rename, describe, restrict to sites and chargers, delete, move members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound
from ladeportal.members.groups import (
    clean_description,
    clean_name,
    default_group,
    ensure_unique_name,
    get_group,
    group_charge_point_ids,
    group_site_ids,
    set_group_access,
)
from ladeportal.members.local_list import local_list_changed
from ladeportal.members.member_edit import resolve_group_id
from ladeportal.members.models import IdTag, Membership, UserGroup
from ladeportal.platform.audit import Actor, record


@dataclass
class GroupChanges:
    """The whole group as the form shows it: `site_ids=None` and no chargers means every site."""

    name: str
    description: str | None = None
    site_ids: list[uuid.UUID] | None = None
    charge_point_ids: list[uuid.UUID] | None = None


async def _access(session: AsyncSession, group: UserGroup) -> dict[str, object]:
    return {
        "all_sites": group.all_sites,
        "sites": sorted(str(s) for s in await group_site_ids(session, group)),
        "charge_points": sorted(str(c) for c in await group_charge_point_ids(session, group)),
    }


async def update_group(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, group_id: uuid.UUID, data: GroupChanges
) -> UserGroup:
    name = clean_name(data.name)
    description = clean_description(data.description)
    async with unit_of_work(session):
        group = await get_group(session, org_id, group_id)
        await ensure_unique_name(session, org_id, name, exclude=group.id)
        old = {"name": group.name, "description": group.description, **await _access(session, group)}
        group.name, group.description = name, description
        await set_group_access(session, org_id, group, data.site_ids, data.charge_point_ids)
        await session.flush()
        new = {"name": group.name, "description": group.description, **await _access(session, group)}
        if {k: old[k] for k in ("all_sites", "sites", "charge_points")} != {
            k: new[k] for k in ("all_sites", "sites", "charge_points")
        }:
            await local_list_changed(session, org_id)
        if old != new:
            record(session, actor, "group.update", "user_group", group.id, organization_id=org_id, old=old, new=new)
    return group


async def delete_group(session: AsyncSession, actor: Actor, org_id: uuid.UUID, group_id: uuid.UUID) -> None:
    """Members and visitor keys of the group fall back to the default group, which cannot be deleted."""
    async with unit_of_work(session):
        group = await get_group(session, org_id, group_id)
        if group.is_default:
            raise Conflict(
                "The default group cannot be deleted; members without a group belong to it.",
                code="group.default_undeletable",
            )
        fallback = await default_group(session, org_id)
        moved = (
            await session.execute(
                update(Membership)
                .where(Membership.organization_id == org_id, Membership.group_id == group.id)
                .values(group_id=None)
                .execution_options(synchronize_session="fetch")
            )
        ).rowcount  # type: ignore[attr-defined]
        await session.execute(
            update(IdTag)
            .where(IdTag.organization_id == org_id, IdTag.group_id == group.id)
            .values(group_id=fallback.id)
            .execution_options(synchronize_session="fetch")
        )
        old_name = group.name
        group.deleted_at = utcnow()
        # Frees the name for a new group; the suffix keeps (organisation, name) unique.
        group.name = f"{old_name[:60]} (deleted {group.id.hex[:8]})"
        await local_list_changed(session, org_id)
        record(
            session,
            actor,
            "group.delete",
            "user_group",
            group.id,
            organization_id=org_id,
            old={"name": old_name, "members": moved},
        )


async def move_members(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    membership_ids: list[uuid.UUID],
    group_id: uuid.UUID | None,
) -> int:
    """Move members (one or many) to a group, None meaning the default group; all or none move."""
    if not membership_ids:
        return 0
    async with unit_of_work(session):
        target = await resolve_group_id(session, org_id, group_id)
        wanted = set(membership_ids)
        found = set(
            (
                await session.scalars(
                    select(Membership.id).where(
                        Membership.organization_id == org_id, Membership.id.in_(wanted), Membership.removed_at.is_(None)
                    )
                )
            ).all()
        )
        if found != wanted:
            raise NotFound(
                "One or more members do not exist in this organisation.",
                field="membership_ids",
                code="member.some_missing",
            )
        await session.execute(
            update(Membership)
            .where(Membership.id.in_(found))
            .values(group_id=target)
            .execution_options(synchronize_session="fetch")
        )
        await local_list_changed(session, org_id)
        record(
            session,
            actor,
            "membership.move",
            "user_group",
            str(target or "default"),
            organization_id=org_id,
            new={"members": sorted(str(m) for m in found)},
        )
    return len(found)
