"""User groups: which sites their members may use (and, with pricing, what they pay)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.models import GroupChargePoint, GroupSite, Membership, UserGroup
from ladeportal.orgs.models import Organization, Site
from ladeportal.platform.audit import Actor, record

DEFAULT_GROUP_NAME = "Standard"


async def create_default_group(session: AsyncSession, org: Organization) -> UserGroup:
    group = UserGroup(
        id=uuid.uuid4(),
        organization_id=org.id,
        name=DEFAULT_GROUP_NAME,
        is_default=True,
        description="Members without another group",
        all_sites=True,
    )
    session.add(group)
    await session.flush()
    return group


async def default_group(session: AsyncSession, org_id: uuid.UUID) -> UserGroup:
    group = await session.scalar(
        select(UserGroup).where(UserGroup.organization_id == org_id, UserGroup.is_default.is_(True))
    )
    if group is None:
        raise NotFound("The organisation has no default group.", code="group.default_missing")
    return group


async def get_group(session: AsyncSession, org_id: uuid.UUID, group_id: uuid.UUID) -> UserGroup:
    group = await session.scalar(
        select(UserGroup).where(
            UserGroup.id == group_id, UserGroup.organization_id == org_id, UserGroup.deleted_at.is_(None)
        )
    )
    if group is None:
        raise NotFound("No such group.", code="group.not_found")
    return group


async def find_group(session: AsyncSession, org_id: uuid.UUID, ref: str) -> UserGroup:
    try:
        return await get_group(session, org_id, uuid.UUID(ref))
    except ValueError:
        pass
    group = await session.scalar(
        select(UserGroup).where(
            UserGroup.organization_id == org_id, UserGroup.name == ref.strip(), UserGroup.deleted_at.is_(None)
        )
    )
    if group is None:
        raise NotFound(f"No group {ref!r} in this organisation.", code="group.ref_not_found", params={"ref": ref})
    return group


async def list_groups(session: AsyncSession, org_id: uuid.UUID) -> list[UserGroup]:
    return list(
        (
            await session.scalars(
                select(UserGroup)
                .where(UserGroup.organization_id == org_id, UserGroup.deleted_at.is_(None))
                .order_by(UserGroup.name)
            )
        ).all()
    )


async def create_group(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    name: str,
    description: str | None = None,
    site_ids: list[uuid.UUID] | None = None,
    charge_point_ids: list[uuid.UUID] | None = None,
) -> UserGroup:
    """`site_ids=None` lets the group use every site; a list restricts it to those sites plus the
    chargers in `charge_point_ids`."""
    clean = clean_name(name)
    async with unit_of_work(session):
        await ensure_unique_name(session, org_id, clean)
        restricted = site_ids is not None or bool(charge_point_ids)
        group = UserGroup(
            id=uuid.uuid4(),
            organization_id=org_id,
            name=clean,
            description=clean_description(description),
            all_sites=not restricted,
        )
        session.add(group)
        await session.flush()
        if restricted:
            await set_group_access(session, org_id, group, site_ids, charge_point_ids)
        record(
            session,
            actor,
            "group.create",
            "user_group",
            group.id,
            organization_id=org_id,
            new={
                "name": clean,
                "sites": [str(s) for s in site_ids or []] if restricted else "all",
                "charge_points": [str(c) for c in charge_point_ids or []],
            },
        )
    return group


def clean_name(name: str) -> str:
    clean = (name or "").strip()
    if not clean:
        raise ValidationFailed("The group name is required.", field="name", code="group.name_required")
    if len(clean) > 80:
        raise ValidationFailed("The group name is at most 80 characters.", field="name", code="group.name_too_long")
    return clean


def clean_description(value: str | None) -> str | None:
    clean = (value or "").strip() or None
    if clean is not None and len(clean) > 500:
        raise ValidationFailed(
            "The description is at most 500 characters.", field="description", code="group.description_too_long"
        )
    return clean


async def ensure_unique_name(
    session: AsyncSession, org_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> None:
    query = select(UserGroup.id).where(UserGroup.organization_id == org_id, UserGroup.name == name)
    if exclude is not None:
        query = query.where(UserGroup.id != exclude)
    if await session.scalar(query) is not None:
        raise Conflict(
            f"A group named {name!r} already exists.", field="name", code="group.name_taken", params={"name": name}
        )


async def set_group_access(
    session: AsyncSession,
    org_id: uuid.UUID,
    group: UserGroup,
    site_ids: list[uuid.UUID] | None,
    charge_point_ids: list[uuid.UUID] | None,
) -> None:
    """Replace what the group may use; `site_ids=None` and no chargers means every site."""
    restricted = site_ids is not None or bool(charge_point_ids)
    group.all_sites = not restricted
    await _set_sites(session, org_id, group, site_ids or [])
    await _set_charge_points(session, org_id, group, charge_point_ids or [])


async def _set_sites(session: AsyncSession, org_id: uuid.UUID, group: UserGroup, site_ids: list[uuid.UUID]) -> None:
    owned = set(
        (await session.scalars(select(Site.id).where(Site.organization_id == org_id, Site.id.in_(site_ids)))).all()
    )
    unknown = set(site_ids) - owned
    if unknown:
        raise NotFound(
            "One or more sites do not exist in this organisation.", field="site_ids", code="site.some_missing"
        )
    await session.execute(delete(GroupSite).where(GroupSite.group_id == group.id))
    for site_id in sorted(owned):
        session.add(GroupSite(group_id=group.id, site_id=site_id))


async def _set_charge_points(
    session: AsyncSession, org_id: uuid.UUID, group: UserGroup, charge_point_ids: list[uuid.UUID]
) -> None:
    owned = set(
        (
            await session.scalars(
                select(ChargePoint.id).where(
                    ChargePoint.organization_id == org_id, ChargePoint.id.in_(charge_point_ids)
                )
            )
        ).all()
    )
    if set(charge_point_ids) - owned:
        raise NotFound(
            "One or more chargers do not exist in this organisation.",
            field="charge_point_ids",
            code="charger.some_missing",
        )
    await session.execute(delete(GroupChargePoint).where(GroupChargePoint.group_id == group.id))
    for cp_id in sorted(owned):
        session.add(GroupChargePoint(group_id=group.id, charge_point_id=cp_id))


async def group_site_ids(session: AsyncSession, group: UserGroup) -> list[uuid.UUID]:
    return list((await session.scalars(select(GroupSite.site_id).where(GroupSite.group_id == group.id))).all())


async def group_charge_point_ids(session: AsyncSession, group: UserGroup) -> list[uuid.UUID]:
    return list(
        (
            await session.scalars(select(GroupChargePoint.charge_point_id).where(GroupChargePoint.group_id == group.id))
        ).all()
    )


async def group_may_use_site(session: AsyncSession, group: UserGroup, site_id: uuid.UUID) -> bool:
    return await group_may_use(session, group, site_id)


async def group_may_use(
    session: AsyncSession, group: UserGroup, site_id: uuid.UUID, charge_point_id: uuid.UUID | None = None
) -> bool:
    """A group may use a whole site, or single chargers; without a charger only sites count."""
    if group.all_sites:
        return True
    if (
        await session.scalar(
            select(GroupSite.site_id).where(GroupSite.group_id == group.id, GroupSite.site_id == site_id)
        )
        is not None
    ):
        return True
    if charge_point_id is None:
        return False
    return (
        await session.scalar(
            select(GroupChargePoint.charge_point_id).where(
                GroupChargePoint.group_id == group.id, GroupChargePoint.charge_point_id == charge_point_id
            )
        )
        is not None
    )


async def effective_group(session: AsyncSession, membership: Membership) -> UserGroup:
    if membership.group_id is not None:
        group = await session.get(UserGroup, membership.group_id)
        if group is not None and group.deleted_at is None:
            return group
    return await default_group(session, membership.organization_id)
